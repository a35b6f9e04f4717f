//! Changing the registered details (届出事項変更, issue #10 procedure 4; REFERENCE §6.1 小107-1,
//! §6.2 契約変更届): address, names, representative, business address, phone, e-mail, and for
//! 倒産防止 the capital and employee count.
//!
//! The member sends only what changes (a page sends the whole prefilled form; fields equal to the
//! registered value do not count). Changes a rule can decide complete at once:
//! - an address whose postcode exists and lies in the prefecture given (embedded postcode data);
//! - phone and e-mail (format only);
//! - a sole proprietor's 屋号 and a representative;
//! - capital and employees while the business stays within the 倒産防止 size limits
//!   (REFERENCE §1.2, either limit suffices); outside them the change waits for staff with
//!   the reason (小規模 checks the employee count at enrollment only, REFERENCE §1.1, so it
//!   does not record them).
//!
//! A name change needs evidence (an uploaded 戸籍抄本 or 登記事項証明書, [`crate::evidence`]):
//! without it the form is refused at the `evidence` field. A person's name change with evidence
//! completes; a corporation's (its name is the contract's business name) waits for staff, who
//! download the evidence on the application page.
//!
//! The details live in `contract_details`, effective-dated (a change records the whole set from
//! the day it completes). Contracts enrolled before that table have no row: their details are
//! read from the enrollment application (the form as submitted) until the first change. The
//! contract's `holder_name`/`business_name`, which mails, searches and staff screens show, follow
//! the new values when a change completes. The Zengin holder kana belongs to the debit mandate
//! and is not touched (an account change is its own procedure).

use kyosai_docs::pdf::data::{ChangeValue, ChangedItem, Letter};
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::{Industry, LegalForm, RuleSet};
use kyosai_domain::{ApplicationId, ApplicationStatus, ContractId, Procedure, Program};
use kyosai_store::applications::{self};
use kyosai_store::contracts::{self, Contract};
use kyosai_store::details::{self, Details};
use kyosai_store::{evidence, users};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::enrollment::EnrollmentForm;
use crate::evidence::EvidenceRef;
use crate::form_parser::{Parser, text, to_ascii_digits};
use crate::procedure::{
    Checked, Filed, MailText, Outcome, ProcedureRules, Subject, ensure_no_pending,
};
use crate::procedure::{active_contract, maintenance_subject};
use crate::{Actor, App, AppError, Role};

/// The change form as submitted (page or JSON). A field left out (None) keeps its registered
/// value; a page sends every field prefilled, and only values that differ count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DetailsForm {
    /// 契約者の氏名 (a person) — needs `evidence`.
    pub holder_name: Option<String>,
    /// 事業所名・屋号; for a corporation its name — then needs `evidence` and staff review.
    pub business_name: Option<String>,
    /// 代表者 (倒産防止 corporations only); empty clears it.
    pub representative: Option<String>,
    pub postcode: Option<String>,
    pub prefecture: Option<String>,
    pub city: Option<String>,
    pub address_line: Option<String>,
    /// 事業所所在地 when it differs from the address; empty clears it.
    pub business_address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// 資本金（出資金）in yen (倒産防止 only).
    #[serde(deserialize_with = "text")]
    pub capital_yen: Option<String>,
    /// 常時使用する従業員数 (倒産防止 only).
    #[serde(deserialize_with = "text")]
    pub employees: Option<String>,
    /// The token of an uploaded document (see `POST …/evidence` or the multipart form).
    pub evidence: Option<String>,
}

/// The fields as parsed: Some = a value was sent (normalised), None = keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailsInput {
    holder_name: Option<String>,
    business_name: Option<String>,
    representative: Option<String>,
    postcode: Option<String>,
    prefecture: Option<String>,
    city: Option<String>,
    address_line: Option<String>,
    business_address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    capital_yen: Option<i64>,
    employees: Option<i64>,
    evidence: Option<String>,
}

/// A contract's registered details as members and staff read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisteredDetails {
    pub holder_name: String,
    pub business_name: String,
    pub representative: String,
    pub postcode: String,
    pub prefecture: String,
    pub city: String,
    pub address_line: String,
    pub business_address: String,
    pub phone: String,
    pub email: String,
    pub capital_yen: Option<i64>,
    pub employees: i64,
}

impl From<&Details> for RegisteredDetails {
    fn from(d: &Details) -> Self {
        RegisteredDetails {
            holder_name: d.holder_name.clone(),
            business_name: d.business_name.clone(),
            representative: d.representative.clone(),
            postcode: d.postcode.clone(),
            prefecture: d.prefecture.clone(),
            city: d.city.clone(),
            address_line: d.address_line.clone(),
            business_address: d.business_address.clone(),
            phone: d.phone.clone(),
            email: d.email.clone(),
            capital_yen: d.capital_yen,
            employees: d.employees,
        }
    }
}

/// One changed field: its form name, label, and the value before and after (as shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub label: String,
    pub before: String,
    pub after: String,
}

/// What the change page starts from.
#[derive(Debug, Clone, Serialize)]
pub struct DetailsContext {
    pub contract_number: String,
    pub program: Program,
    /// The contract's holder is a corporation (names change with staff review).
    pub corporation: bool,
    pub current: RegisteredDetails,
}

/// A change checked without storing anything (the confirmation page).
#[derive(Debug, Clone, Serialize)]
pub struct DetailsPreview {
    pub changes: Vec<FieldChange>,
    /// Why the change would wait for staff (empty: it completes at once).
    pub review_reasons: Vec<String>,
}

/// The result of a change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DetailsChange {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    /// `completed`, or `in_review` when staff must decide (`checks` say why).
    pub status: ApplicationStatus,
    pub changes: Vec<FieldChange>,
    pub checks: Vec<Check>,
    /// The evidence filed with the application, if any.
    pub evidence: Option<EvidenceRef>,
}

impl Outcome for DetailsChange {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

/// The form fields in page order, with their labels.
pub const FIELDS: [(&str, &str); 12] = [
    ("holder_name", "契約者の氏名"),
    ("business_name", "事業所名・屋号（法人名）"),
    ("representative", "代表者"),
    ("postcode", "郵便番号"),
    ("prefecture", "都道府県"),
    ("city", "市区町村"),
    ("address_line", "町名・番地"),
    ("business_address", "事業所所在地"),
    ("phone", "電話番号"),
    ("email", "メールアドレス"),
    ("capital_yen", "資本金（出資金）"),
    ("employees", "常時使用する従業員数"),
];

/// The label of a form field.
pub fn label_of(field: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(n, _)| *n == field)
        .map_or("", |(_, l)| l)
}

/// Pictographs (emoji) are not part of a registered name or address: SMRJ's records and the
/// Zengin files are JIS text.
fn has_emoji(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c,
            '\u{1F000}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}' | '\u{2B00}'..='\u{2BFF}'
            | '\u{FE0E}' | '\u{FE0F}' | '\u{200D}' | '\u{E0000}'..='\u{E007F}')
    })
}

/// `山田　太郎 ` → `山田 太郎`: spaces of either width, collapsed, so a re-typed equal name
/// does not count as a change.
fn normalize_spaces(s: &str) -> String {
    s.split([' ', '\u{3000}'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn normalize_phone(s: &str) -> String {
    to_ascii_digits(s)
        .chars()
        .filter(|c| !matches!(c, '-' | 'ー' | '－' | '‐' | '−' | ' ' | '\u{3000}'))
        .collect()
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.chars().all(|c| c.is_ascii_graphic())
}

impl DetailsForm {
    /// Parses the fields sent, reporting every problem at once (Japanese, per field).
    pub fn parse(&self) -> Result<DetailsInput, AppError> {
        let mut p = Parser { errors: Vec::new() };
        let name = |p: &mut Parser, field: &str, sent: &Option<String>, optional: bool| {
            let v = sent.as_ref()?;
            let label = label_of(field);
            if optional && v.trim().is_empty() {
                return Some(String::new());
            }
            let s = p.required(field, sent, label)?;
            if has_emoji(s) {
                p.err(field, "character", format!("{label}に絵文字は使えません。"));
                return None;
            }
            Some(normalize_spaces(s))
        };
        let holder_name = name(&mut p, "holder_name", &self.holder_name, false);
        let business_name = name(&mut p, "business_name", &self.business_name, false);
        let representative = name(&mut p, "representative", &self.representative, true);
        let prefecture = name(&mut p, "prefecture", &self.prefecture, false);
        let city = name(&mut p, "city", &self.city, false);
        let address_line = name(&mut p, "address_line", &self.address_line, false);
        let business_address = name(&mut p, "business_address", &self.business_address, true);
        let postcode = self.postcode.as_ref().and_then(|_| {
            let s = p.required("postcode", &self.postcode, "郵便番号")?;
            let code = kyosai_refdata::normalize_postcode(s)
                .filter(|c| !kyosai_refdata::postcode(c).is_empty());
            if code.is_none() {
                p.err(
                    "postcode",
                    "unknown",
                    "郵便番号が見つかりません。7桁の郵便番号をお確かめください。",
                );
            }
            code
        });
        let phone = self.phone.as_ref().and_then(|_| {
            let s = p.required("phone", &self.phone, "電話番号")?;
            let digits = normalize_phone(s);
            if (10..=11).contains(&digits.len())
                && digits.starts_with('0')
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                Some(digits)
            } else {
                p.err(
                    "phone",
                    "format",
                    "電話番号は0から始まる10桁または11桁の数字で入力してください。",
                );
                None
            }
        });
        let email = self.email.as_ref().and_then(|_| {
            let s = p.required("email", &self.email, "メールアドレス")?;
            if valid_email(s) {
                Some(s.to_string())
            } else {
                p.err(
                    "email",
                    "format",
                    "メールアドレスは「name@example.jp」の形で、半角英数字で入力してください。",
                );
                None
            }
        });
        let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        let capital_yen = if given(&self.capital_yen) {
            p.yen(
                "capital_yen",
                &self.capital_yen,
                "資本金（出資金）",
                10_000_000_000_000,
            )
        } else {
            None
        };
        let employees = if given(&self.employees) {
            p.count(
                "employees",
                &self.employees,
                "常時使用する従業員数",
                1_000_000,
            )
        } else {
            None
        };
        let evidence = self
            .evidence
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if !p.errors.is_empty() {
            return Err(AppError::Invalid(p.errors));
        }
        Ok(DetailsInput {
            holder_name,
            business_name,
            representative,
            postcode,
            prefecture,
            city,
            address_line,
            business_address,
            phone,
            email,
            capital_yen,
            employees,
            evidence,
        })
    }
}

/// The registered details with the submitted values applied.
fn merged(current: &Details, i: &DetailsInput) -> Details {
    let pick = |new: &Option<String>, old: &String| new.clone().unwrap_or_else(|| old.clone());
    Details {
        holder_name: pick(&i.holder_name, &current.holder_name),
        business_name: pick(&i.business_name, &current.business_name),
        representative: pick(&i.representative, &current.representative),
        postcode: pick(&i.postcode, &current.postcode),
        prefecture: pick(&i.prefecture, &current.prefecture),
        city: pick(&i.city, &current.city),
        address_line: pick(&i.address_line, &current.address_line),
        business_address: pick(&i.business_address, &current.business_address),
        phone: pick(&i.phone, &current.phone),
        email: pick(&i.email, &current.email),
        capital_yen: i.capital_yen.or(current.capital_yen),
        employees: i.employees.unwrap_or(current.employees),
        legal_form: current.legal_form.clone(),
        industry: current.industry.clone(),
    }
}

fn shown(field: &str, d: &Details) -> String {
    match field {
        "holder_name" => d.holder_name.clone(),
        "business_name" => d.business_name.clone(),
        "representative" => d.representative.clone(),
        "postcode" => match (d.postcode.get(..3), d.postcode.get(3..)) {
            (Some(a), Some(b)) => format!("{a}-{b}"),
            _ => d.postcode.clone(),
        },
        "prefecture" => d.prefecture.clone(),
        "city" => d.city.clone(),
        "address_line" => d.address_line.clone(),
        "business_address" => d.business_address.clone(),
        "phone" => d.phone.clone(),
        "email" => d.email.clone(),
        "capital_yen" => d
            .capital_yen
            .map(|y| kyosai_domain::Yen::new(y).to_string())
            .unwrap_or_default(),
        "employees" => format!("{}人", d.employees),
        _ => String::new(),
    }
}

/// The fields whose value differs between `before` and `after`, in page order.
fn changes(before: &Details, after: &Details) -> Vec<FieldChange> {
    FIELDS
        .iter()
        .filter_map(|(field, label)| {
            let (b, a) = (shown(field, before), shown(field, after));
            (b != a).then(|| FieldChange {
                field: (*field).into(),
                label: (*label).into(),
                before: b,
                after: a,
            })
        })
        .collect()
}

fn is_corporation(d: &Details) -> bool {
    LegalForm::parse(&d.legal_form).is_some_and(|f| f != LegalForm::Individual)
}

/// The checks of a change (no I/O but the evidence look-up): what the module doc lists.
async fn assess(
    conn: &mut AnyConnection,
    c: &Contract,
    current: &Details,
    input: &DetailsInput,
    rules: &RuleSet,
) -> Result<(Assessment, Vec<FieldChange>, Details), AppError> {
    let after = merged(current, input);
    let list = changes(current, &after);
    if list.is_empty() {
        return Err(AppError::Unprocessable {
            code: "no_change",
            message: "変更はありません。変更する項目を入力してください。".into(),
        });
    }
    let changed = |f: &str| list.iter().any(|x| x.field == f);
    let mut checks = Vec::new();
    let corporation = is_corporation(current);
    if changed("representative") && !(c.program == Program::SafetyNet && corporation) {
        checks.push(Check::new(
            "representative",
            CheckStatus::Failed,
            Some("representative"),
            "代表者は、経営セーフティ共済の法人のご契約でのみ届け出ます。",
        ));
    }
    for f in ["capital_yen", "employees"] {
        if changed(f) && c.program != Program::SafetyNet {
            checks.push(Check::new(
                "size_not_recorded",
                CheckStatus::Failed,
                Some(f),
                format!(
                    "小規模企業共済では{}の変更を届け出る必要はありません（従業員数は加入時だけ確認します）。",
                    label_of(f)
                ),
            ));
        }
    }
    if ["postcode", "prefecture", "city", "address_line"]
        .iter()
        .any(|f| changed(f))
    {
        let places = kyosai_refdata::postcode(&after.postcode);
        if places.iter().any(|p| p.prefecture == after.prefecture) {
            checks.push(Check::new(
                "address",
                CheckStatus::Passed,
                None,
                "郵便番号と都道府県は一致しています。",
            ));
        } else {
            checks.push(Check::new(
                "address",
                CheckStatus::Failed,
                Some("prefecture"),
                format!(
                    "郵便番号{}は{}の番号です。郵便番号と都道府県をお確かめください。",
                    shown("postcode", &after),
                    places.first().map_or("別の都道府県", |p| p.prefecture)
                ),
            ));
        }
    }
    let name_change = changed("holder_name") || (corporation && changed("business_name"));
    if name_change {
        match &input.evidence {
            None => checks.push(Check::new(
                "evidence",
                CheckStatus::Failed,
                Some("evidence"),
                "氏名・名称の変更には、変更が分かる書類（戸籍抄本、住民票、登記事項証明書など）の添付が必要です。",
            )),
            Some(token) => {
                let found = evidence::by_token(conn, token).await?;
                let usable = found.is_some_and(|e| {
                    e.member_id == c.member_id
                        && e.application_id.is_none()
                        && e.contract_id.is_none_or(|id| id == c.id)
                });
                if !usable {
                    checks.push(Check::new(
                        "evidence",
                        CheckStatus::Failed,
                        Some("evidence"),
                        "添付書類が見つかりません。もう一度ファイルを添付してください。",
                    ));
                } else if corporation {
                    checks.push(Check::new(
                        "corporate_name",
                        CheckStatus::NeedsReview,
                        None,
                        "法人の名称・氏名の変更は、添付の書類を職員が確認します。",
                    ));
                } else {
                    checks.push(Check::new(
                        "evidence",
                        CheckStatus::Passed,
                        None,
                        "氏名の変更を確認する書類が添付されています。",
                    ));
                }
            }
        }
    }
    if c.program == Program::SafetyNet && (changed("capital_yen") || changed("employees")) {
        let limit = LegalForm::parse(&after.legal_form)
            .zip(Industry::parse(&after.industry))
            .and_then(|(form, industry)| rules.eligibility.size_limit(form, industry));
        let within = limit.is_some_and(|l| {
            i64::from(l.employees) >= after.employees
                || l.capital_yen
                    .zip(after.capital_yen)
                    .is_some_and(|(max, cap)| cap <= max.get())
        });
        if within {
            checks.push(Check::new(
                "size",
                CheckStatus::Passed,
                None,
                "資本金・従業員数は加入資格の範囲内です。",
            ));
        } else {
            let reason = match limit {
                Some(l) => match l.capital_yen {
                    Some(max) => format!(
                        "変更後の資本金・従業員数が加入資格（資本金{}以下または従業員{}人以下）を超えます。契約の継続について職員が確認します。",
                        max, l.employees
                    ),
                    None => format!(
                        "変更後の従業員数が加入資格（{}人以下）を超えます。契約の継続について職員が確認します。",
                        l.employees
                    ),
                },
                None => "業種の加入資格が確認できません。職員が確認します。".into(),
            };
            checks.push(Check::new("size", CheckStatus::NeedsReview, None, reason));
        }
    }
    checks.push(Check::new(
        "contract_active",
        CheckStatus::Passed,
        None,
        "契約は有効です。",
    ));
    Ok((
        Assessment {
            rule_set: rules.id.clone(),
            checks,
        },
        list,
        after,
    ))
}

/// A contract's details in force: the newest recorded set, else those it was enrolled with
/// (read from the enrollment application's form and the member's e-mail: the lazy backfill).
pub(crate) async fn current_details(
    conn: &mut AnyConnection,
    c: &Contract,
) -> Result<Details, AppError> {
    match details::current(conn, c.id).await? {
        Some(r) => Ok(r.details),
        None => enrolled_details(conn, c).await,
    }
}

/// The details a contract was enrolled with (its enrollment form, the member's e-mail).
async fn enrolled_details(conn: &mut AnyConnection, c: &Contract) -> Result<Details, AppError> {
    let application = applications::get(conn, c.application_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("contract {}: no application", c.id).into()))?;
    let form: EnrollmentForm = serde_json::from_str(&application.payload)
        .map_err(|e| AppError::Internal(format!("application {}: {e}", application.id).into()))?;
    let email = users::by_id(conn, c.member_id)
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    let t = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_string();
    let postcode = form.postcode.as_deref().unwrap_or("");
    // The names as enrolled come from the form, not the contract row: once a change
    // completes, the row holds the new names.
    Ok(Details {
        holder_name: normalize_spaces(&format!("{} {}", t(&form.family_name), t(&form.given_name))),
        business_name: normalize_spaces(&t(&form.business_name)),
        // 倒産防止 corporations name their representative at enrollment.
        representative: normalize_spaces(&t(&form.representative_name)),
        postcode: kyosai_refdata::normalize_postcode(postcode)
            .unwrap_or_else(|| postcode.to_string()),
        prefecture: t(&form.prefecture),
        city: t(&form.city),
        address_line: t(&form.address_line),
        business_address: String::new(),
        phone: normalize_phone(form.phone.as_deref().unwrap_or("")),
        email,
        capital_yen: form
            .capital_yen
            .as_deref()
            .and_then(|s| kyosai_domain::input::parse_yen(s).ok()),
        employees: form
            .employees
            .as_deref()
            .and_then(|s| kyosai_domain::input::parse_count(s).ok())
            .unwrap_or(0),
        legal_form: t(&form.legal_form),
        industry: t(&form.industry),
    })
}

impl App {
    /// What the change page starts from: the details in force.
    pub async fn details_context(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<DetailsContext, AppError> {
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        let current = current_details(&mut conn, &c).await?;
        Ok(DetailsContext {
            contract_number: c.number.clone(),
            program: c.program,
            corporation: is_corporation(&current),
            current: RegisteredDetails::from(&current),
        })
    }

    /// The details of a contract in force (staff, or its member).
    pub async fn registered_details(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<RegisteredDetails, AppError> {
        let mut conn = self.store.read().await?;
        let c = contracts::by_number(&mut conn, number)
            .await?
            .ok_or(AppError::NotFound)?;
        if !(actor.role == Role::Staff
            || (actor.role == Role::Member && actor.user_id == c.member_id))
        {
            return Err(AppError::NotFound);
        }
        self.log_personal_data_view(actor, c.member_id, "details", number)
            .await?;
        Ok(RegisteredDetails::from(
            &current_details(&mut conn, &c).await?,
        ))
    }

    /// A details change application's fields, old → new, for staff: against the details in
    /// force while it waits, against the set it replaced once completed.
    pub async fn details_change_fields(
        &self,
        actor: &Actor,
        application_id: ApplicationId,
    ) -> Result<Vec<FieldChange>, AppError> {
        crate::review::require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let a = applications::get(&mut conn, application_id)
            .await?
            .filter(|a| a.procedure == Procedure::DetailsChange)
            .ok_or(AppError::NotFound)?;
        let c = match a.contract_id {
            Some(id) => contracts::get(&mut conn, id)
                .await?
                .ok_or(AppError::NotFound)?,
            None => {
                return Err(AppError::Internal(
                    "a details change without a contract".into(),
                ));
            }
        };
        if a.status != ApplicationStatus::Completed {
            let form: DetailsForm = serde_json::from_str(&a.payload)
                .map_err(|e| AppError::Internal(format!("application {}: {e}", a.id).into()))?;
            let input = form.parse()?;
            let before = current_details(&mut conn, &c).await?;
            return Ok(changes(&before, &merged(&before, &input)));
        }
        let history = details::history(&mut conn, c.id).await?;
        let Some(i) = history.iter().position(|r| r.application_id == Some(a.id)) else {
            return Ok(Vec::new());
        };
        let before = match i.checked_sub(1).and_then(|j| history.get(j)) {
            Some(r) => r.details.clone(),
            None => enrolled_details(&mut conn, &c).await?,
        };
        Ok(changes(&before, &history[i].details))
    }

    /// Checks a change without storing anything (the confirmation page): the fields, which
    /// values change (old → new) and whether it would wait for staff.
    pub async fn preview_details_change(
        &self,
        actor: &Actor,
        number: &str,
        form: &DetailsForm,
    ) -> Result<DetailsPreview, AppError> {
        let input = form.parse()?;
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        ensure_no_pending(&mut conn, c.id).await?;
        let current = current_details(&mut conn, &c).await?;
        let rules = self.rules_for(c.program)?;
        let (assessment, changes, _) = assess(&mut conn, &c, &current, &input, &rules).await?;
        let errors = assessment.field_errors();
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(DetailsPreview {
            changes,
            review_reasons: assessment
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::NeedsReview)
                .map(|c| c.message.clone())
                .collect(),
        })
    }

    /// Changes the contract's registered details; the channel follows the actor (`online` for
    /// the member, `paper` when staff key in a 変更届 for them).
    pub async fn change_details(
        &self,
        actor: &Actor,
        number: &str,
        form: &DetailsForm,
    ) -> Result<DetailsChange, AppError> {
        self.run_procedure::<DetailsChangeProcedure>(actor, number, form, None)
            .await?
            .fresh()
    }
}

/// What completing a change produced.
pub(crate) struct Completed {
    changes: Vec<FieldChange>,
    after: Details,
}

/// The details change on the procedure framework: the subject is the contract; completing
/// records the new set from today and makes the contract's names follow.
pub(crate) struct DetailsChangeProcedure;

impl ProcedureRules for DetailsChangeProcedure {
    const PROCEDURE: Procedure = Procedure::DetailsChange;
    type Target = str;
    type Form = DetailsForm;
    type Input = DetailsInput;
    type Done = Completed;
    type Answer = DetailsChange;

    fn parse(form: &DetailsForm) -> Result<DetailsInput, AppError> {
        form.parse()
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &DetailsInput,
    ) -> Result<Subject, AppError> {
        maintenance_subject(conn, actor, number).await
    }

    async fn check(
        _app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &DetailsInput,
        rules: &RuleSet,
    ) -> Result<Checked<DetailsChange>, AppError> {
        let c = crate::procedure::subject_contract(conn, subject).await?;
        let current = current_details(conn, &c).await?;
        let (assessment, _, _) = assess(conn, &c, &current, input, rules).await?;
        Ok(Checked::Assessed(assessment))
    }

    async fn complete(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        input: &DetailsInput,
    ) -> Result<Completed, AppError> {
        let c = crate::procedure::subject_contract(conn, subject).await?;
        // At approval the details in force may have moved on: the stored submission applies
        // to them, field by field.
        let before = current_details(conn, &c).await?;
        let after = merged(&before, input);
        let list = changes(&before, &after);
        let today = app.clock.today().to_string();
        let id = details::insert(
            conn,
            c.id,
            &today,
            Some(filed.application_id),
            &after,
            &filed.now,
        )
        .await?;
        if after.holder_name != c.holder_name || after.business_name != c.business_name {
            details::set_contract_names(conn, c.id, &after.holder_name, &after.business_name)
                .await?;
        }
        filed.audit("details.changed",
            &format!("contract:{}", c.id),
            Some(&json!({ "fields": list.iter().map(|x| json!({"field": x.field, "before": x.before})).collect::<Vec<_>>() })),
            Some(&json!({
                "details": id,
                "effective_from": today,
                "application": filed.application_id,
                "fields": list.iter().map(|x| json!({"field": x.field, "after": x.after})).collect::<Vec<_>>(),
            })),
        );
        Ok(Completed {
            changes: list,
            after,
        })
    }

    async fn answer(
        _app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        assessment: Assessment,
        input: DetailsInput,
        done: Option<Completed>,
    ) -> Result<DetailsChange, AppError> {
        // The evidence is filed with the application here, the one step that runs whether the
        // change completed or waits for staff (who download it from the application).
        let mut filed_evidence = None;
        if let Some(token) = &input.evidence {
            crate::evidence::file_with(conn, std::slice::from_ref(token), filed.application_id)
                .await?;
            filed_evidence = evidence::by_token(conn, token)
                .await?
                .as_ref()
                .map(EvidenceRef::from);
        }
        let changes = match done {
            Some(d) => d.changes,
            None => {
                let c = crate::procedure::subject_contract(conn, subject).await?;
                let before = current_details(conn, &c).await?;
                changes(&before, &merged(&before, &input))
            }
        };
        Ok(DetailsChange {
            application_id: filed.application_id,
            status: filed.status,
            changes,
            checks: assessment.checks,
            evidence: filed_evidence,
        })
    }

    /// 契約内容確認書 with every item changed, to the address now registered.
    async fn letter(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        _input: &DetailsInput,
        done: &Completed,
    ) -> Result<Option<(ContractId, Letter)>, AppError> {
        let c = crate::procedure::subject_contract(conn, subject).await?;
        let shown = |v: &str| {
            ChangeValue::Text(if v.is_empty() {
                "（なし）".into()
            } else {
                v.into()
            })
        };
        let changes = done
            .changes
            .iter()
            .map(|x| ChangedItem {
                item: x.label.clone(),
                before: shown(&x.before),
                after: shown(&x.after),
            })
            .collect();
        let notice = app
            .contract_details_letter(
                conn,
                &c,
                Procedure::DetailsChange.name_ja(),
                app.clock.today(),
                changes,
            )
            .await?;
        Ok(Some((c.id, Letter::ContractDetails(notice))))
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        _input: &DetailsInput,
        done: &Completed,
    ) -> MailText {
        let lines: String = done
            .changes
            .iter()
            .map(|x| {
                let before = if x.before.is_empty() {
                    "（なし）"
                } else {
                    &x.before
                };
                let after = if x.after.is_empty() {
                    "（なし）"
                } else {
                    &x.after
                };
                format!("{}：{} → {}\n", x.label, before, after)
            })
            .collect();
        MailText {
            subject: format!("【{}】登録内容を変更しました", subject.program.name_ja()),
            body: format!(
                "{} 様\n\n登録内容の変更を受け付け、次のとおり変更しました（受付番号：{}）。\n\n{}\n\
                 お心当たりがない場合は、お問い合わせください。\n{}/portal\n",
                done.after.holder_name, filed.application_id, lines, app.public_url
            ),
        }
    }
}
