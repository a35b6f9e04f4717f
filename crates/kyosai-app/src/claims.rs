//! 共済金等の請求 of 小規模企業共済 (issue #11 items 1–3; REFERENCE §3) on the procedure
//! framework, shaped like the 任意解約: the contract is the subject, `contracts::lock` serialises
//! it, and the decision, the contract's end, the payouts, the mail and the audit are written in one
//! transaction.
//!
//! The claimant names the event, its date and the payout form (a death claim adds the bereaved
//! claimant). The checks determine the payment (共済金A/B, 準共済金, 解約手当金) from the event and
//! the holder's position and age (REFERENCE §3.1), work the amount out from the contract's own
//! collected premiums by the rule set in force, net the outstanding loans and unpaid premiums, and
//! check the payout form (§3.5). A bad event, date or form refuses the claim with field errors and
//! stores nothing. A claim whose checks all pass and whose net amount is at most the rule set's
//! `claim.auto_decide_max_yen` is decided at once; otherwise it waits for staff with every check,
//! and above the threshold a first staff sign-off and an approval by someone else are needed
//! (maker-checker, [`App::claim_needs_second_approver`]). Deciding ends the contract
//! (`cancellation_kind = 'benefit_claim'`), schedules one payout per payment into the account given
//! or the mandate in force (`payouts::schedule`), keeps the tax data with each payout (REFERENCE
//! §3.6) and sends the 『支払決定通知書兼振込通知書』.

use crate::rules::small_enterprise;
use jiff::civil::Date;
use kyosai_docs::pdf::data::{self as docs, Letter};
use kyosai_domain::billing as dom;
use kyosai_domain::enrollment::ApplicantRole;
use kyosai_domain::payout::PayoutKind;
use kyosai_domain::procedure::{Assessment, Check, CheckStatus, Decision};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::rules::small_enterprise::SmallEnterpriseRules;
use kyosai_domain::small_enterprise::BenefitResult;
use kyosai_domain::small_enterprise::claim::{
    self, BenefitKind, ClaimEvent, ClaimFacts, Deduction, DeductionKind, Determination, Owed,
    PayoutChoice, PlannedPayment, TaxData, TaxFacts,
};
use kyosai_domain::small_enterprise::payout::PayoutForm;
use kyosai_domain::termination::History;
use kyosai_domain::{
    ApplicationId, ApplicationStatus, ContractId, ContractStatus, Procedure, Program, YearMonth,
    Yen,
};
use kyosai_store::applications::{self, Application};
use kyosai_store::claims as store;
use kyosai_store::contracts::{self, Contract};
use kyosai_store::payouts::{self, PayeeAccount};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::bank_account::{self, AccountFields, BankAccount};
use crate::billing::internal;
use crate::enrollment::EnrollmentForm;
use crate::form_parser::{Parser, text};
use crate::ja_text::ja_date;
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
    contract_subject, ensure_no_pending, subject_contract,
};
use crate::{Actor, App, AppError, Role};

/// The payout form as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimPayoutForm {
    /// `lump_sum`, `instalments` or `combined`.
    pub form: Option<String>,
    /// 10 or 15 (instalments and combined).
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub years: Option<String>,
    /// Combined: the part paid at once.
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub lump_sum_yen: Option<String>,
}

/// The bereaved claimant of a death claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimantForm {
    /// A [`Relation`] identifier (`spouse`, `child`, `parent`, `grandchild`, `grandparent`,
    /// `sibling`, `other_relative`).
    pub relation: Option<String>,
    pub name: Option<String>,
    pub name_kana: Option<String>,
    pub birth_date: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
}

/// A claim as submitted (`POST /api/v1/contracts/{number}/claims`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimForm {
    /// A [`ClaimEvent`] identifier (`business_closed`, `company_dissolved`, `officer_retired`,
    /// `illness_or_injury`, `death`, `old_age`, `incorporated`, `incorporated_as_officer`,
    /// `transferred`).
    pub event: Option<String>,
    /// `YYYY-MM-DD`: the day the event happened.
    pub event_date: Option<String>,
    pub payout: ClaimPayoutForm,
    /// Required for a death claim, refused otherwise.
    pub claimant: Option<ClaimantForm>,
    /// Tokens of uploaded evidence (`POST …/evidence`).
    pub evidence: Vec<String>,
    /// The account to pay into; when absent, the contract's debit account in use.
    pub bank_code: Option<String>,
    pub branch_code: Option<String>,
    pub account_type: Option<String>,
    pub account_number: Option<String>,
    pub account_holder_kana: Option<String>,
}

/// 遺族の範囲及び順位: who may claim after a holder's death, in the law's order (a spouse first,
/// then children, parents, grandchildren, grandparents, siblings, other relatives). REFERENCE
/// does not list it; staff confirm the order from the documents, so every death claim waits for
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Relation {
    Spouse,
    Child,
    Parent,
    Grandchild,
    Grandparent,
    Sibling,
    OtherRelative,
}

impl Relation {
    pub const ALL: [Relation; 7] = [
        Relation::Spouse,
        Relation::Child,
        Relation::Parent,
        Relation::Grandchild,
        Relation::Grandparent,
        Relation::Sibling,
        Relation::OtherRelative,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Parent => "parent",
            Relation::Grandchild => "grandchild",
            Relation::Grandparent => "grandparent",
            Relation::Sibling => "sibling",
            Relation::OtherRelative => "other_relative",
        }
    }

    pub fn parse(s: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Relation::Spouse => "配偶者",
            Relation::Child => "子",
            Relation::Parent => "父母",
            Relation::Grandchild => "孫",
            Relation::Grandparent => "祖父母",
            Relation::Sibling => "兄弟姉妹",
            Relation::OtherRelative => "その他の親族",
        }
    }
}

/// A checked claimant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claimant {
    pub relation: Relation,
    pub name: String,
    pub name_kana: String,
    pub birth_date: Date,
    pub address: String,
    pub phone: Option<String>,
}

/// A parsed claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimInput {
    pub event: ClaimEvent,
    pub event_date: Date,
    pub choice: PayoutChoice,
    pub claimant: Option<Claimant>,
    pub evidence: Vec<String>,
    pub account: Option<BankAccount>,
}

/// The most evidence files one claim names.
const MAX_EVIDENCE: usize = 10;
/// The largest amount accepted as a lump-sum part (above any possible benefit).
const MAX_LUMP_YEN: i64 = 100_000_000_000;

fn parse_form(s: &str) -> Option<PayoutForm> {
    match s {
        "lump_sum" => Some(PayoutForm::LumpSum),
        "instalments" => Some(PayoutForm::Instalments),
        "combined" => Some(PayoutForm::Combined),
        _ => None,
    }
}

impl ClaimForm {
    pub fn parse(&self) -> Result<ClaimInput, AppError> {
        let mut p = Parser { errors: Vec::new() };
        let event = p.choice("event", &self.event, "請求事由", ClaimEvent::parse);
        let event_date = p.date("event_date", &self.event_date, "請求事由が生じた日");
        let form = p.choice("payout.form", &self.payout.form, "受取方法", parse_form);
        let needs_years = matches!(form, Some(PayoutForm::Instalments | PayoutForm::Combined));
        let years = if needs_years {
            p.count("payout.years", &self.payout.years, "分割の期間（年）", 100)
                .and_then(|y| u32::try_from(y).ok())
        } else {
            None
        };
        let lump = if form == Some(PayoutForm::Combined) {
            p.yen(
                "payout.lump_sum_yen",
                &self.payout.lump_sum_yen,
                "一括で受け取る額",
                MAX_LUMP_YEN,
            )
        } else {
            None
        };
        let choice = match (form, years, lump) {
            (Some(PayoutForm::LumpSum), _, _) => Some(PayoutChoice::LumpSum),
            (Some(PayoutForm::Instalments), Some(years), _) => {
                Some(PayoutChoice::Instalments { years })
            }
            (Some(PayoutForm::Combined), Some(years), Some(l)) => Some(PayoutChoice::Combined {
                years,
                lump_sum: Yen::new(l),
            }),
            _ => None,
        };
        let claimant = match (event, &self.claimant) {
            (Some(ClaimEvent::Death), Some(c)) => parse_claimant(&mut p, c),
            (Some(ClaimEvent::Death), None) => {
                p.err(
                    "claimant",
                    "required",
                    "契約者が亡くなられた場合は、請求されるご遺族（続柄・氏名など）を入力してください。",
                );
                None
            }
            (Some(_), Some(_)) => {
                p.err(
                    "claimant",
                    "not_applicable",
                    "ご遺族の情報は、契約者の死亡による請求の場合だけ入力してください。",
                );
                None
            }
            _ => None,
        };
        let evidence = p.evidence(&self.evidence, MAX_EVIDENCE);
        let account = if self
            .bank_code
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
        {
            bank_account::parse(
                &mut p,
                &AccountFields {
                    bank_code: &self.bank_code,
                    branch_code: &self.branch_code,
                    account_type: &self.account_type,
                    account_number: &self.account_number,
                    account_holder_kana: &self.account_holder_kana,
                },
            )
        } else {
            None
        };
        match (event, event_date, choice) {
            (Some(event), Some(event_date), Some(choice)) if p.errors.is_empty() => {
                Ok(ClaimInput {
                    event,
                    event_date,
                    choice,
                    claimant,
                    evidence,
                    account,
                })
            }
            _ => Err(AppError::Invalid(p.errors)),
        }
    }
}

fn parse_claimant(p: &mut Parser, c: &ClaimantForm) -> Option<Claimant> {
    let relation = p.choice(
        "claimant.relation",
        &c.relation,
        "ご遺族の続柄",
        Relation::parse,
    );
    let name = p.name("claimant.name", &c.name, "ご遺族の氏名");
    let name_kana = p.kana(
        "claimant.name_kana",
        &c.name_kana,
        "ご遺族の氏名（フリガナ）",
    );
    let birth_date = p.date("claimant.birth_date", &c.birth_date, "ご遺族の生年月日");
    let address = p.text("claimant.address", &c.address, "ご遺族の住所");
    let phone = c
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Some(Claimant {
        relation: relation?,
        name: name?,
        name_kana: name_kana?,
        birth_date: birth_date?,
        address: address?,
        phone,
    })
}

/// One deduction as the answer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeductionLine {
    /// `loans` or `unpaid_premiums`.
    pub kind: String,
    pub yen: i64,
}

/// One payment as the answer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentLine {
    pub date: Date,
    /// What is transferred (after any withholding).
    pub yen: i64,
}

/// The answer to a claim: `201` decided, `202` waiting for staff (the figures are those of the
/// checks; the decision works them out again).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimDone {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    /// `A`, `B`, `quasi` or `refund`.
    pub benefit_kind: BenefitKind,
    /// Why this payment, in Japanese.
    pub explanation: String,
    pub gross_yen: i64,
    pub deductions: Vec<DeductionLine>,
    pub net_yen: i64,
    /// A provisional table, rate or a reconstructed history went into the amount (概算).
    pub estimate: bool,
    pub payouts: Vec<PaymentLine>,
    /// 前納減額金 paid with the claim (REFERENCE §2.3), in its own transfer on the first
    /// payment's date; 0 when none was open or the claim waits for staff.
    pub prepayment_discount_yen: i64,
    pub checks: Vec<Check>,
}

impl Outcome for ClaimDone {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

/// A payout form the claimant qualifies for, with the payments it would make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayoutOption {
    /// `lump_sum` or `instalments`.
    pub form: &'static str,
    /// Instalments: the period in years.
    pub years: Option<u32>,
    pub payouts: Vec<PaymentLine>,
}

/// What a claim would give, before it is filed ([`App::claim_preview`]): the same checks and
/// figures as the claim itself, and every lump-sum or instalment form the claimant may choose.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimPreview {
    pub contract_number: String,
    pub benefit_kind: BenefitKind,
    /// Why this payment, in Japanese.
    pub explanation: String,
    pub gross_yen: i64,
    pub deductions: Vec<DeductionLine>,
    pub net_yen: i64,
    /// A provisional table, rate or a reconstructed history went into the amount (概算).
    pub estimate: bool,
    pub options: Vec<PayoutOption>,
    /// The checks that would send the claim to staff (shown before submitting).
    pub review_reasons: Vec<String>,
}

/// The facts a payment schedule and its tax data are worked out from.
#[derive(Debug, Clone)]
struct ScheduleFacts {
    kind: BenefitKind,
    death: bool,
    age_at_event: u32,
    contract_start: Date,
    event_date: Date,
    net: Yen,
}

/// Everything the rules say about a claim on a day: the kind, the amount, the deductions, the
/// payments and their tax data.
#[derive(Debug, Clone)]
pub(crate) struct ClaimQuote {
    determination: Determination,
    age_at_event: u32,
    result: BenefitResult,
    deductions: Vec<Deduction>,
    net: Yen,
    facts: ScheduleFacts,
    plan: Vec<PlannedPayment>,
    taxes: Vec<TaxData>,
    estimate: bool,
}

/// What each payment transfers (after any withholding).
fn payment_lines(plan: &[PlannedPayment], taxes: &[TaxData]) -> Vec<PaymentLine> {
    plan.iter()
        .zip(taxes)
        .map(|(p, t)| PaymentLine {
            date: p.date,
            yen: p.yen.get() - t.withholding.get(),
        })
        .collect()
}

impl ClaimQuote {
    fn payments(&self) -> Vec<PaymentLine> {
        payment_lines(&self.plan, &self.taxes)
    }

    fn deduction_lines(&self) -> Vec<DeductionLine> {
        self.deductions
            .iter()
            .map(|d| DeductionLine {
                kind: d.kind.as_str().into(),
                yen: d.yen.get(),
            })
            .collect()
    }
}

/// The holder's position, birth date and kana name, from the contract's enrollment form.
async fn holder_facts(
    conn: &mut AnyConnection,
    c: &Contract,
) -> Result<(ApplicantRole, Date, String), AppError> {
    let a = applications::get(conn, c.application_id)
        .await?
        .ok_or_else(|| internal(format!("contract {}: no application", c.id)))?;
    let form: EnrollmentForm = serde_json::from_str(&a.payload).map_err(internal)?;
    let role = form
        .role
        .as_deref()
        .and_then(ApplicantRole::parse)
        .ok_or_else(|| internal(format!("contract {}: no applicant role", c.id)))?;
    let birth = form
        .birth_date
        .as_deref()
        .and_then(kyosai_domain::input::parse_date)
        .ok_or_else(|| internal(format!("contract {}: no birth date", c.id)))?;
    let kana = format!(
        "{} {}",
        form.family_name_kana.as_deref().unwrap_or("").trim(),
        form.given_name_kana.as_deref().unwrap_or("").trim()
    );
    Ok((role, birth, kana))
}

impl App {
    /// The checks of a claim and, when the event gives a payment, its quote (nothing written).
    async fn assess_claim(
        &self,
        conn: &mut AnyConnection,
        c: &Contract,
        input: &ClaimInput,
        rules: &RuleSet,
        application_id: Option<ApplicationId>,
    ) -> Result<(Vec<Check>, Option<ClaimQuote>), AppError> {
        let se = small_enterprise(rules)?;
        let today = self.clock.today();
        let mut checks = Vec::new();
        if input.event_date > today {
            checks.push(Check::new(
                "event_date_future",
                CheckStatus::Failed,
                Some("event_date"),
                "請求事由が生じた日に、未来の日付は指定できません。",
            ));
        } else if input.event_date < c.start_date {
            checks.push(Check::new(
                "event_date_before_contract",
                CheckStatus::Failed,
                Some("event_date"),
                format!(
                    "請求事由が生じた日が、共済契約の成立日（{}）より前です。",
                    ja_date(c.start_date)
                ),
            ));
        }
        let (role, birth, holder_kana) = holder_facts(conn, c).await?;
        let age = u32::try_from(kyosai_domain::enrollment::full_years(
            birth,
            input.event_date,
        ))
        .unwrap_or(0);
        let lines = crate::termination::replay(conn, c.id).await?;
        let paid =
            crate::termination::paid_premiums(conn, c.id, &lines, YearMonth::of(input.event_date))
                .await?;
        // The contract period of the 退職所得控除 starts with the first premium month when the
        // ledger holds premiums from before the contract row's start (a migrated contract).
        let first_premium = paid
            .openings
            .iter()
            .map(|o| o.last_month.plus(1 - i32::try_from(o.months).unwrap_or(0)))
            .chain(paid.months.iter().map(|(m, _)| *m))
            .min()
            .map(|m| m.day(1));
        let contract_start = first_premium.map_or(c.start_date, |d| d.min(c.start_date));
        let history: History = paid.history(
            se.benefit.unit_yen.value,
            se.cancellation.legacy_before.value,
        );
        let determination = match claim::determine(
            se,
            &ClaimFacts {
                event: input.event,
                role,
                age_at_event: age,
                months_paid: paid.months_paid(),
            },
        ) {
            Ok(d) => d,
            Err(reason) => {
                checks.push(Check::new(
                    reason.code,
                    CheckStatus::Failed,
                    Some("event"),
                    reason.message,
                ));
                return Ok((checks, None));
            }
        };
        checks.push(Check::new(
            "benefit_kind",
            if determination.provisional {
                CheckStatus::NeedsReview
            } else {
                CheckStatus::Passed
            },
            None,
            determination.explanation.clone(),
        ));
        let result = claim::gross_amount(
            se,
            determination.kind,
            &history,
            YearMonth::of(input.event_date),
        )
        .map_err(|e| internal(format!("contract {}: premium history: {e:?}", c.id)))?;
        let owed = Owed {
            loans: self
                .settleable_loan_balance(conn, rules, c.id, today)
                .await?,
            unpaid_premiums: dom::standing(&lines)
                .unpaid
                .iter()
                .fold(Yen::ZERO, |s, u| kyosai_domain::rounding::add(s, u.amount)),
        };
        let (deductions, net) = claim::deductions(result.amount, &owed);
        let death = input.event == ClaimEvent::Death;
        if let Err(reason) =
            claim::check_choice(se, determination.kind, death, age, net, input.choice)
        {
            let field = match reason.code {
                "instalment_years" => "payout.years",
                "combined_split" => "payout.lump_sum_yen",
                _ => "payout.form",
            };
            checks.push(Check::new(
                "payout_form",
                CheckStatus::Failed,
                Some(field),
                reason.message,
            ));
        }
        if !determination.payable || net == Yen::ZERO {
            checks.push(Check::new(
                "nothing_payable",
                CheckStatus::NeedsReview,
                None,
                "お支払いできる金額がありません。職員が内容を確認します。",
            ));
        }
        if death {
            checks.push(Check::new(
                "claimant_order",
                CheckStatus::NeedsReview,
                Some("claimant"),
                "ご遺族の続柄と順位を、戸籍などの書類で職員が確認します。",
            ));
        }
        checks.extend(
            crate::evidence::unknown_evidence_checks(conn, &input.evidence, c.id, application_id)
                .await?,
        );
        if input.evidence.is_empty() {
            checks.push(Check::new(
                "evidence_missing",
                CheckStatus::NeedsReview,
                Some("evidence"),
                "請求事由を確認できる書類が添付されていません。職員がご連絡します。",
            ));
        }
        match &input.account {
            Some(a) if !death && !bank_account::same_holder(&a.holder_kana, &holder_kana) => {
                checks.push(Check::new(
                    "payee_account",
                    CheckStatus::NeedsReview,
                    Some("account_holder_kana"),
                    "お振込み先の口座名義を職員が確認します。",
                ));
            }
            Some(_) => {}
            None if death => checks.push(Check::new(
                "payee_account",
                CheckStatus::Failed,
                Some("bank_code"),
                "ご遺族へのお振込み先の口座を入力してください。",
            )),
            None => {
                if crate::loans::payee(conn, c.id).await.is_err() {
                    checks.push(Check::new(
                        "payee_account",
                        CheckStatus::Failed,
                        Some("bank_code"),
                        "お振込み先の口座を入力してください（登録済みの引落口座がありません）。",
                    ));
                }
            }
        }
        let max = se.claim.auto_decide_max_yen.value;
        checks.push(if net > max {
            Check::new(
                "amount_threshold",
                CheckStatus::NeedsReview,
                None,
                format!("差引支給額{net}は自動決定の上限{max}を超えるため、職員2名が確認します。"),
            )
        } else {
            Check::new(
                "amount_threshold",
                CheckStatus::Passed,
                None,
                format!("差引支給額{net}は自動決定の上限{max}以下です。"),
            )
        });
        let facts = ScheduleFacts {
            kind: determination.kind,
            death,
            age_at_event: age,
            contract_start,
            event_date: input.event_date,
            net,
        };
        let (plan, taxes) = self.schedule(se, &facts, input.choice);
        let estimate = result.estimate || determination.provisional;
        Ok((
            checks,
            Some(ClaimQuote {
                determination,
                age_at_event: age,
                result,
                deductions,
                net,
                facts,
                plan,
                taxes,
                estimate,
            }),
        ))
    }

    /// The payments of a payout form chosen today and the tax data of each.
    fn schedule(
        &self,
        se: &SmallEnterpriseRules,
        facts: &ScheduleFacts,
        choice: PayoutChoice,
    ) -> (Vec<PlannedPayment>, Vec<TaxData>) {
        let plan = claim::plan_payouts(se, &self.calendar, self.clock.today(), choice, facts.net);
        let taxes = plan
            .iter()
            .map(|p| {
                claim::tax_data(
                    se,
                    &TaxFacts {
                        kind: facts.kind,
                        death: facts.death,
                        instalment: p.instalment,
                        age_at_event: facts.age_at_event,
                        contract_start: facts.contract_start,
                        event_date: facts.event_date,
                        payment: p.yen,
                    },
                )
            })
            .collect();
        (plan, taxes)
    }

    /// What a claim would give, worked out exactly as [`App::submit_claim`] does (the same
    /// contract rules, checks and figures) but stored nowhere: the portal shows it before the
    /// member chooses the payout form and attaches the evidence. The payout form is chosen after
    /// seeing the amount, so a form without one is checked as a lump sum and the answer lists
    /// every lump-sum and instalment form the claimant qualifies for with its schedule (a
    /// combined payout needs its lump-sum part and is left to the API). A form the claim itself
    /// would refuse is refused here with the same field errors.
    pub async fn claim_preview(
        &self,
        actor: &Actor,
        number: &str,
        form: &ClaimForm,
    ) -> Result<ClaimPreview, AppError> {
        let mut form = form.clone();
        if form
            .payout
            .form
            .as_deref()
            .is_none_or(|f| f.trim().is_empty())
        {
            form.payout.form = Some(form_str(PayoutForm::LumpSum).into());
        }
        let input = form.parse()?;
        // The claim's own contract step locks the contract (a write); the transaction is dropped
        // without a commit, so the preview writes nothing.
        let mut tx = self.store.begin_write().await?;
        let c = claim_contract(tx.conn(), actor, number).await?;
        let rules = self.rules_for(c.program)?;
        let (checks, quote) = self
            .assess_claim(tx.conn(), &c, &input, &rules, None)
            .await?;
        drop(tx);
        let assessment = Assessment {
            rule_set: rules.id.clone(),
            checks,
        };
        if assessment.decision() == Decision::Reject {
            return Err(AppError::Invalid(assessment.field_errors()));
        }
        let quote = quote.ok_or_else(|| internal("a payable claim without a payment kind"))?;
        let se = small_enterprise(&rules)?;
        let f = &quote.facts;
        let choices = std::iter::once(PayoutChoice::LumpSum).chain(
            se.payout
                .instalment_years
                .value
                .iter()
                .map(|&years| PayoutChoice::Instalments { years }),
        );
        let options = choices
            .filter(|&ch| {
                claim::check_choice(se, f.kind, f.death, f.age_at_event, f.net, ch).is_ok()
            })
            .map(|ch| {
                let (plan, taxes) = self.schedule(se, f, ch);
                PayoutOption {
                    form: form_str(ch.form()),
                    years: match ch {
                        PayoutChoice::Instalments { years } => Some(years),
                        _ => None,
                    },
                    payouts: payment_lines(&plan, &taxes),
                }
            })
            .collect();
        Ok(ClaimPreview {
            contract_number: c.number,
            benefit_kind: quote.determination.kind,
            explanation: quote.determination.explanation.clone(),
            gross_yen: quote.result.amount.get(),
            deductions: quote.deduction_lines(),
            net_yen: quote.net.get(),
            estimate: quote.estimate,
            options,
            review_reasons: assessment
                .checks
                .iter()
                // The evidence is attached on the next page.
                .filter(|x| x.status == CheckStatus::NeedsReview && x.code != "evidence_missing")
                .map(|x| x.message.clone())
                .collect(),
        })
    }

    /// Files a claim (see the module doc). With `key`, a retried request gets the first answer.
    pub async fn submit_claim(
        &self,
        actor: &Actor,
        number: &str,
        form: &ClaimForm,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<ClaimDone>, AppError> {
        self.run_procedure::<BenefitClaimProcedure>(actor, number, form, key)
            .await
    }

    /// Staff approval of a claim in review: a claim above the automatic threshold needs two
    /// staff members. The first approval is recorded as a sign-off (true: the application stays
    /// in review); the approver who completes it must be someone else (`409 maker_checker`).
    pub(crate) async fn claim_needs_second_approver(
        &self,
        conn: &mut AnyConnection,
        actor: &Actor,
        a: &Application,
    ) -> Result<bool, AppError> {
        let checks: Vec<Check> = serde_json::from_str(&a.checks).map_err(internal)?;
        let above = checks
            .iter()
            .any(|c| c.code == "amount_threshold" && c.status == CheckStatus::NeedsReview);
        if !above {
            return Ok(false);
        }
        match store::signoff(conn, a.id).await? {
            None => {
                let now = self.clock.now_text();
                store::sign_off(conn, a.id, actor.user_id, &now).await?;
                self.audit(
                    conn,
                    &actor.audit_name(),
                    "claim.signed_off",
                    &format!("application:{}", a.id),
                    None,
                    Some(&json!({ "staff": actor.user_id })),
                )
                .await?;
                Ok(true)
            }
            Some(first) if first == actor.user_id => Err(AppError::conflict(
                "maker_checker",
                "この請求はご自身が確認済みです。支払額が自動決定の上限を超えるため、別の職員が承認してください。",
            )),
            Some(_) => Ok(false),
        }
    }
}

/// The claim on the procedure framework.
pub(crate) struct BenefitClaimProcedure;

/// What deciding produced.
pub(crate) struct Decided {
    number: String,
    quote: ClaimQuote,
    /// 前納減額金 still open when the contract ended, paid with the claim (REFERENCE §2.3).
    discount: Option<(Yen, Date)>,
}

/// The contract a claim is filed for: its member or staff (for a paper claim); one claim per
/// contract (`409 claim_exists`), none after a cancellation (`409 contract_not_active`), none
/// while another procedure waits for staff (`409 procedure_pending`), 小規模 only.
async fn claim_contract(
    conn: &mut AnyConnection,
    actor: &Actor,
    number: &str,
) -> Result<Contract, AppError> {
    let c = contracts::by_number(conn, number)
        .await?
        .ok_or(AppError::NotFound)?;
    match actor.role {
        Role::Staff => {}
        Role::Member if c.member_id == actor.user_id => {}
        _ => return Err(AppError::NotFound),
    }
    contracts::lock(conn, c.id).await?;
    let pending_claim = applications::in_review_for_contract(conn, c.id)
        .await?
        .iter()
        .any(|(_, p)| *p == Procedure::BenefitClaim);
    if pending_claim || store::for_contract(conn, c.id).await?.is_some() {
        return Err(AppError::conflict(
            "claim_exists",
            "この共済契約には、すでに共済金等の請求があります。",
        ));
    }
    if c.status != ContractStatus::Active {
        return Err(AppError::conflict(
            "contract_not_active",
            "この共済契約は解約されているため、共済金等の請求はできません。",
        ));
    }
    if c.program != Program::SmallEnterprise {
        return Err(AppError::conflict(
            "not_small_enterprise",
            "共済金等の請求は小規模企業共済の手続きです。経営セーフティ共済は解約のお手続きをご利用ください。",
        ));
    }
    ensure_no_pending(conn, c.id).await?;
    Ok(c)
}

impl ProcedureRules for BenefitClaimProcedure {
    const PROCEDURE: Procedure = Procedure::BenefitClaim;
    type Target = str;
    type Form = ClaimForm;
    type Input = ClaimInput;
    type Done = Decided;
    type Answer = ClaimDone;

    fn parse(form: &ClaimForm) -> Result<ClaimInput, AppError> {
        form.parse()
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &ClaimInput,
    ) -> Result<Subject, AppError> {
        Ok(contract_subject(
            &claim_contract(conn, actor, number).await?,
        ))
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &ClaimInput,
        rules: &RuleSet,
    ) -> Result<Checked<ClaimDone>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let (checks, _) = app.assess_claim(conn, &c, input, rules, None).await?;
        Ok(Checked::Assessed(Assessment {
            rule_set: rules.id.clone(),
            checks,
        }))
    }

    async fn complete(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        input: &ClaimInput,
    ) -> Result<Decided, AppError> {
        let c = subject_contract(conn, subject).await?;
        let (checks, quote) = app
            .assess_claim(conn, &c, input, &filed.rules, Some(filed.application_id))
            .await?;
        // Decided on the facts of today: a check that fails now (a loan taken meanwhile put the
        // net amount below an instalment minimum…) refuses the decision; nothing is written.
        if let Some(failed) = checks.iter().find(|x| x.status == CheckStatus::Failed) {
            return Err(AppError::conflict(
                "claim_check_failed",
                format!(
                    "決定時の確認で条件を満たさなくなりました：{}",
                    failed.message
                ),
            ));
        }
        let quote = quote.ok_or_else(|| {
            AppError::conflict(
                "claim_not_payable",
                "請求事由から支払の種類を決められません。内容をご確認ください。",
            )
        })?;
        let today = app.clock.today();
        if !kyosai_store::termination::cancel_contract(
            conn,
            c.id,
            "benefit_claim",
            &today.to_string(),
        )
        .await?
        {
            return Err(AppError::conflict(
                "contract_not_active",
                "この共済契約はすでに終了しています。",
            ));
        }
        let loans_deducted = quote
            .deductions
            .iter()
            .filter(|d| d.kind == DeductionKind::Loans)
            .fold(Yen::ZERO, |sum, d| kyosai_domain::rounding::add(sum, d.yen));
        app.set_off_loans(conn, &filed.rules, c.id, today, loans_deducted, &filed.now)
            .await?;
        let deductions = serde_json::to_string(&quote.deduction_lines()).map_err(internal)?;
        let claimant = input
            .claimant
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(internal)?;
        let r = &quote.result;
        let claim_id = store::insert(
            conn,
            &store::NewClaim {
                application_id: filed.application_id,
                contract_id: c.id,
                event: input.event.as_str(),
                event_date: &input.event_date.to_string(),
                benefit_kind: quote.determination.kind.as_str(),
                months_paid: i64::from(r.months_paid),
                total_paid: r.total_paid.get(),
                base_yen: r.base.get(),
                bonus_yen: r.bonus.get(),
                gross_yen: r.amount.get(),
                deductions: &deductions,
                net_yen: quote.net.get(),
                estimate: quote.estimate,
                payout_form: form_str(input.choice.form()),
                instalment_years: match input.choice {
                    PayoutChoice::LumpSum => None,
                    PayoutChoice::Instalments { years } | PayoutChoice::Combined { years, .. } => {
                        Some(i64::from(years))
                    }
                },
                claimant: claimant.as_deref(),
                rule_set: &filed.rules.id,
                decided_by: &filed.actor,
                decided_at: &filed.now,
            },
        )
        .await?;
        let account = match &input.account {
            Some(a) => PayeeAccount {
                bank_code: a.bank_code.clone(),
                branch_code: a.branch_code.clone(),
                account_type: a.account_type.clone(),
                account_number: a.account_number.clone(),
                holder_kana: a.holder_kana.clone(),
            },
            None => crate::loans::payee(conn, c.id).await?,
        };
        let source = format!("claim:{claim_id}");
        for (seq, (p, t)) in (1_i64..).zip(quote.plan.iter().zip(&quote.taxes)) {
            let amount = kyosai_domain::rounding::sub(p.yen, t.withholding);
            if amount <= Yen::ZERO {
                continue;
            }
            let kind = match (quote.determination.kind, p.instalment) {
                (BenefitKind::Refund, _) => PayoutKind::CancellationRefund,
                (_, true) => PayoutKind::BenefitInstalment,
                (_, false) => PayoutKind::Benefit,
            };
            let payout_id = payouts::schedule(
                conn,
                &payouts::NewPayout {
                    contract_id: c.id,
                    application_id: Some(filed.application_id),
                    kind,
                    due_date: p.date,
                    amount,
                    account: &account,
                    source: &source,
                    seq,
                },
                &filed.now,
            )
            .await?;
            store::insert_tax(
                conn,
                &store::PayoutTax {
                    payout_id,
                    claim_id,
                    income_class: t.income_class.as_str(),
                    contract_years: i64::from(t.contract_years),
                    retirement_deduction: t.retirement_deduction.map(Yen::get),
                    gross_yen: p.yen.get(),
                    withholding_rate: &t.withholding_rate.to_string(),
                    withholding_yen: t.withholding.get(),
                    provisional: t.provisional,
                },
            )
            .await?;
        }
        // The 前納減額金 of prepaid months reached and not yet paid ends with the contract: paid
        // with the claim's first transfer, as a cancellation pays it with its refund.
        let (discount, _) = app
            .settle_prepayment_discount(
                conn,
                c.id,
                Program::SmallEnterprise,
                YearMonth::of(today),
                &today.to_string(),
            )
            .await?;
        let discount_paid = match quote.plan.first() {
            Some(first) if discount > Yen::ZERO => {
                payouts::schedule(
                    conn,
                    &payouts::NewPayout {
                        contract_id: c.id,
                        application_id: Some(filed.application_id),
                        kind: PayoutKind::PrepaymentDiscount,
                        due_date: first.date,
                        amount: discount,
                        account: &account,
                        source: &format!("claim_prepayment_discount:{claim_id}"),
                        seq: 1,
                    },
                    &filed.now,
                )
                .await?;
                Some((discount, first.date))
            }
            _ => None,
        };
        filed.audit(
            "claim.decided",
            &format!("contract:{}", c.number),
            Some(&json!({ "status": "active" })),
            Some(&json!({
                "status": "cancelled",
                "kind": "benefit_claim",
                "claim": claim_id,
                "application": filed.application_id,
                "event": input.event.as_str(),
                "event_date": input.event_date.to_string(),
                "benefit_kind": quote.determination.kind.as_str(),
                "gross_yen": r.amount.get(),
                "deductions": quote.deduction_lines(),
                "net_yen": quote.net.get(),
                "estimate": quote.estimate,
                "payouts": quote.payments(),
                "rule_set": filed.rules.id,
            })),
        );
        Ok(Decided {
            number: c.number,
            quote,
            discount: discount_paid,
        })
    }

    async fn answer(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        assessment: Assessment,
        input: ClaimInput,
        done: Option<Decided>,
    ) -> Result<ClaimDone, AppError> {
        // The evidence is filed with the application here, the one step that runs whether the
        // claim was decided or waits for staff (who download it from the application).
        crate::evidence::file_with(conn, &input.evidence, filed.application_id).await?;
        let discount = done
            .as_ref()
            .and_then(|d| d.discount)
            .map_or(0, |(yen, _)| yen.get());
        let quote = match done {
            Some(d) => d.quote,
            None => {
                let c = subject_contract(conn, subject).await?;
                app.assess_claim(conn, &c, &input, &filed.rules, Some(filed.application_id))
                    .await?
                    .1
                    .ok_or_else(|| internal("a filed claim without a payment kind"))?
            }
        };
        Ok(ClaimDone {
            application_id: filed.application_id,
            status: filed.status,
            benefit_kind: quote.determination.kind,
            explanation: quote.determination.explanation.clone(),
            gross_yen: quote.result.amount.get(),
            deductions: quote.deduction_lines(),
            net_yen: quote.net.get(),
            estimate: quote.estimate,
            payouts: quote.payments(),
            prepayment_discount_yen: discount,
            checks: assessment.checks,
        })
    }

    /// 支払決定通知書兼振込通知書: the amount, each deduction (withheld tax included), and
    /// every transfer with its date.
    async fn letter(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &ClaimInput,
        done: &Decided,
    ) -> Result<Option<(ContractId, Letter)>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let q = &done.quote;
        let mut deductions: Vec<docs::Deduction> = q
            .deductions
            .iter()
            .map(|d| docs::Deduction {
                label: d.kind.name_ja().to_string(),
                amount: d.yen,
            })
            .collect();
        let withheld: i64 = q.taxes.iter().map(|t| t.withholding.get()).sum();
        if withheld > 0 {
            deductions.push(docs::Deduction {
                label: "源泉徴収税額".into(),
                amount: Yen::new(withheld),
            });
        }
        let schedule: Vec<docs::ScheduledPayment> = q
            .payments()
            .iter()
            .map(|p| docs::ScheduledPayment {
                date: p.date,
                amount: Yen::new(p.yen),
            })
            .collect();
        let Some(first) = schedule.first().copied() else {
            // Nothing is paid (掛け捨て): the decision mail says so; there is no payment notice.
            return Ok(None);
        };
        let account = match &input.account {
            Some(a) => crate::mandate_change::account_label(
                &a.bank_code,
                &a.branch_code,
                &a.account_number,
            ),
            None => crate::letters::debit_account_text(conn, c.id).await?,
        };
        let kind = if q.plan.iter().all(|p| p.instalment) {
            PayoutKind::BenefitInstalment
        } else {
            PayoutKind::Benefit
        };
        Ok(Some((
            c.id,
            Letter::PayoutDecision(docs::PayoutDecisionNotice {
                head: app.letter_head(conn, &c).await?,
                kind,
                reason: format!(
                    "{}（{}）",
                    input.event.name_ja(),
                    q.determination.kind.name_ja()
                ),
                decided_on: app.clock.today(),
                gross: q.result.amount,
                deductions,
                net: Yen::new(q.net.get() - withheld),
                payment_date: first.date,
                account,
                schedule,
            }),
        )))
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        input: &ClaimInput,
        done: &Decided,
    ) -> MailText {
        let q = &done.quote;
        let mut body = format!(
            "{} 様\n\n支払決定通知書兼振込通知書\n\n共済契約者番号 {} の小規模企業共済について、共済金等の請求（受付番号：{}）のお支払いが決定しました。共済契約は{}付けで終了しました。\n\n\
             請求事由：{}（{}）\n支払の種類：{}\n{}\n\n支給額：{}\n",
            subject.holder_name,
            done.number,
            filed.application_id,
            ja_date(app.clock.today()),
            input.event.name_ja(),
            ja_date(input.event_date),
            q.determination.kind.name_ja(),
            q.determination.explanation,
            q.result.amount,
        );
        for d in &q.deductions {
            body.push_str(&format!("差引：{} {}\n", d.kind.name_ja(), d.yen));
        }
        body.push_str(&format!(
            "差引支給額：{}\n（掛金納付月数 {}か月、掛金合計額 {}、請求事由が生じた日の年齢 {}歳）\n\n",
            q.net, q.result.months_paid, q.result.total_paid, q.age_at_event
        ));
        let payments = q.payments();
        let first_instalment = q.plan.iter().position(|p| p.instalment);
        for (i, (p, line)) in q.plan.iter().zip(&payments).enumerate() {
            if p.instalment && Some(i) != first_instalment {
                continue;
            }
            let what = if p.instalment {
                "分割共済金（第1回）"
            } else {
                "お振込み"
            };
            body.push_str(&format!(
                "{what}：{} {}\n",
                ja_date(line.date),
                Yen::new(line.yen)
            ));
        }
        if let Some(first) = first_instalment {
            let n = payments.len() - first;
            if let Some(last) = payments.last() {
                body.push_str(&format!(
                    "分割共済金は全{n}回、最終回は{}です。\n",
                    ja_date(last.date)
                ));
            }
        }
        if let Some((yen, date)) = done.discount {
            body.push_str(&format!(
                "前納減額金：{yen}（{}に別にお振込み）\n",
                ja_date(date)
            ));
        }
        if let Some(t) = q.taxes.first() {
            body.push_str(&format!(
                "\n税法上の取扱い：{}（契約期間 {}年）\n",
                t.income_class.name_ja(),
                t.contract_years
            ));
        }
        if q.estimate {
            body.push_str(
                "※ 公表資料で確認できない暫定の支給率・表、または移行前の掛金の合計額を用いた概算額です。金額が確定しましたらあらためてお知らせします。\n",
            );
        }
        body.push_str(&format!(
            "\nお心当たりがない場合は、至急お問い合わせください。\n{}/portal\n",
            app.public_url
        ));
        MailText {
            subject: "【小規模企業共済】支払決定通知書兼振込通知書".into(),
            body,
        }
    }
}

fn form_str(f: PayoutForm) -> &'static str {
    match f {
        PayoutForm::LumpSum => "lump_sum",
        PayoutForm::Instalments => "instalments",
        PayoutForm::Combined => "combined",
    }
}
