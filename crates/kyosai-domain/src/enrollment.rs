//! Enrollment (加入申込): the automatic checks of REFERENCE §1 (eligibility) and §2.1 (premiums)
//! run the moment an application arrives.
//!
//! Each check ends as passed, needs review (a person must decide, e.g. a co-manager's evidence)
//! or failed (the applicant must correct a field). The app layer completes the contract in the
//! same request only when every check passed.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::money::Yen;
use crate::procedure::{Assessment, Check, CheckStatus};
use crate::program::Program;
use crate::rules::{Industry, LegalForm, PaymentFrequency, PremiumError, RuleSet};

/// 個人事業主 / 会社等の役員 / 共同経営者 (小規模 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantRole {
    SoleProprietor,
    CompanyOfficer,
    CoManager,
}

impl ApplicantRole {
    pub const ALL: [ApplicantRole; 3] = [
        ApplicantRole::SoleProprietor,
        ApplicantRole::CompanyOfficer,
        ApplicantRole::CoManager,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicantRole::SoleProprietor => "sole_proprietor",
            ApplicantRole::CompanyOfficer => "company_officer",
            ApplicantRole::CoManager => "co_manager",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ApplicantRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            ApplicantRole::SoleProprietor => "個人事業主",
            ApplicantRole::CompanyOfficer => "会社等の役員",
            ApplicantRole::CoManager => "共同経営者",
        }
    }
}

/// The declarations every applicant must make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Declarations {
    /// 記載内容が事実と相違ないこと
    pub truthful: bool,
    /// 反社会的勢力に該当しないこと
    pub not_antisocial: bool,
    /// 加入資格を満たしていること (the program's own wording: [`eligibility_declaration`])
    pub eligible: bool,
}

/// What the applicant declares about eligibility, in the program's own terms: 小規模 excludes
/// salaried employees with a side business (REFERENCE §1.1); 倒産防止 asks for the years in
/// business of the rule set in force and excludes the bodies it does not admit (REFERENCE §1.2).
pub fn eligibility_declaration(rules: &RuleSet) -> String {
    match rules.program {
        Program::SmallEnterprise => {
            "加入資格を満たしています（給与所得者の副業ではないこと等）".into()
        }
        Program::SafetyNet => {
            let years = rules
                .eligibility
                .min_years_in_business
                .as_ref()
                .map(|y| format!("引き続き{}年以上事業を営んでいること、", y.value))
                .unwrap_or_default();
            format!(
                "加入資格を満たしています（{years}医療法人・農事組合法人・NPO法人など加入できない法人ではないこと等）"
            )
        }
    }
}

/// What the rules look at. Parsed, typed input: raw text never reaches this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentFacts {
    pub program: Program,
    /// 小規模 only.
    pub role: Option<ApplicantRole>,
    pub legal_form: LegalForm,
    pub industry: Industry,
    pub employees: u32,
    /// None for a sole proprietorship (no capital).
    pub capital: Option<Yen>,
    pub business_started_on: Date,
    pub birth_date: Date,
    pub monthly_premium: Yen,
    pub frequency: PaymentFrequency,
    pub declarations: Declarations,
    /// The debit account is in the applicant's own name (the app compares the kana). Anything
    /// else — a family member's or a company's account — is for staff to see before the
    /// account goes into a debit file.
    pub account_in_applicants_name: bool,
}

/// What the business rules (REFERENCE §1.1, §1.2: legal form, role, size, years in business)
/// look at: the facts of the form's business step (plus the role chosen before it), so that
/// step checks them the moment it is filled in, with the same functions as the final
/// [`assess`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessFacts {
    pub program: Program,
    pub role: Option<ApplicantRole>,
    pub legal_form: LegalForm,
    pub industry: Industry,
    pub employees: u32,
    pub capital: Option<Yen>,
    pub business_started_on: Date,
}

impl EnrollmentFacts {
    pub fn business(&self) -> BusinessFacts {
        BusinessFacts {
            program: self.program,
            role: self.role,
            legal_form: self.legal_form,
            industry: self.industry,
            employees: self.employees,
            capital: self.capital,
            business_started_on: self.business_started_on,
        }
    }
}

/// Facts from the database that the rules need; the app layer looks them up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EnrollmentContext {
    pub today: Date,
    /// The member already holds an active contract in this program (one capacity only).
    pub already_member: bool,
    /// Another account has a contract for a person with the same name and birth date.
    pub possible_duplicate: bool,
    /// 共同経営者 applications: active co-manager contracts of the same proprietor (the app
    /// identifies the proprietor by the business name and business postcode on the form).
    pub co_managers_of_proprietor: u32,
}

struct Checks(Vec<Check>);

impl Checks {
    fn pass(&mut self, code: &str, message: impl Into<String>) {
        self.push(code, CheckStatus::Passed, None, message);
    }
    fn fail(&mut self, code: &str, field: &str, message: impl Into<String>) {
        self.push(code, CheckStatus::Failed, Some(field), message);
    }
    fn review(&mut self, code: &str, message: impl Into<String>) {
        self.push(code, CheckStatus::NeedsReview, None, message);
    }
    fn push(
        &mut self,
        code: &str,
        status: CheckStatus,
        field: Option<&str>,
        message: impl Into<String>,
    ) {
        self.0.push(Check {
            code: code.into(),
            status,
            field: field.map(Into::into),
            message: message.into(),
        });
    }
}

/// Full years between two dates (age, years in business).
pub fn full_years(from: Date, to: Date) -> i16 {
    let mut years = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

/// The applicant's checks (age, REFERENCE §1.1: minors need conditions): the form's first step
/// runs them as soon as the birth date is given; [`assess`] runs them again at the submit.
pub fn check_applicant(birth_date: Date, rules: &RuleSet, today: Date) -> Vec<Check> {
    let mut c = Checks(Vec::new());
    check_age(birth_date, rules, today, &mut c);
    c.0
}

/// The business checks (years in business, legal form, role, size: REFERENCE §1.1, §1.2): the
/// form's business step runs them; [`assess`] runs them again at the submit.
pub fn check_business(b: &BusinessFacts, rules: &RuleSet, today: Date) -> Vec<Check> {
    let mut c = Checks(Vec::new());
    check_business_dates(b, rules, today, &mut c);
    check_form_and_size(b, rules, 0, &mut c);
    c.0
}

/// The premium checks (amount range and step, allowed payment frequency: REFERENCE §2.1): the
/// form's premium step runs them; [`assess`] runs them again at the submit.
pub fn check_premium(
    monthly_premium: Yen,
    frequency: PaymentFrequency,
    rules: &RuleSet,
) -> Vec<Check> {
    let mut c = Checks(Vec::new());
    check_premium_into(monthly_premium, frequency, rules, &mut c);
    c.0
}

/// Runs every automatic check of the rule set on an application.
pub fn assess(facts: &EnrollmentFacts, rules: &RuleSet, ctx: &EnrollmentContext) -> Assessment {
    let mut c = Checks(Vec::new());
    check_premium_into(facts.monthly_premium, facts.frequency, rules, &mut c);
    check_age(facts.birth_date, rules, ctx.today, &mut c);
    let business = facts.business();
    check_business_dates(&business, rules, ctx.today, &mut c);
    check_form_and_size(&business, rules, ctx.co_managers_of_proprietor, &mut c);
    check_declarations(facts, &mut c);
    if ctx.already_member {
        c.fail(
            "one_contract",
            "program",
            format!(
                "すでに{}の契約をお持ちです。同じ共済には重ねて加入できません。",
                facts.program.name_ja()
            ),
        );
    } else {
        c.pass("one_contract", "同じ共済の契約はありません。");
    }
    if facts.account_in_applicants_name {
        c.pass(
            "account_holder",
            "口座名義はお申込みの方のお名前と一致します。",
        );
    } else {
        c.review(
            "account_holder",
            "口座名義がお申込みの方のお名前と一致しません。どなたの口座か職員が確認します。",
        );
    }
    if ctx.possible_duplicate {
        c.review(
            "possible_duplicate",
            "同じ氏名・生年月日の方の契約が別にあります。重複加入でないか職員が確認します。",
        );
    }
    Assessment {
        rule_set: rules.id.clone(),
        checks: c.0,
    }
}

fn check_premium_into(premium: Yen, frequency: PaymentFrequency, rules: &RuleSet, c: &mut Checks) {
    let p = &rules.premium;
    match p.check_monthly(premium) {
        Ok(()) => c.pass("premium", format!("掛金月額{premium}は範囲内です。")),
        Err(e @ PremiumError::OutOfRange { .. }) => {
            c.fail("premium_range", "monthly_premium_yen", e.message())
        }
        Err(e @ PremiumError::NotAStep { .. }) => {
            c.fail("premium_step", "monthly_premium_yen", e.message())
        }
    }
    if p.frequencies.value.contains(&frequency) {
        c.pass(
            "frequency",
            format!("払込方法（{}）は選択できます。", frequency.name_ja()),
        );
    } else {
        c.fail(
            "frequency",
            "payment_frequency",
            format!("この共済では{}は選択できません。", frequency.name_ja()),
        );
    }
}

fn check_age(birth_date: Date, rules: &RuleSet, today: Date, c: &mut Checks) {
    let age = full_years(birth_date, today);
    if birth_date > today || age > 120 {
        c.fail("birth_date", "birth_date", "生年月日が正しくありません。");
    } else if age < rules.eligibility.review_below_age.value {
        c.review(
            "minor",
            format!(
                "申込者が{}歳未満のため、法定代理人の同意などを職員が確認します。",
                rules.eligibility.review_below_age.value
            ),
        );
    } else {
        c.pass("age", "年齢の条件を満たしています。");
    }
}

fn check_business_dates(f: &BusinessFacts, rules: &RuleSet, today: Date, c: &mut Checks) {
    if f.business_started_on > today {
        c.fail(
            "business_started",
            "business_started_on",
            "事業開始日が未来の日付になっています。",
        );
        return;
    }
    if let Some(min_years) = &rules.eligibility.min_years_in_business {
        if full_years(f.business_started_on, today) < min_years.value {
            c.fail(
                "years_in_business",
                "business_started_on",
                format!(
                    "引き続き{}年以上事業を営んでいることが必要です（事業開始日から{}年たっていません）。",
                    min_years.value, min_years.value
                ),
            );
        } else {
            c.pass(
                "years_in_business",
                "事業の継続期間の条件を満たしています。",
            );
        }
    }
}

/// `co_managers_of_proprietor`: the proprietor's co-managers already in (known at the submit;
/// the form's business step passes 0 and leaves the count to the submit).
fn check_form_and_size(
    f: &BusinessFacts,
    rules: &RuleSet,
    co_managers_of_proprietor: u32,
    c: &mut Checks,
) {
    let e = &rules.eligibility;
    if !e.legal_forms.value.contains(&f.legal_form) {
        c.fail(
            "legal_form",
            "legal_form",
            format!(
                "{}は{}に加入できません。",
                f.legal_form.name_ja(),
                f.program.name_ja()
            ),
        );
        return;
    }
    if f.program == Program::SmallEnterprise {
        let Some(role) = f.role else {
            c.fail("role", "role", "加入される方の立場を選んでください。");
            return;
        };
        let individual = f.legal_form == LegalForm::Individual;
        let consistent = match role {
            ApplicantRole::SoleProprietor | ApplicantRole::CoManager => individual,
            ApplicantRole::CompanyOfficer => !individual,
        };
        if !consistent {
            c.fail(
                "role_legal_form",
                "legal_form",
                format!(
                    "{}の場合、事業の形態に「{}」は選べません。",
                    role.name_ja(),
                    f.legal_form.name_ja()
                ),
            );
            return;
        }
        if role == ApplicantRole::CoManager {
            let max = e
                .max_co_managers_per_proprietor
                .as_ref()
                .map_or(2, |m| m.value);
            // A hard limit of the program (REFERENCE §1.1 #6), not a judgement: refused outright.
            if co_managers_of_proprietor >= max {
                c.fail(
                    "co_manager_limit",
                    "business_name",
                    format!(
                        "この事業主の共同経営者はすでに{max}人加入しています。共同経営者として加入できるのは1事業主あたり{max}人までです。"
                    ),
                );
                return;
            }
            c.review(
                "co_manager_evidence",
                format!(
                    "共同経営者の加入は、経営への参画と報酬の受領を示す書類を職員が確認します（1事業主あたり{max}人まで）。"
                ),
            );
        }
    }
    let Some(limit) = e.size_limit(f.legal_form, f.industry) else {
        c.fail("industry", "industry", "業種が正しくありません。");
        return;
    };
    let employees_ok = f.employees <= limit.employees;
    let capital_ok = match (limit.capital_yen, f.capital) {
        (Some(max), Some(capital)) => capital <= max,
        _ => false,
    };
    if employees_ok || capital_ok {
        c.pass("size", "従業員数・資本金の条件を満たしています。");
    } else if let Some(max_capital) = limit.capital_yen {
        c.fail(
            "size",
            "employees",
            format!(
                "{}の場合、資本金{}以下または常時使用する従業員{}人以下であることが必要です。",
                f.industry.name_ja(),
                max_capital,
                limit.employees
            ),
        );
    } else {
        c.fail(
            "size",
            "employees",
            format!(
                "{}の場合、常時使用する従業員は{}人以下であることが必要です。",
                f.industry.name_ja(),
                limit.employees
            ),
        );
    }
}

fn check_declarations(f: &EnrollmentFacts, c: &mut Checks) {
    let d = f.declarations;
    let mut all = true;
    if !d.truthful {
        all = false;
        c.fail(
            "declaration",
            "declarations.truthful",
            "申込内容が事実と相違ないことを確認してください。",
        );
    }
    if !d.not_antisocial {
        all = false;
        c.fail(
            "declaration",
            "declarations.not_antisocial",
            "反社会的勢力に該当しないことを確認してください。",
        );
    }
    if !d.eligible {
        all = false;
        c.fail(
            "declaration",
            "declarations.eligible",
            "加入資格を満たしていることを確認してください。",
        );
    }
    if all {
        c.pass("declaration", "必要な同意・確認がそろっています。");
    }
}

#[cfg(test)]
mod tests;
