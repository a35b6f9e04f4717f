//! Online enrollment (加入申込): parse the form, check every rule, and either complete the
//! contract in the same transaction, send it to the staff queue, or return field errors.

use std::sync::Arc;

use jiff::civil::Date;
use kyosai_docs::pdf::data::{ContractCertificate, Letter};
use kyosai_domain::corporate_number::CorporateNumber;
use kyosai_domain::enrollment::{
    self, ApplicantRole, BusinessFacts, Declarations, EnrollmentContext, EnrollmentFacts,
};
use kyosai_domain::input;
use kyosai_domain::procedure::{Assessment, CheckStatus};
use kyosai_domain::rules::{Industry, LegalForm, PaymentFrequency, RuleSet};
use kyosai_domain::schedule::{self, ScheduledDebit};
use kyosai_domain::{
    ApplicationId, ApplicationStatus, ContractId, ContractNumber, FieldError, Procedure, Program,
    UserId, YearMonth, Yen,
};
use kyosai_store::applications::{self, Application};
use kyosai_store::{contracts, drafts, next_contract_serial, sha256_hex, users};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::bank_account::{self, AccountFields, BankAccount, same_holder};
use crate::form_parser::{Parser, text, to_ascii_digits};
use crate::ja_text::ja_date;
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
};
use crate::{Actor, App, AppError, Role};

/// The enrollment form as submitted, by the HTML form or as JSON. Every field is optional text so
/// that one parser gives field-level messages for both channels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentForm {
    pub program: Option<String>,
    pub role: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name_kana: Option<String>,
    pub given_name_kana: Option<String>,
    pub birth_date: Option<String>,
    pub phone: Option<String>,
    pub business_name: Option<String>,
    pub legal_form: Option<String>,
    pub industry: Option<String>,
    #[serde(deserialize_with = "text")]
    pub employees: Option<String>,
    #[serde(deserialize_with = "text")]
    pub capital_yen: Option<String>,
    pub business_started_on: Option<String>,
    /// 倒産防止, a corporation: its 法人番号 (13 digits).
    pub corporate_number: Option<String>,
    /// 倒産防止, a corporation: its representative (代表者).
    pub representative_name: Option<String>,
    pub representative_kana: Option<String>,
    pub postcode: Option<String>,
    pub prefecture: Option<String>,
    pub city: Option<String>,
    pub address_line: Option<String>,
    #[serde(deserialize_with = "text")]
    pub monthly_premium_yen: Option<String>,
    pub payment_frequency: Option<String>,
    pub bank_code: Option<String>,
    pub branch_code: Option<String>,
    pub account_type: Option<String>,
    pub account_number: Option<String>,
    pub account_holder_kana: Option<String>,
    #[serde(deserialize_with = "text")]
    pub declare_truthful: Option<String>,
    #[serde(deserialize_with = "text")]
    pub declare_not_antisocial: Option<String>,
    #[serde(deserialize_with = "text")]
    pub declare_eligible: Option<String>,
}

/// A parsed, typed application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrollmentInput {
    pub program: Program,
    pub role: Option<ApplicantRole>,
    pub family_name: String,
    pub given_name: String,
    pub family_name_kana: String,
    pub given_name_kana: String,
    pub birth_date: Date,
    pub phone: String,
    pub business_name: String,
    pub legal_form: LegalForm,
    pub industry: Industry,
    pub employees: u32,
    pub capital_yen: Option<Yen>,
    pub business_started_on: Date,
    /// 倒産防止, a corporation: who holds the contract.
    pub corporation: Option<Corporation>,
    pub postcode: String,
    pub prefecture: String,
    pub city: String,
    pub address_line: String,
    pub monthly_premium: Yen,
    pub frequency: PaymentFrequency,
    pub bank_code: String,
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    pub account_type: String,
    pub account_number: String,
    /// Converted to Zengin half-width katakana, shown back to the member for confirmation.
    pub account_holder_kana: String,
    pub declarations: Declarations,
}

/// The parts of the form that are checked on their own, as soon as they are filled in (the
/// wizard's steps): each part runs its parser and the same rule functions as the final submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormPart {
    /// Who applies: role, name, フリガナ, birth date, phone.
    Applicant,
    /// The business: form, industry, size, start, corporation, address.
    Business,
    /// The premium and how it is paid.
    Premium,
    /// The debit account.
    Account,
}

/// What checking one part found: field errors (the member must correct them before going on)
/// and notices (a rule that staff will look at; the member may go on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartCheck {
    pub errors: Vec<FieldError>,
    pub notices: Vec<String>,
}

struct ApplicantPart {
    role: Option<ApplicantRole>,
    family_name: String,
    given_name: String,
    family_name_kana: String,
    given_name_kana: String,
    birth_date: Date,
    phone: String,
}

struct BusinessPart {
    business_name: String,
    legal_form: LegalForm,
    industry: Industry,
    employees: u32,
    capital_yen: Option<Yen>,
    business_started_on: Date,
    corporation: Option<Corporation>,
    postcode: String,
    prefecture: String,
    city: String,
    address_line: String,
}

/// The corporation that holds a 経営セーフティ共済 contract (REFERENCE §1.2: companies and
/// associations join as such): its 法人番号 and its representative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Corporation {
    pub number: CorporateNumber,
    pub representative_name: String,
    pub representative_kana: String,
}

impl EnrollmentForm {
    /// The form with every kana, digit, amount and date field in its one normal form
    /// ([`kyosai_domain::input`]): what is checked, stored and shown on the confirmation page.
    /// Text that does not read as its kind is kept as typed, for the field's message.
    pub fn normalized(&self) -> EnrollmentForm {
        let kana = |v: &Option<String>| v.as_deref().map(input::normalize_kana);
        let digits = |v: &Option<String>| v.as_deref().map(input::normalize_digits);
        let date = |v: &Option<String>| v.as_deref().map(input::normalize_date);
        let yen = |v: &Option<String>| v.as_deref().map(input::normalize_yen);
        let count = |v: &Option<String>| v.as_deref().map(input::normalize_count);
        EnrollmentForm {
            family_name_kana: kana(&self.family_name_kana),
            given_name_kana: kana(&self.given_name_kana),
            representative_kana: kana(&self.representative_kana),
            account_holder_kana: kana(&self.account_holder_kana),
            birth_date: date(&self.birth_date),
            business_started_on: date(&self.business_started_on),
            phone: digits(&self.phone),
            corporate_number: self.corporate_number.as_deref().map(|s| {
                CorporateNumber::parse(s)
                    .map_or_else(|_| input::normalize_digits(s), |n| n.digits())
            }),
            postcode: self.postcode.as_deref().map(|s| {
                kyosai_refdata::normalize_postcode(s).unwrap_or_else(|| input::normalize_digits(s))
            }),
            bank_code: digits(&self.bank_code),
            branch_code: digits(&self.branch_code),
            account_number: digits(&self.account_number),
            employees: count(&self.employees),
            capital_yen: yen(&self.capital_yen),
            monthly_premium_yen: yen(&self.monthly_premium_yen),
            ..self.clone()
        }
    }

    /// Parses every field, reporting every problem at once. Bank, branch and postcode are checked
    /// against the embedded Japanese reference data.
    pub fn parse(&self) -> Result<EnrollmentInput, AppError> {
        let f = self.normalized();
        let mut p = Parser { errors: Vec::new() };
        let program = p.choice("program", &f.program, "申し込む共済", Program::parse);
        let applicant = f.applicant(&mut p, program);
        let business = f.business(&mut p, program);
        let premium = f.premium(&mut p, program);
        let account = f.account(&mut p);
        let checked = |v: &Option<String>| {
            v.as_deref()
                .is_some_and(|s| matches!(s, "on" | "true" | "1" | "yes"))
        };
        let declarations = Declarations {
            truthful: checked(&f.declare_truthful),
            not_antisocial: checked(&f.declare_not_antisocial),
            eligible: checked(&f.declare_eligible),
        };
        if !p.errors.is_empty() {
            return Err(AppError::Invalid(p.errors));
        }
        let missing = || AppError::Internal("parser accepted an incomplete form".into());
        let a = applicant.ok_or_else(missing)?;
        let b = business.ok_or_else(missing)?;
        let (monthly_premium, frequency) = premium.ok_or_else(missing)?;
        let account = account.ok_or_else(missing)?;
        Ok(EnrollmentInput {
            program: program.ok_or_else(missing)?,
            role: a.role,
            family_name: a.family_name,
            given_name: a.given_name,
            family_name_kana: a.family_name_kana,
            given_name_kana: a.given_name_kana,
            birth_date: a.birth_date,
            phone: a.phone,
            business_name: b.business_name,
            legal_form: b.legal_form,
            industry: b.industry,
            employees: b.employees,
            capital_yen: b.capital_yen,
            business_started_on: b.business_started_on,
            corporation: b.corporation,
            postcode: b.postcode,
            prefecture: b.prefecture,
            city: b.city,
            address_line: b.address_line,
            monthly_premium,
            frequency,
            bank_code: account.bank_code,
            bank_name: account.bank_name,
            branch_code: account.branch_code,
            branch_name: account.branch_name,
            account_type: account.account_type,
            account_number: account.account_number,
            account_holder_kana: account.holder_kana,
            declarations,
        })
    }

    /// Checks one part as the wizard reaches its end: that part's parser, then — when its
    /// fields parse — the rules about them, run by the same functions as [`assess`] at the
    /// submit ([`enrollment::check_applicant`], [`enrollment::check_business`],
    /// [`enrollment::check_premium`]). A rule's failure is a field error; a rule that needs a
    /// person's look is a notice.
    pub fn check_part(&self, part: FormPart, rules: &RuleSet, today: Date) -> PartCheck {
        let f = self.normalized();
        let mut p = Parser { errors: Vec::new() };
        let program = Some(rules.program);
        let checks = match part {
            FormPart::Applicant => f
                .applicant(&mut p, program)
                .map(|a| enrollment::check_applicant(a.birth_date, rules, today)),
            FormPart::Business => {
                // The business rules look at the role chosen before (小規模): parsed quietly
                // here, its own step reports it.
                let role = match rules.program {
                    Program::SmallEnterprise => f.role.as_deref().and_then(ApplicantRole::parse),
                    Program::SafetyNet => None,
                };
                f.business(&mut p, program).map(|b| {
                    enrollment::check_business(
                        &BusinessFacts {
                            program: rules.program,
                            role,
                            legal_form: b.legal_form,
                            industry: b.industry,
                            employees: b.employees,
                            capital: b.capital_yen,
                            business_started_on: b.business_started_on,
                        },
                        rules,
                        today,
                    )
                })
            }
            FormPart::Premium => f
                .premium(&mut p, program)
                .map(|(premium, frequency)| enrollment::check_premium(premium, frequency, rules)),
            FormPart::Account => {
                f.account(&mut p);
                None
            }
        };
        let mut found = PartCheck {
            errors: p.errors,
            notices: Vec::new(),
        };
        for c in checks.unwrap_or_default() {
            match c.status {
                // The code the submit gives the same failure (`Assessment::field_errors`).
                CheckStatus::Failed => found.errors.push(FieldError::new(
                    c.field.as_deref().unwrap_or("application"),
                    "rule",
                    c.message,
                )),
                CheckStatus::NeedsReview => found.notices.push(c.message),
                CheckStatus::Passed => {}
            }
        }
        found
    }

    fn applicant(&self, p: &mut Parser, program: Option<Program>) -> Option<ApplicantPart> {
        let role = match program {
            Some(Program::SmallEnterprise) => p.choice(
                "role",
                &self.role,
                "加入される方の立場",
                ApplicantRole::parse,
            ),
            _ => None,
        };
        let family_name = p.name("family_name", &self.family_name, "氏名（姓）");
        let given_name = p.name("given_name", &self.given_name, "氏名（名）");
        let family_name_kana = p.kana(
            "family_name_kana",
            &self.family_name_kana,
            "フリガナ（セイ）",
        );
        let given_name_kana = p.kana("given_name_kana", &self.given_name_kana, "フリガナ（メイ）");
        let birth_date = p.date("birth_date", &self.birth_date, "生年月日");
        let phone = p.required("phone", &self.phone, "電話番号").and_then(|s| {
            let digits: String = to_ascii_digits(s)
                .chars()
                .filter(|c| *c != '-' && *c != 'ー' && *c != '－')
                .collect();
            if (10..=11).contains(&digits.len())
                && digits.starts_with('0')
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                Some(digits)
            } else {
                None
            }
        });
        if self.phone.as_deref().is_some_and(|s| !s.trim().is_empty())
            && phone.is_none()
            && !p.errors.iter().any(|e| e.field == "phone")
        {
            p.err(
                "phone",
                "format",
                "電話番号は0から始まる10桁または11桁の数字で入力してください。",
            );
        }
        Some(ApplicantPart {
            role,
            family_name: family_name?,
            given_name: given_name?,
            family_name_kana: family_name_kana?,
            given_name_kana: given_name_kana?,
            birth_date: birth_date?,
            phone: phone?,
        })
    }

    fn business(&self, p: &mut Parser, program: Option<Program>) -> Option<BusinessPart> {
        let business_name = p.text("business_name", &self.business_name, "事業所名・屋号");
        let legal_form = p.choice(
            "legal_form",
            &self.legal_form,
            "事業の形態",
            LegalForm::parse,
        );
        let industry = p.choice("industry", &self.industry, "業種", Industry::parse);
        let employees = p
            .count(
                "employees",
                &self.employees,
                "常時使用する従業員数",
                1_000_000,
            )
            .map(|n| n as u32);
        // Capital: none for a sole proprietorship, required for a company, optional for the
        // other forms (cooperatives have 出資金, which counts when given).
        let capital_given = self
            .capital_yen
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        let capital_yen = match legal_form {
            Some(form)
                if form != LegalForm::Individual
                    && (form == LegalForm::Company || capital_given) =>
            {
                p.yen(
                    "capital_yen",
                    &self.capital_yen,
                    "資本金（出資金）",
                    10_000_000_000_000,
                )
                .map(Yen::new)
            }
            _ => None,
        };
        let business_started_on = p.date(
            "business_started_on",
            &self.business_started_on,
            "事業開始日",
        );
        // 倒産防止 contracts of a corporation are the corporation's: its 法人番号 and its
        // representative are part of the application (REFERENCE §1.2, §6.2 代表者 changes).
        let corporation = match (program, legal_form) {
            (Some(Program::SafetyNet), Some(form)) if form != LegalForm::Individual => {
                let number = p
                    .required("corporate_number", &self.corporate_number, "法人番号")
                    .and_then(|s| match CorporateNumber::parse(s) {
                        Ok(n) => Some(n),
                        Err(e) => {
                            p.err("corporate_number", e.code(), e.message());
                            None
                        }
                    });
                let name = p.name(
                    "representative_name",
                    &self.representative_name,
                    "代表者の氏名",
                );
                let kana = p.kana(
                    "representative_kana",
                    &self.representative_kana,
                    "代表者の氏名フリガナ",
                );
                match (number, name, kana) {
                    (Some(number), Some(representative_name), Some(representative_kana)) => {
                        Some(Some(Corporation {
                            number,
                            representative_name,
                            representative_kana,
                        }))
                    }
                    _ => None,
                }
            }
            _ => Some(None),
        };
        let postcode = p
            .required("postcode", &self.postcode, "郵便番号")
            .and_then(|s| {
                kyosai_refdata::normalize_postcode(s)
                    .filter(|c| !kyosai_refdata::postcode(c).is_empty())
            });
        if self
            .postcode
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
            && postcode.is_none()
        {
            p.err(
                "postcode",
                "unknown",
                "郵便番号が見つかりません。7桁の郵便番号をお確かめください。",
            );
        }
        let prefecture = p.choice("prefecture", &self.prefecture, "都道府県", |s| {
            Some(s.to_string())
        });
        let city = p.text("city", &self.city, "市区町村");
        let address_line = p.text("address_line", &self.address_line, "町名・番地");
        let legal_form = legal_form?;
        let capital_ok = legal_form != LegalForm::Company || capital_yen.is_some();
        let b = BusinessPart {
            business_name: business_name?,
            legal_form,
            industry: industry?,
            employees: employees?,
            capital_yen,
            business_started_on: business_started_on?,
            corporation: corporation?,
            postcode: postcode?,
            prefecture: prefecture?,
            city: city?,
            address_line: address_line?,
        };
        capital_ok.then_some(b)
    }

    fn premium(&self, p: &mut Parser, program: Option<Program>) -> Option<(Yen, PaymentFrequency)> {
        let monthly_premium = p
            .yen(
                "monthly_premium_yen",
                &self.monthly_premium_yen,
                "掛金月額",
                100_000_000,
            )
            .map(Yen::new);
        let frequency = match program {
            // 倒産防止 is paid monthly (REFERENCE §2.2); the page says so instead of asking.
            Some(Program::SafetyNet) => Some(PaymentFrequency::Monthly),
            _ => p.choice(
                "payment_frequency",
                &self.payment_frequency,
                "払込方法",
                PaymentFrequency::parse,
            ),
        };
        Some((monthly_premium?, frequency?))
    }

    fn account(&self, p: &mut Parser) -> Option<BankAccount> {
        bank_account::parse(
            p,
            &AccountFields {
                bank_code: &self.bank_code,
                branch_code: &self.branch_code,
                account_type: &self.account_type,
                account_number: &self.account_number,
                account_holder_kana: &self.account_holder_kana,
            },
        )
    }
}

impl EnrollmentInput {
    pub fn facts(&self) -> EnrollmentFacts {
        EnrollmentFacts {
            program: self.program,
            role: self.role,
            legal_form: self.legal_form,
            industry: self.industry,
            employees: self.employees,
            capital: self.capital_yen,
            business_started_on: self.business_started_on,
            birth_date: self.birth_date,
            monthly_premium: self.monthly_premium,
            frequency: self.frequency,
            declarations: self.declarations,
            account_in_applicants_name: same_holder(
                &self.account_holder_kana,
                &format!("{}{}", self.family_name_kana, self.given_name_kana),
            ),
        }
    }

    /// 共同経営者 only: identifies the sole proprietor the co-manager works with, to count the
    /// co-managers already in (at most two, REFERENCE §1.1 #6). The form has no proprietor
    /// number, so the proprietor is the business: its name (spaces removed) and the business
    /// postcode. Two spellings of one business name count separately; staff still see every
    /// co-manager application (evidence review) and can catch that.
    pub fn proprietor_key(&self) -> Option<String> {
        if self.role != Some(ApplicantRole::CoManager) {
            return None;
        }
        let name: String = self
            .business_name
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        Some(sha256_hex(
            format!("co_manager|{name}|{}", self.postcode).as_bytes(),
        ))
    }

    pub fn holder_name(&self) -> String {
        format!("{} {}", self.family_name, self.given_name)
    }

    /// Identifies a person across accounts (name kana + birth date), for the duplicate check.
    pub fn person_key(&self) -> String {
        let kana: String = format!("{}{}", self.family_name_kana, self.given_name_kana)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        sha256_hex(
            format!(
                "{}|{}",
                kyosai_zengin::to_zengin_kana(&kana).unwrap_or(kana),
                self.birth_date
            )
            .as_bytes(),
        )
    }
}

/// What the member sees right after submitting.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentResult {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    /// `completed` (contract made) or `in_review` (staff queue).
    pub status: ApplicationStatus,
    pub assessment: Assessment,
    pub contract: Option<ContractSummary>,
}

impl Outcome for EnrollmentResult {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractSummary {
    pub number: String,
    pub program: Program,
    pub start_date: Date,
    pub first_debit_date: Date,
    pub monthly_premium_yen: Yen,
    pub schedule: Vec<ScheduledDebit>,
}

/// A contract just concluded: what the caller is told, and what its letter needs besides.
pub(crate) struct Enrolled {
    contract_id: ContractId,
    first_debit_month: YearMonth,
    summary: ContractSummary,
}

impl App {
    /// The rule set in force today for a program.
    pub fn rules_for(&self, program: Program) -> Result<Arc<RuleSet>, AppError> {
        self.rules
            .in_force(program, self.clock.today())
            .ok_or_else(|| {
                AppError::Internal(format!("no rule set for {}", program.as_str()).into())
            })
    }

    /// Submits an enrollment for `member_id`: the member themself online, or staff, a data-entry
    /// operator or an agency for them (the channel follows the actor).
    pub async fn submit_enrollment(
        &self,
        actor: &Actor,
        member_id: UserId,
        form: &EnrollmentForm,
    ) -> Result<EnrollmentResult, AppError> {
        self.run_procedure::<Enrollment>(actor, &member_id, &form.normalized(), None)
            .await?
            .fresh()
    }

    /// [`App::submit_enrollment`] with an `Idempotency-Key`: a retried request gets the first
    /// answer (the API).
    pub async fn submit_enrollment_once(
        &self,
        actor: &Actor,
        member_id: UserId,
        form: &EnrollmentForm,
        key: &IdempotencyKey,
    ) -> Result<Answer<EnrollmentResult>, AppError> {
        self.run_procedure::<Enrollment>(actor, &member_id, &form.normalized(), Some(key))
            .await
    }

    /// Creates the contract and its debit mandate for an approved application (inside the
    /// caller's transaction).
    async fn create_contract(
        &self,
        conn: &mut AnyConnection,
        filed: &Filed,
        member_id: UserId,
        input: &EnrollmentInput,
    ) -> Result<Enrolled, AppError> {
        let (application_id, rules) = (filed.application_id, &filed.rules);
        let serial = next_contract_serial(conn).await?;
        let number = u32::try_from(serial)
            .ok()
            .and_then(ContractNumber::from_serial)
            .ok_or_else(|| AppError::Internal("contract serials exhausted".into()))?;
        let start = self.clock.today();
        let first_month = schedule::first_debit_month(&rules.collection, &self.calendar, start);
        let plan = schedule::premium_schedule(
            &rules.collection,
            &self.calendar,
            first_month,
            input.monthly_premium,
            input.frequency,
            12,
        );
        let now = self.clock.now_text();
        let contract_id = contracts::insert(
            conn,
            &contracts::NewContract {
                number: &number.digits(),
                program: input.program,
                member_id,
                application_id,
                holder_name: &input.holder_name(),
                business_name: &input.business_name,
                person_key: &input.person_key(),
                start_date: start,
                first_debit_month: first_month,
                monthly_premium: input.monthly_premium,
                frequency: input.frequency,
                rule_set: &rules.id,
                now: &now,
            },
        )
        .await?;
        if let Some(key) = input.proprietor_key() {
            // Approval may come long after the check: two co-managers of the proprietor may
            // have been approved meanwhile (REFERENCE §1.1 #6).
            let max = rules
                .eligibility
                .max_co_managers_per_proprietor
                .as_ref()
                .map_or(2, |m| m.value);
            if contracts::active_co_managers(conn, &key).await? >= max {
                return Err(AppError::conflict(
                    "co_manager_limit",
                    format!(
                        "この事業主の共同経営者はすでに{max}人加入しています。共同経営者として加入できるのは1事業主あたり{max}人までです。"
                    ),
                ));
            }
            contracts::set_proprietor_key(conn, contract_id, &key).await?;
        }
        contracts::insert_mandate(
            conn,
            &contracts::NewMandate {
                contract_id,
                bank_code: &input.bank_code,
                branch_code: &input.branch_code,
                account_type: &input.account_type,
                account_number: &input.account_number,
                holder_kana: &input.account_holder_kana,
                effective_month: None,
                application_id: None,
                now: &now,
            },
        )
        .await?;
        applications::link_contract(conn, application_id, contract_id).await?;
        filed.audit(
            "contract.created",
            &format!("contract:{contract_id}"),
            None,
            Some(&json!({ "number": number.digits(), "program": input.program.as_str(), "monthly_premium": input.monthly_premium.get(), "first_debit_month": first_month.to_string() })),
        );
        Ok(Enrolled {
            contract_id,
            first_debit_month: first_month,
            summary: ContractSummary {
                number: number.digits(),
                program: input.program,
                start_date: start,
                first_debit_date: plan.first().map(|d| d.date).unwrap_or(start),
                monthly_premium_yen: input.monthly_premium,
                schedule: plan,
            },
        })
    }

    /// Saves an unfinished form (one step at a time on a phone).
    pub async fn save_draft(
        &self,
        member_id: UserId,
        program: Program,
        form: &EnrollmentForm,
    ) -> Result<(), AppError> {
        let data = serde_json::to_string(form).map_err(|e| AppError::Internal(e.into()))?;
        let mut tx = self.store.begin_write().await?;
        drafts::put(
            tx.conn(),
            member_id,
            program.as_str(),
            &data,
            &self.clock.now_text(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The form to continue with: the unfinished draft if there is one; otherwise what the
    /// member already told us in their latest enrollment (name, birth date, address, business,
    /// bank), so a second enrollment — or a new try after a rejection — starts filled in. The
    /// declarations are never carried over: they are made afresh each time. Premium, frequency
    /// and role carry over only within the same program.
    pub async fn load_draft(
        &self,
        member_id: UserId,
        program: Program,
    ) -> Result<EnrollmentForm, AppError> {
        let mut conn = self.store.read().await?;
        if let Some(draft) = drafts::get(&mut conn, member_id, program.as_str())
            .await?
            .and_then(|d| serde_json::from_str(&d).ok())
        {
            return Ok(draft);
        }
        let previous = applications::for_member(&mut conn, member_id)
            .await?
            .into_iter()
            .filter(|a| a.procedure == Procedure::Enrollment)
            .find_map(|a| {
                let form: EnrollmentForm = serde_json::from_str(&a.payload).ok()?;
                Some((a.program == program, form))
            });
        Ok(match previous {
            Some((same_program, form)) => EnrollmentForm {
                program: Some(program.as_str().into()),
                role: form.role.filter(|_| same_program),
                monthly_premium_yen: form.monthly_premium_yen.filter(|_| same_program),
                payment_frequency: form.payment_frequency.filter(|_| same_program),
                declare_truthful: None,
                declare_not_antisocial: None,
                declare_eligible: None,
                ..form
            },
            None => EnrollmentForm {
                program: Some(program.as_str().into()),
                ..Default::default()
            },
        })
    }
}

/// Enrollment on the procedure framework: the subject is the member; completing makes the
/// contract and its debit mandate.
pub(crate) struct Enrollment;

impl ProcedureRules for Enrollment {
    const PROCEDURE: Procedure = Procedure::Enrollment;
    type Target = UserId;
    type Form = EnrollmentForm;
    type Input = EnrollmentInput;
    type Done = Enrolled;
    type Answer = EnrollmentResult;

    fn parse(form: &EnrollmentForm) -> Result<EnrollmentInput, AppError> {
        form.parse()
    }

    async fn subject(
        app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        member_id: &UserId,
        input: &EnrollmentInput,
    ) -> Result<Subject, AppError> {
        if actor.role == Role::Member && actor.user_id != *member_id {
            return Err(AppError::Forbidden("members apply for themselves"));
        }
        // Only a member account can hold a contract: staff and service accounts cannot enroll
        // themselves (issue #15 item 4), and only those who act for members enroll others.
        // The actor's own role was read with its session or token.
        let holder_role = if actor.user_id == *member_id {
            Some(actor.role)
        } else {
            let member = users::by_id(conn, *member_id)
                .await?
                .ok_or(AppError::NotFound)?;
            Role::parse(&member.role)
        };
        if holder_role != Some(Role::Member) {
            return Err(AppError::Forbidden("only member accounts hold contracts"));
        }
        let needed = if actor.user_id == *member_id {
            crate::capability::Capability::OwnContracts
        } else {
            crate::capability::Capability::ActForMembers
        };
        // Only staff capabilities depend on a power (read now, so a change applies at once).
        let power = match actor.role {
            Role::Staff => users::staff_power(conn, actor.user_id)
                .await?
                .as_deref()
                .and_then(crate::review::StaffPower::parse),
            _ => None,
        };
        if !crate::capability::capabilities(actor.role, power).contains(&needed) {
            return Err(AppError::Forbidden("capability"));
        }
        Ok(app.enrollment_subject(*member_id, input))
    }

    async fn stored_subject(
        app: &App,
        _conn: &mut AnyConnection,
        application: &Application,
        input: &EnrollmentInput,
    ) -> Result<Subject, AppError> {
        Ok(app.enrollment_subject(application.member_id, input))
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &EnrollmentInput,
        rules: &RuleSet,
    ) -> Result<Checked<EnrollmentResult>, AppError> {
        let standing = applications::enrollment_standing(
            conn,
            subject.member_id,
            subject.program.as_str(),
            &subject.person_key,
        )
        .await?;
        if standing.pending {
            return Err(AppError::conflict(
                "application_pending",
                "この共済への申込はすでに受け付けて審査中です。結果をお待ちください。",
            ));
        }
        let ctx = EnrollmentContext {
            today: app.clock.today(),
            already_member: standing.already_member,
            possible_duplicate: standing.person_elsewhere,
            co_managers_of_proprietor: match input.proprietor_key() {
                Some(key) => contracts::active_co_managers(conn, &key).await?,
                None => 0,
            },
        };
        Ok(Checked::Assessed(enrollment::assess(
            &input.facts(),
            rules,
            &ctx,
        )))
    }

    async fn filed(
        _app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
    ) -> Result<(), AppError> {
        // The unfinished form is done with once the application is on record.
        drafts::delete(conn, subject.member_id, subject.program.as_str()).await?;
        Ok(())
    }

    async fn complete(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        input: &EnrollmentInput,
    ) -> Result<Enrolled, AppError> {
        app.create_contract(conn, filed, subject.member_id, input)
            .await
    }

    async fn answer(
        _app: &App,
        _conn: &mut AnyConnection,
        filed: &Filed,
        _subject: &Subject,
        assessment: Assessment,
        _input: EnrollmentInput,
        enrolled: Option<Enrolled>,
    ) -> Result<EnrollmentResult, AppError> {
        Ok(EnrollmentResult {
            application_id: filed.application_id,
            status: filed.status,
            assessment,
            contract: enrolled.map(|e| e.summary),
        })
    }

    /// 共済契約締結証書, from what this transaction just stored (the contract, its mandate, the
    /// address on the form): reading it back would cost statements inside the write
    /// transaction every enrollment waits for.
    async fn letter(
        app: &App,
        _conn: &mut AnyConnection,
        subject: &Subject,
        input: &EnrollmentInput,
        e: &Enrolled,
    ) -> Result<Option<(ContractId, Letter)>, AppError> {
        let head = app.new_letter_head(
            input.program,
            &e.summary.number,
            crate::letters::addressee(
                &subject.holder_name,
                &input.postcode,
                &input.prefecture,
                &input.city,
                &input.address_line,
            ),
        )?;
        Ok(Some((
            e.contract_id,
            Letter::ContractCertificate(ContractCertificate {
                head,
                contract_date: e.summary.start_date,
                first_premium_month: e.first_debit_month,
                monthly_premium: input.monthly_premium,
                payment_frequency: input.frequency,
                debit_account: crate::mandate_change::account_label(
                    &input.bank_code,
                    &input.branch_code,
                    &input.account_number,
                ),
                registered_institution: None,
            }),
        )))
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        _filed: &Filed,
        _input: &EnrollmentInput,
        e: &Enrolled,
    ) -> MailText {
        let c = &e.summary;
        let program = subject.program.name_ja();
        MailText {
            subject: format!("【{program}】ご加入手続き完了のお知らせ"),
            body: format!(
                "{} 様\n\n{program}へのご加入手続きが完了しました。\n\n共済契約者番号：{}\n契約日：{}\n初回の口座振替日：{}（{}）\n\n\
                 振替日の前日までに口座へ入金をお願いします。契約内容はマイページでいつでも確認できます。\n{}/portal\n",
                subject.holder_name,
                c.number,
                ja_date(c.start_date),
                ja_date(c.first_debit_date),
                c.monthly_premium_yen,
                app.public_url
            ),
        }
    }

    fn received_mail(app: &App, subject: &Subject, filed: &Filed) -> MailText {
        let program = subject.program.name_ja();
        MailText {
            subject: format!("【{program}】お申込みを受け付けました（確認中）"),
            body: format!(
                "{} 様\n\n{program}へのお申込みを受け付けました（受付番号：{}）。\n\
                 内容を職員が確認しています。結果はメールとマイページでお知らせします（通常5営業日以内）。\n{}/portal\n",
                subject.holder_name, filed.application_id, app.public_url
            ),
        }
    }
}

impl App {
    fn enrollment_subject(&self, member_id: UserId, input: &EnrollmentInput) -> Subject {
        Subject {
            program: input.program,
            member_id,
            contract_id: None,
            person_key: input.person_key(),
            holder_name: input.holder_name(),
        }
    }
}
