//! 掛金月額の増額・減額 (a premium change) for both programs (REFERENCE §2.4; issue #10).
//!
//! The contract is the subject, as in the debit account change: the member acts online, staff
//! key in a paper 掛金月額変更申込書 for them. The amount must be within the `[premium]` bounds
//! and on its step (`PremiumRules::check_monthly`). From which month it is billed is each
//! program's rule ([`small_enterprise::premium_change::plan`],
//! [`safety_net::premium_change::plan`]); a change that applies to months already billed at the
//! previous amount is stored with them, and billing adds the difference or credits the excess
//! (`billing::LateSettlement`). A 倒産防止 decrease needs one of three grounds: the ledger decides
//! `loan_cap_reached`, the rule set whether staff confirm the two the member states.
//!
//! Completing inserts a `premium_changes` row: billing prices each month by it, and each
//! 小規模 change thereby starts a new premium tranche (掛金区分), which the refund and benefit
//! computations derive from the collected months (`termination::paid_premiums`, `tranches`).
//! The quote shows the next debits by the billing function itself on the contract's facts with
//! the change added, never a second formula.

use jiff::civil::Date;
use kyosai_docs::pdf::data::{ChangeValue, ChangedItem, Letter};
use kyosai_domain::billing::{ChangePlan, ContractFacts};
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::rules::safety_net::StatedReasonDecision;
use kyosai_domain::safety_net::premium_change::DecreaseReason;
use kyosai_domain::special_measures::Effect;
use kyosai_domain::{
    ApplicationId, ApplicationStatus, ContractId, Procedure, Program, YearMonth, Yen, safety_net,
    small_enterprise,
};
use kyosai_store::contracts::Contract;
use kyosai_store::premium_changes::{self, NewPremiumChange};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::billing::NextDebit;
use crate::form_parser::{Parser, text};
use crate::ja_text::{ja_date, ja_month};
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
};
use crate::procedure::{active_contract, ensure_no_pending, maintenance_subject};
use crate::{Actor, App, AppError};

/// How many debits the quote shows at the new amount.
const QUOTE_DEBITS: usize = 6;

/// The premium change form as submitted (HTML form or JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PremiumChangeForm {
    /// The new monthly premium in yen (full-width digits and separators are accepted).
    #[serde(deserialize_with = "text")]
    pub monthly_premium_yen: Option<String>,
    /// 倒産防止 decreases only: `business_shrunk`, `hardship` or `loan_cap_reached`.
    pub decrease_reason: Option<String>,
}

/// The parsed form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PremiumChangeInput {
    pub premium: Yen,
    pub reason: Option<DecreaseReason>,
}

impl PremiumChangeForm {
    /// The amount as a number and the reason as one of the three; the bounds and the step are
    /// the rule set's and checked with the contract.
    pub fn parse(&self) -> Result<PremiumChangeInput, AppError> {
        let mut p = Parser { errors: Vec::new() };
        let premium = p.yen(
            "monthly_premium_yen",
            &self.monthly_premium_yen,
            "掛金月額",
            100_000_000,
        );
        let reason = match self.decrease_reason.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => match DecreaseReason::parse(s) {
                Some(r) => Some(r),
                None => {
                    p.err(
                        "decrease_reason",
                        "choice",
                        "減額の理由を選択肢から選んでください。",
                    );
                    None
                }
            },
        };
        match premium {
            Some(n) if p.errors.is_empty() => Ok(PremiumChangeInput {
                premium: Yen::new(n),
                reason,
            }),
            _ => Err(AppError::Invalid(p.errors)),
        }
    }
}

/// Where a premium change stands in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PremiumChangeStatus {
    Completed,
    InReview,
    /// The amount is the one already in force: nothing was stored.
    Unchanged,
}

/// What a change will do (the quote) or did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PremiumQuote {
    pub contract_number: String,
    pub program: Program,
    /// The monthly premium in force before the change.
    pub current_premium_yen: i64,
    pub monthly_premium_yen: i64,
    /// The first month billed at the new amount (`YYYY-MM`).
    pub effective_month: YearMonth,
    /// The first debit from the effective month on, with its amount (a difference of earlier
    /// months included, or a credit deducted).
    pub first_debit_date: Option<Date>,
    pub first_debit_amount_yen: Option<i64>,
    /// The next debits at the new amount, by the billing function.
    pub next_debits: Vec<NextDebit>,
    /// Plain Japanese: from when, and any difference or credit.
    pub notes: Vec<String>,
}

/// The answer to a premium change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PremiumChangeResult {
    /// None when nothing was filed (unchanged).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub application_id: Option<ApplicationId>,
    pub status: PremiumChangeStatus,
    pub effective_month: YearMonth,
    pub monthly_premium_yen: i64,
    pub first_debit_date: Option<Date>,
    pub first_debit_amount_yen: Option<i64>,
    /// The automatic checks (why an application waits for staff).
    pub checks: Vec<Check>,
    pub quote: PremiumQuote,
}

impl Outcome for PremiumChangeResult {
    fn status(&self) -> ApplicationStatus {
        match self.status {
            PremiumChangeStatus::InReview => ApplicationStatus::InReview,
            PremiumChangeStatus::Completed | PremiumChangeStatus::Unchanged => {
                ApplicationStatus::Completed
            }
        }
    }
}

/// What the change page starts from.
#[derive(Debug, Clone, Serialize)]
pub struct PremiumChangeContext {
    pub contract_number: String,
    pub program: Program,
    pub current_premium_yen: i64,
    pub min_yen: i64,
    pub max_yen: i64,
    pub step_yen: i64,
    /// 倒産防止: a decrease asks for one of the grounds.
    pub decrease_reasons: Vec<DecreaseReason>,
}

/// A contract's facts with what a change will do, for the plan and quote.
struct Planned {
    plan: ChangePlan,
    current: Yen,
    previous: Yen,
}

impl App {
    /// When a change to `premium` received today is billed, against the facts as they are.
    fn premium_plan(
        &self,
        facts: &ContractFacts,
        rules: &RuleSet,
        premium: Yen,
    ) -> Result<Planned, AppError> {
        let today = self.clock.today();
        let current = facts.premium_for(YearMonth::of(today).max(facts.first_debit_month));
        let raw = match facts.program {
            Program::SmallEnterprise => {
                let r = &crate::rules::small_enterprise(rules)?.premium_change;
                small_enterprise::premium_change::plan(
                    r,
                    &rules.collection,
                    &self.calendar,
                    today,
                    current,
                    premium,
                )
            }
            Program::SafetyNet => {
                let r = &crate::rules::safety_net(rules)?.premium_change;
                safety_net::premium_change::plan(r, &self.calendar, today, current, premium)
            }
        };
        let plan = raw
            .not_before(facts.first_debit_month)
            .after_paid_period(facts);
        // The premium the months before the change are billed at (a change already scheduled
        // for the same month is replaced by this one).
        let previous = facts.premium_for(plan.effective_month.plus(-1));
        Ok(Planned {
            plan,
            current: facts.premium_for(plan.effective_month),
            previous,
        })
    }

    /// The quote: the plan and the next debits by the billing function on the facts with the
    /// change added.
    fn premium_quote(
        &self,
        c: &Contract,
        mut facts: ContractFacts,
        stored: &[kyosai_store::billing::LineWithResult],
        premium: Yen,
        planned: &Planned,
    ) -> Result<PremiumQuote, AppError> {
        let plan = planned.plan;
        facts
            .premium_changes
            .retain(|(m, _)| *m != plan.effective_month);
        facts.premium_changes.push((plan.effective_month, premium));
        facts
            .late_settlements
            .retain(|s| s.effective != plan.effective_month);
        facts
            .late_settlements
            .extend(plan.settlement(planned.previous, premium));
        let next_debits = self.projected_debits(c.program, stored, &facts, QUOTE_DEBITS)?;
        let first = next_debits.iter().find(|d| d.month >= plan.effective_month);
        let mut notes = vec![format!(
            "{}分の掛金から{}になります。",
            ja_month(plan.effective_month),
            premium
        )];
        if let Some(s) = plan.settlement(planned.previous, premium) {
            let d = s.differences();
            if let (Some(f), Some(l)) = (d.first(), d.last()) {
                notes.push(format!(
                    "{}から{}までの掛金は変更前の金額で引き落とすため、その差額{}を{}分の引落しに合わせてご請求します。",
                    ja_month(f.month),
                    ja_month(l.month),
                    kyosai_domain::Yen::new(d.iter().map(|i| i.amount.get()).sum()),
                    ja_month(plan.effective_month)
                ));
            }
            let credit = s.credit();
            if credit > Yen::ZERO {
                notes.push(format!(
                    "{}分は変更前の金額で引き落とすため、多く納付される{}を{}分以降の掛金に充当します（充当し終えるまで、その分の引落しはありません）。",
                    ja_month(s.from),
                    credit,
                    ja_month(plan.effective_month)
                ));
            }
        }
        Ok(PremiumQuote {
            contract_number: c.number.clone(),
            program: c.program,
            current_premium_yen: planned.current.get(),
            monthly_premium_yen: premium.get(),
            effective_month: plan.effective_month,
            first_debit_date: first.and_then(|d| d.debit_date.parse().ok()),
            first_debit_amount_yen: first.map(|d| d.amount_yen),
            next_debits,
            notes,
        })
    }

    /// What the change page starts from: the amount now and the rule set's bounds and step.
    pub async fn premium_change_context(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<PremiumChangeContext, AppError> {
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        let (facts, ..) = self.billing_facts(&mut conn, &c).await?;
        drop(conn);
        let rules = self.rules_for(c.program)?;
        let today = YearMonth::of(self.clock.today()).max(facts.first_debit_month);
        Ok(PremiumChangeContext {
            contract_number: c.number.clone(),
            program: c.program,
            current_premium_yen: facts.premium_for(today).get(),
            min_yen: rules.premium.min_monthly_yen.value.get(),
            max_yen: rules.premium.max_monthly_yen.value.get(),
            step_yen: rules.premium.step_yen.value.get(),
            decrease_reasons: match c.program {
                Program::SafetyNet => DecreaseReason::ALL.to_vec(),
                Program::SmallEnterprise => Vec::new(),
            },
        })
    }

    /// The quote before submitting (nothing stored): the effective month, the first debit at
    /// the new amount and the next debits. The amount is checked like a submission.
    pub async fn quote_premium_change(
        &self,
        actor: &Actor,
        number: &str,
        form: &PremiumChangeForm,
    ) -> Result<PremiumQuote, AppError> {
        let input = form.parse()?;
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        // Said before the member confirms, not only at the submit.
        ensure_no_pending(&mut conn, c.id).await?;
        let (facts, stored, ..) = self.billing_facts(&mut conn, &c).await?;
        drop(conn);
        let rules = self.rules_for(c.program)?;
        rules
            .premium
            .check_monthly(input.premium)
            .map_err(|e| AppError::Invalid(vec![e.field_error("monthly_premium_yen")]))?;
        let planned = self.premium_plan(&facts, &rules, input.premium)?;
        self.premium_quote(&c, facts, &stored, input.premium, &planned)
    }

    /// Changes the monthly premium of a contract (the channel follows the actor).
    pub async fn change_premium(
        &self,
        actor: &Actor,
        number: &str,
        form: &PremiumChangeForm,
    ) -> Result<PremiumChangeResult, AppError> {
        self.run_procedure::<PremiumChangeProcedure>(actor, number, form, None)
            .await?
            .fresh()
    }

    /// [`App::change_premium`] with an `Idempotency-Key`: a repeated request gets the first
    /// answer.
    pub async fn change_premium_once(
        &self,
        actor: &Actor,
        number: &str,
        form: &PremiumChangeForm,
        key: &IdempotencyKey,
    ) -> Result<Answer<PremiumChangeResult>, AppError> {
        self.run_procedure::<PremiumChangeProcedure>(actor, number, form, Some(key))
            .await
    }

    async fn quote_in_tx(
        &self,
        conn: &mut AnyConnection,
        c: &Contract,
        premium: Yen,
    ) -> Result<PremiumQuote, AppError> {
        let (facts, stored, ..) = self.billing_facts(conn, c).await?;
        let rules = self.rules_for(c.program)?;
        let planned = self.premium_plan(&facts, &rules, premium)?;
        self.premium_quote(c, facts, &stored, premium, &planned)
    }
}

/// The premium change on the procedure framework.
pub(crate) struct PremiumChangeProcedure;

impl ProcedureRules for PremiumChangeProcedure {
    const PROCEDURE: Procedure = Procedure::PremiumChange;
    type Target = str;
    type Form = PremiumChangeForm;
    type Input = PremiumChangeInput;
    type Done = PremiumQuote;
    type Answer = PremiumChangeResult;

    fn parse(form: &PremiumChangeForm) -> Result<PremiumChangeInput, AppError> {
        form.parse()
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &PremiumChangeInput,
    ) -> Result<Subject, AppError> {
        maintenance_subject(conn, actor, number).await
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &PremiumChangeInput,
        rules: &RuleSet,
    ) -> Result<Checked<PremiumChangeResult>, AppError> {
        let c = crate::procedure::subject_contract(conn, subject).await?;
        rules
            .premium
            .check_monthly(input.premium)
            .map_err(|e| AppError::Invalid(vec![e.field_error("monthly_premium_yen")]))?;
        let (facts, stored, ..) = app.billing_facts(conn, &c).await?;
        let planned = app.premium_plan(&facts, rules, input.premium)?;
        if input.premium == planned.current {
            let quote = app.premium_quote(&c, facts, &stored, input.premium, &planned)?;
            return Ok(Checked::Unchanged(PremiumChangeResult {
                application_id: None,
                status: PremiumChangeStatus::Unchanged,
                effective_month: quote.effective_month,
                monthly_premium_yen: input.premium.get(),
                first_debit_date: quote.first_debit_date,
                first_debit_amount_yen: quote.first_debit_amount_yen,
                checks: Vec::new(),
                quote,
            }));
        }
        let mut checks = vec![
            Check::new(
                "contract_active",
                CheckStatus::Passed,
                None,
                "契約は有効です。",
            ),
            Check::new(
                "premium_range",
                CheckStatus::Passed,
                Some("monthly_premium_yen"),
                "掛金月額は規則の範囲と単位に合っています。",
            ),
        ];
        let decrease = input.premium < planned.current;
        let not_allowed = |m: &str| AppError::invalid("decrease_reason", "not_allowed", m);
        match (decrease, c.program, input.reason) {
            (false, _, Some(_)) => {
                return Err(not_allowed("増額の場合、減額の理由は選べません。"));
            }
            (false, _, None) => {}
            (true, Program::SafetyNet, None) => {
                return Err(AppError::invalid(
                    "decrease_reason",
                    "required",
                    "経営セーフティ共済の減額には、減額の理由を選んでください。",
                ));
            }
            (true, Program::SafetyNet, Some(reason)) => {
                let pc = &crate::rules::safety_net(rules)?.premium_change;
                match reason {
                    DecreaseReason::LoanCapReached => {
                        // What is owed on the contract's loans today (REFERENCE §2.4: 借入金の
                        // 貸付残高), from the loan book.
                        let owed = app
                            .outstanding_loan_balance(conn, rules, c.id, app.clock.today())
                            .await?;
                        if !safety_net::premium_change::decrease_allowed_by_threshold(
                            pc,
                            owed,
                            facts.total_paid,
                        ) {
                            return Err(not_allowed(&format!(
                                "借入金の貸付残高（{}）と掛金総額（{}）の{}倍の合計が{}に達していないため、この理由では減額できません。",
                                owed,
                                facts.total_paid,
                                pc.decrease_premium_multiple.value,
                                pc.decrease_threshold_yen.value
                            )));
                        }
                        checks.push(Check::new(
                            "decrease_reason",
                            CheckStatus::Passed,
                            Some("decrease_reason"),
                            format!(
                                "借入金の貸付残高（{}）と掛金総額の{}倍の合計が{}に達しています。",
                                owed,
                                pc.decrease_premium_multiple.value,
                                pc.decrease_threshold_yen.value
                            ),
                        ));
                    }
                    DecreaseReason::BusinessShrunk | DecreaseReason::Hardship => {
                        checks.push(Check::new(
                            "decrease_reason",
                            match pc.stated_reason_decision.value {
                                StatedReasonDecision::Review => CheckStatus::NeedsReview,
                                StatedReasonDecision::Accept => CheckStatus::Passed,
                            },
                            Some("decrease_reason"),
                            format!("減額の理由：{}", reason.name_ja()),
                        ));
                    }
                }
            }
            (true, Program::SmallEnterprise, reason) => {
                // A disaster special measure in force for the member offers the decrease as
                // relief (REFERENCE §2.6): the checks say so, so staff and the member see it
                // was consulted (the decrease itself follows the ordinary rule, which since
                // 2016-04 needs no reason).
                if let Some((m, _)) =
                    crate::special_measures::effect_for(conn, &c, app.clock.today(), |e| {
                        matches!(e, Effect::PremiumReduction { .. })
                    })
                    .await?
                {
                    checks.push(Check::new(
                        "special_measure",
                        CheckStatus::Passed,
                        None,
                        format!("{}の対象です（掛金月額の減額）。", m.name),
                    ));
                }
                let required = crate::rules::small_enterprise(rules)?
                    .premium_change
                    .decrease_reason_required
                    .value;
                match (required, reason) {
                    (false, Some(_)) => {
                        return Err(not_allowed(
                            "小規模企業共済の減額に理由は不要です。選択を外してください。",
                        ));
                    }
                    (false, None) => checks.push(Check::new(
                        "decrease_reason",
                        CheckStatus::Passed,
                        None,
                        "小規模企業共済の減額に理由は不要です。",
                    )),
                    (true, None) | (true, Some(DecreaseReason::LoanCapReached)) => {
                        return Err(AppError::invalid(
                            "decrease_reason",
                            "required",
                            "減額の理由（事業の縮小、または払込みの継続が困難）を選んでください。",
                        ));
                    }
                    (true, Some(r)) => checks.push(Check::new(
                        "decrease_reason",
                        CheckStatus::NeedsReview,
                        Some("decrease_reason"),
                        format!("減額の理由：{}", r.name_ja()),
                    )),
                }
            }
        }
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
        input: &PremiumChangeInput,
    ) -> Result<PremiumQuote, AppError> {
        let c = crate::procedure::subject_contract(conn, subject).await?;
        // Planned on the day it completes (an approval may come after a cut-off).
        let (facts, ..) = app.billing_facts(conn, &c).await?;
        let planned = app.premium_plan(&facts, &filed.rules, input.premium)?;
        let quote = app.quote_in_tx(conn, &c, input.premium).await?;
        let settlement = planned.plan.settlement(planned.previous, input.premium);
        premium_changes::upsert(
            conn,
            &NewPremiumChange {
                contract_id: c.id,
                effective_month: planned.plan.effective_month,
                monthly_premium: input.premium,
                late: settlement.map(|s| (s.from, s.previous)),
                application_id: filed.application_id,
                now: &filed.now,
            },
        )
        .await?;
        filed.audit(
            "premium.changed",
            &format!("contract:{}", c.id),
            Some(&json!({ "monthly_premium": planned.current.get() })),
            Some(&json!({
                "monthly_premium": input.premium.get(),
                "effective_month": planned.plan.effective_month.to_string(),
                "late_from": planned.plan.late_from.map(|m| m.to_string()),
                "decrease_reason": input.reason.map(DecreaseReason::as_str),
                "application": filed.application_id,
            })),
        );
        Ok(quote)
    }

    async fn answer(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        assessment: Assessment,
        input: PremiumChangeInput,
        done: Option<PremiumQuote>,
    ) -> Result<PremiumChangeResult, AppError> {
        let (status, quote) = match done {
            Some(q) => (PremiumChangeStatus::Completed, q),
            None => {
                let c = crate::procedure::subject_contract(conn, subject).await?;
                (
                    PremiumChangeStatus::InReview,
                    app.quote_in_tx(conn, &c, input.premium).await?,
                )
            }
        };
        Ok(PremiumChangeResult {
            application_id: Some(filed.application_id),
            status,
            effective_month: quote.effective_month,
            monthly_premium_yen: input.premium.get(),
            first_debit_date: quote.first_debit_date,
            first_debit_amount_yen: quote.first_debit_amount_yen,
            checks: assessment.checks,
            quote,
        })
    }

    /// 契約内容確認書 with the premium before and after.
    async fn letter(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        _input: &PremiumChangeInput,
        q: &PremiumQuote,
    ) -> Result<Option<(ContractId, Letter)>, AppError> {
        let c = crate::procedure::subject_contract(conn, subject).await?;
        let mut notice = app
            .contract_details_letter(
                conn,
                &c,
                Procedure::PremiumChange.name_ja(),
                q.effective_month.day(1),
                vec![ChangedItem {
                    item: "掛金月額".into(),
                    before: ChangeValue::Amount(Yen::new(q.current_premium_yen)),
                    after: ChangeValue::Amount(Yen::new(q.monthly_premium_yen)),
                }],
            )
            .await?;
        notice.monthly_premium = Yen::new(q.monthly_premium_yen);
        Ok(Some((c.id, Letter::ContractDetails(notice))))
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        _input: &PremiumChangeInput,
        q: &PremiumQuote,
    ) -> MailText {
        let first = match (q.first_debit_date, q.first_debit_amount_yen) {
            (Some(d), Some(a)) => format!(
                "新しい金額での最初の引落しは{}（{}）です。\n",
                ja_date(d),
                Yen::new(a)
            ),
            _ => String::new(),
        };
        MailText {
            subject: format!(
                "【{}】掛金月額の変更が完了しました",
                subject.program.name_ja()
            ),
            body: format!(
                "{} 様\n\n共済契約者番号 {} の掛金月額を、{}から{}に変更しました（受付番号：{}）。\n\n{}\n{}\n\
                 お心当たりがない場合は、お問い合わせください。\n{}/portal/contracts/{}/billing\n",
                subject.holder_name,
                q.contract_number,
                Yen::new(q.current_premium_yen),
                Yen::new(q.monthly_premium_yen),
                filed.application_id,
                q.notes.join("\n"),
                first,
                app.public_url,
                q.contract_number,
            ),
        }
    }
}
