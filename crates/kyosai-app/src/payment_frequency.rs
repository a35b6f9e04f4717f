//! 払込区分の変更 (payment frequency change, 小規模企業共済; REFERENCE §2.5; issue #10).
//!
//! The member chooses monthly, semi-annual or annual payment and, for the latter two, the
//! designated month (指定納付月) the debits fall in. A change received by the 20th (the 15th in
//! December; the preceding business day when that is not one) applies from the next month,
//! later from the month after — and never inside a semi-annual or annual period already paid
//! for: it then starts when that period ends. Months between the start and the first
//! designated month are debited one by one, so none is left out.
//!
//! The change is an effective-dated record (`frequency_changes`) that billing reads on top of
//! the contract's own frequency; the preview shows the next debits computed by the billing
//! function itself (`billing::due_for_month`) with the change in place.

use jiff::civil::Date;
use kyosai_domain::billing::{self as dom, ContractFacts, Due, FrequencyChange};
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::{PaymentFrequency, RuleSet};
use kyosai_domain::schedule;
use kyosai_domain::small_enterprise::frequency_change;
use kyosai_domain::{
    ApplicationId, ApplicationStatus, FieldError, Procedure, Program, YearMonth, Yen,
};
use kyosai_store::contracts::Contract;
use kyosai_store::payment_schedule;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::form_parser::{Parser, text};
use crate::ja_text::{ja_date, ja_month};
use crate::procedure::maintenance_subject;
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
    active_contract, subject_contract,
};
use crate::{Actor, App, AppError};

/// The frequency change form as submitted (HTML form or JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FrequencyForm {
    /// `monthly`, `semi_annual` or `annual`.
    pub frequency: Option<String>,
    /// 指定納付月 (1–12) for semi-annual and annual payment; ignored for monthly.
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "4"))]
    pub designated_month: Option<String>,
}

/// A parsed frequency choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrequencyChoice {
    pub frequency: PaymentFrequency,
    pub designated_month: Option<i8>,
}

impl FrequencyForm {
    pub fn parse(&self) -> Result<FrequencyChoice, AppError> {
        let mut p = Parser { errors: Vec::new() };
        let frequency = p.choice(
            "frequency",
            &self.frequency,
            "払込区分",
            PaymentFrequency::parse,
        );
        let designated_month = match frequency {
            Some(PaymentFrequency::Monthly) | None => None,
            Some(_) => p
                .count("designated_month", &self.designated_month, "指定納付月", 12)
                .and_then(|n| match i8::try_from(n) {
                    Ok(m) if m >= 1 => Some(m),
                    _ => {
                        p.err(
                            "designated_month",
                            "out_of_range",
                            "指定納付月は1から12の月で入力してください。",
                        );
                        None
                    }
                }),
        };
        match frequency {
            Some(frequency) if p.errors.is_empty() => Ok(FrequencyChoice {
                frequency,
                designated_month,
            }),
            _ => Err(AppError::Invalid(p.errors)),
        }
    }
}

/// One debit to come, as billing will compute it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpcomingDebit {
    pub month: YearMonth,
    pub debit_date: Date,
    pub amount_yen: Yen,
    /// Premium months the debit pays for.
    pub months_covered: i64,
}

/// What a frequency change will do (the confirmation page) or did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FrequencyPlan {
    pub contract_number: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "semi_annual"))]
    pub frequency: PaymentFrequency,
    pub designated_month: Option<i8>,
    /// The first month paid at the new frequency.
    pub effective_month: YearMonth,
    /// The next debits with the change in place.
    pub next_debits: Vec<UpcomingDebit>,
}

/// The result of a frequency change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FrequencyChangeResult {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    #[serde(flatten)]
    pub plan: FrequencyPlan,
}

impl Outcome for FrequencyChangeResult {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

/// A contract's billing facts now, and the last month billed (any result).
pub(crate) struct ContractState {
    pub facts: ContractFacts,
    pub billed_until: Option<YearMonth>,
}

/// The facts billing would use for the contract (the billing page's own), and the last month
/// billed.
pub(crate) async fn contract_state(
    app: &App,
    conn: &mut AnyConnection,
    c: &Contract,
) -> Result<ContractState, AppError> {
    let (facts, _, hist, _) = app.billing_facts(conn, c).await?;
    let billed_until = hist
        .iter()
        .flat_map(|h| h.items.iter().map(|i| i.month))
        .max();
    Ok(ContractState {
        facts,
        billed_until,
    })
}

impl App {
    /// The next `count` debits of a contract with `facts`, from `from` on, each computed by the
    /// billing function with the rule set in force for its month, assuming each is collected.
    pub(crate) fn next_debits(
        &self,
        mut facts: ContractFacts,
        from: YearMonth,
        count: usize,
    ) -> Result<Vec<UpcomingDebit>, AppError> {
        let mut out = Vec::new();
        for k in 0..36 {
            if out.len() >= count {
                break;
            }
            let m = from.plus(k);
            let rules = self.billing_rules(facts.program, m)?;
            if let Due::Bill(plan) = dom::due_for_month(&rules, &facts, m) {
                facts.total_paid = Yen::new(facts.total_paid.get() + plan.total.get());
                facts
                    .unpaid
                    .retain(|u| !plan.items.iter().any(|i| i.month == u.month));
                out.push(UpcomingDebit {
                    month: m,
                    debit_date: schedule::debit_date(&rules.collection, &self.calendar, m),
                    amount_yen: plan.total,
                    months_covered: plan.months_covered(),
                });
            }
        }
        Ok(out)
    }

    /// The first month whose debit file is not made yet today.
    pub(crate) fn first_open_month(&self, program: Program) -> Result<YearMonth, AppError> {
        let rules = self.rules_for(program)?;
        Ok(schedule::first_open_month(
            &rules.collection,
            &self.calendar,
            self.clock.today(),
        ))
    }

    /// What a change to `choice` received today would do, or why it cannot be made.
    async fn frequency_plan(
        &self,
        conn: &mut AnyConnection,
        c: &Contract,
        choice: FrequencyChoice,
    ) -> Result<FrequencyPlan, AppError> {
        let rules = self.rules_for(c.program)?;
        let fc = rules
            .small_enterprise
            .as_ref()
            .map(|s| &s.frequency_change)
            .filter(|_| rules.premium.frequencies.value.contains(&choice.frequency))
            .ok_or_else(|| {
                AppError::invalid(
                    "frequency",
                    "not_allowed",
                    format!(
                        "{}では、この払込区分は選べません（月払のみです）。",
                        c.program.name_ja()
                    ),
                )
            })?;
        let state = contract_state(self, conn, c).await?;
        let first_open = self.first_open_month(c.program)?;
        let start = frequency_change::start_month(
            fc,
            &self.calendar,
            &state.facts,
            self.clock.today(),
            first_open,
        );
        let (now_frequency, now_month, _) = state.facts.schedule_for(start);
        // Semi-annual debits in April are debits in October too: the same schedule.
        let same_months = choice.designated_month.is_none_or(|d| {
            i32::from(d - now_month).rem_euclid(choice.frequency.months_per_debit()) == 0
        });
        if now_frequency == choice.frequency && same_months {
            return Err(AppError::Invalid(vec![FieldError::new(
                "frequency",
                "unchanged",
                "ご登録の払込区分・指定納付月と同じです。変更する内容を選んでください。",
            )]));
        }
        let mut facts = state.facts;
        facts.frequency_changes.retain(|f| f.from < start);
        facts.frequency_changes.push(FrequencyChange {
            from: start,
            frequency: choice.frequency,
            designated_month: choice.designated_month,
        });
        Ok(FrequencyPlan {
            contract_number: c.number.clone(),
            frequency: choice.frequency,
            designated_month: choice.designated_month,
            effective_month: start,
            next_debits: self.next_debits(facts, first_open, 6)?,
        })
    }

    /// Checks a frequency change without storing anything (the confirmation page): who may do
    /// it, the fields, from which month it applies and the next debits with it.
    pub async fn preview_frequency_change(
        &self,
        actor: &Actor,
        number: &str,
        form: &FrequencyForm,
    ) -> Result<FrequencyPlan, AppError> {
        let choice = form.parse()?;
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        self.frequency_plan(&mut conn, &c, choice).await
    }

    /// Changes the payment frequency (the channel follows the actor: `paper` when staff enter a
    /// 小204 for the member).
    pub async fn change_frequency(
        &self,
        actor: &Actor,
        number: &str,
        form: &FrequencyForm,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<FrequencyChangeResult>, AppError> {
        self.run_procedure::<FrequencyChangeProcedure>(actor, number, form, key)
            .await
    }
}

pub(crate) struct FrequencyChangeProcedure;

impl ProcedureRules for FrequencyChangeProcedure {
    const PROCEDURE: Procedure = Procedure::FrequencyChange;
    type Target = str;
    type Form = FrequencyForm;
    type Input = FrequencyChoice;
    type Done = FrequencyPlan;
    type Answer = FrequencyChangeResult;

    fn parse(form: &FrequencyForm) -> Result<FrequencyChoice, AppError> {
        form.parse()
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &FrequencyChoice,
    ) -> Result<Subject, AppError> {
        maintenance_subject(conn, actor, number).await
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &FrequencyChoice,
        rules: &RuleSet,
    ) -> Result<Checked<FrequencyChangeResult>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.frequency_plan(conn, &c, *input).await?;
        Ok(Checked::Assessed(Assessment {
            rule_set: rules.id.clone(),
            checks: vec![
                passed("contract_active", "契約は有効です。"),
                passed(
                    "frequency_allowed",
                    &format!("{}は選べる払込区分です。", input.frequency.name_ja()),
                ),
                passed(
                    "effective_month",
                    &format!(
                        "受付日の締切（20日、12月は15日）により、{}分から新しい払込区分になります。",
                        ja_month(plan.effective_month)
                    ),
                ),
            ],
        }))
    }

    async fn complete(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        input: &FrequencyChoice,
    ) -> Result<FrequencyPlan, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.frequency_plan(conn, &c, *input).await?;
        payment_schedule::insert_frequency_change(
            conn,
            &payment_schedule::NewFrequencyChange {
                contract_id: c.id,
                change: FrequencyChange {
                    from: plan.effective_month,
                    frequency: plan.frequency,
                    designated_month: plan.designated_month,
                },
                application_id: filed.application_id,
                now: &filed.now,
            },
        )
        .await?;
        filed.audit(
            "contract.frequency_changed",
            &format!("contract:{}", c.id),
            Some(&json!({ "frequency": c.frequency.as_str() })),
            Some(&json!({
                "frequency": plan.frequency.as_str(),
                "designated_month": plan.designated_month,
                "effective_month": plan.effective_month.to_string(),
                "application": filed.application_id,
            })),
        );
        Ok(plan)
    }

    async fn answer(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        _assessment: Assessment,
        input: FrequencyChoice,
        done: Option<FrequencyPlan>,
    ) -> Result<FrequencyChangeResult, AppError> {
        let plan = match done {
            Some(plan) => plan,
            None => {
                let c = subject_contract(conn, subject).await?;
                app.frequency_plan(conn, &c, input).await?
            }
        };
        Ok(FrequencyChangeResult {
            application_id: filed.application_id,
            status: filed.status,
            plan,
        })
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        _input: &FrequencyChoice,
        plan: &FrequencyPlan,
    ) -> MailText {
        let designated = plan
            .designated_month
            .map(|m| format!("（指定納付月：{m}月）"))
            .unwrap_or_default();
        MailText {
            subject: format!(
                "【{}】払込区分の変更を受け付けました",
                subject.program.name_ja()
            ),
            body: format!(
                "{} 様\n\n共済契約者番号 {} の払込区分を{}{}に変更しました（受付番号：{}）。\n\
                 {}分から新しい払込区分でお支払いいただきます。\n\n今後の引落し予定：\n{}\n\
                 {}/portal/contracts/{}/billing\n",
                subject.holder_name,
                plan.contract_number,
                plan.frequency.name_ja(),
                designated,
                filed.application_id,
                ja_month(plan.effective_month),
                debit_lines(&plan.next_debits),
                app.public_url,
                plan.contract_number,
            ),
        }
    }
}

/// `2027年4月18日　60,000円（6か月分）` per debit, one a line.
pub(crate) fn debit_lines(debits: &[UpcomingDebit]) -> String {
    debits
        .iter()
        .map(|d| {
            format!(
                "・{}　{}（{}か月分）\n",
                ja_date(d.debit_date),
                d.amount_yen,
                d.months_covered
            )
        })
        .collect()
}

pub(crate) fn passed(code: &str, message: &str) -> Check {
    Check {
        code: code.into(),
        status: CheckStatus::Passed,
        field: None,
        message: message.into(),
    }
}
