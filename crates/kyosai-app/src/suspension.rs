//! 掛止め (premium suspension) and its resumption (REFERENCE §2.6; issue #10).
//!
//! 倒産防止: allowed only when 掛金総額 ≥ 掛金月額 × 40 (rule data); a notice received by the 5th
//! (next business day if a holiday) stops that month's debit, a later one from the next month —
//! never a month whose debit file is already made. Resuming after a year or more of suspension
//! (rule data) needs a new debit account in the same flow (中213 with 中105): the account fields
//! are parsed like the account change's ([`MandateForm`]).
//!
//! 小規模 has no general 掛止め; a disaster special measure may offer one (the 2024 Noto measure,
//! `rules/special_measures/2024-noto.toml`). The measures in force on the day for the
//! prefecture of the member's registered address are consulted ([`crate::special_measures`]), and a `premium_suspension` effect
//! for the program allows it (without the 40× condition, which is 倒産防止's). The measure's
//! other effects (deferral, reduction, loans) belong to other procedures.
//!
//! Billing skips every month from `contracts.suspended_from` until `contracts.resumed_from`
//! (the resumption's first open month), so a late run of an earlier month still skips it.

use jiff::civil::Date;
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::safety_net::suspension;
use kyosai_domain::special_measures::Effect;
use kyosai_domain::{
    ApplicationId, ApplicationStatus, MandateStatus, Procedure, Program, YearMonth, Yen, rounding,
    schedule,
};
use kyosai_store::contracts::{self, Contract};
use kyosai_store::payment_schedule;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::bank_account::{BankAccount, same_holder};
use crate::ja_text::{ja_date, ja_month};
use crate::mandate_change::{MandateForm, masked_number};
use crate::payment_frequency::{contract_state, passed};
use crate::procedure::maintenance_subject;
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
    active_contract, subject_contract,
};
use crate::{Actor, App, AppError};

/// The 掛止め notice has no fields: the contract is the whole request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuspensionForm {}

/// What a 掛止め will do (the confirmation page) or did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuspensionPlan {
    pub contract_number: String,
    pub program: Program,
    /// The first month without a debit.
    pub effective_month: YearMonth,
    pub monthly_premium_yen: Yen,
    pub total_paid_yen: Yen,
    /// 倒産防止: the 掛金総額 a suspension needs (40 × the monthly premium).
    pub required_total_yen: Option<Yen>,
    /// The special measure that allows it (小規模).
    pub special_measure: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suspension {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    #[serde(flatten)]
    pub plan: SuspensionPlan,
}

impl Outcome for Suspension {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

/// The resumption notice: the new debit account, needed after a long suspension (else
/// optional; leave every field empty to keep the registered account).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResumptionForm {
    #[serde(flatten)]
    pub account: MandateForm,
}

impl ResumptionForm {
    /// The new account, if any account field was filled in.
    pub fn parse(&self) -> Result<Option<BankAccount>, AppError> {
        let a = &self.account;
        let given = [
            &a.bank_code,
            &a.branch_code,
            &a.account_type,
            &a.account_number,
            &a.account_holder_kana,
        ]
        .iter()
        .any(|f| f.as_deref().is_some_and(|s| !s.trim().is_empty()));
        if given { a.parse().map(Some) } else { Ok(None) }
    }
}

/// What a resumption will do (the confirmation page) or did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResumptionPlan {
    pub contract_number: String,
    pub program: Program,
    pub suspended_from: YearMonth,
    /// The first month debited again.
    pub resumed_from: YearMonth,
    pub first_debit_date: Date,
    pub monthly_premium_yen: Yen,
    /// Suspended a year or more (倒産防止): a new debit account is required.
    pub new_account_required: bool,
    /// The new account (masked number), if one was given.
    pub new_account: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resumption {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    #[serde(flatten)]
    pub plan: ResumptionPlan,
}

impl Outcome for Resumption {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

impl App {
    /// What a 掛止め received today would do, or why it is not allowed.
    async fn suspension_plan(
        &self,
        conn: &mut AnyConnection,
        c: &Contract,
    ) -> Result<SuspensionPlan, AppError> {
        let rules = self.rules_for(c.program)?;
        let state = contract_state(self, conn, c).await?;
        let facts = &state.facts;
        if facts.suspended_from.is_some() {
            return Err(AppError::conflict(
                "already_suspended",
                "この共済契約はすでに掛止め中（または掛止めの予定）です。",
            ));
        }
        let today = self.clock.today();
        let first_open = self.first_open_month(c.program)?;
        let mut plan = SuspensionPlan {
            contract_number: c.number.clone(),
            program: c.program,
            effective_month: first_open,
            monthly_premium_yen: facts.premium_for(first_open),
            total_paid_yen: facts.total_paid,
            required_total_yen: None,
            special_measure: None,
        };
        match c.program {
            Program::SafetyNet => {
                let sr = &crate::rules::safety_net(&rules)?.suspension;
                plan.effective_month =
                    suspension::first_suspended_month(sr, &self.calendar, today).max(first_open);
                plan.monthly_premium_yen = facts.premium_for(plan.effective_month);
                let required =
                    rounding::mul(plan.monthly_premium_yen, sr.min_multiple_of_premium.value);
                plan.required_total_yen = Some(required);
                if !suspension::allowed(sr, facts.total_paid, plan.monthly_premium_yen) {
                    return Err(AppError::conflict(
                        "suspension_not_allowed",
                        format!(
                            "掛止めは、掛金総額が掛金月額の{}倍（{}）以上のときにできます。現在の掛金総額は{}です。",
                            sr.min_multiple_of_premium.value, required, facts.total_paid
                        ),
                    ));
                }
            }
            Program::SmallEnterprise => {
                let measure = crate::special_measures::effect_for(conn, c, today, |e| {
                    matches!(e, Effect::PremiumSuspension { .. })
                })
                .await?;
                let Some((measure, _)) = measure else {
                    return Err(AppError::conflict(
                        "suspension_not_allowed",
                        "小規模企業共済には掛止めの制度はありません（災害の特例措置の対象の方を除きます）。",
                    ));
                };
                plan.special_measure = Some(measure.name.clone());
            }
        }
        Ok(plan)
    }

    /// Checks a 掛止め without storing anything (the confirmation page).
    pub async fn preview_suspension(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<SuspensionPlan, AppError> {
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        self.suspension_plan(&mut conn, &c).await
    }

    /// Files a 掛止め notice (中211).
    pub async fn suspend_premiums(
        &self,
        actor: &Actor,
        number: &str,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<Suspension>, AppError> {
        self.run_procedure::<SuspensionProcedure>(actor, number, &SuspensionForm {}, key)
            .await
    }

    /// What a resumption received today would do, or why it cannot be made.
    async fn resumption_plan(
        &self,
        conn: &mut AnyConnection,
        c: &Contract,
        account: Option<&BankAccount>,
    ) -> Result<ResumptionPlan, AppError> {
        let state = contract_state(self, conn, c).await?;
        let Some(suspended_from) = state.facts.suspended_from else {
            return Err(AppError::conflict(
                "not_suspended",
                "この共済契約は掛止めしていません。",
            ));
        };
        let resumed_from = self.first_open_month(c.program)?;
        let rules = self.billing_rules(c.program, resumed_from)?;
        let new_account_required = rules.safety_net.as_ref().is_some_and(|sn| {
            suspension::needs_new_account(&sn.suspension, suspended_from, resumed_from)
        });
        if new_account_required && account.is_none() {
            // The same field errors as an empty account change form, with the reason first.
            let mut errors = match MandateForm::default().parse() {
                Err(AppError::Invalid(e)) => e,
                _ => Vec::new(),
            };
            if let Some(first) = errors.first_mut() {
                first.message = format!(
                    "1年以上掛止めしていたため、新しい引落口座の届出が必要です。{}",
                    first.message
                );
            }
            return Err(AppError::Invalid(errors));
        }
        Ok(ResumptionPlan {
            contract_number: c.number.clone(),
            program: c.program,
            suspended_from,
            resumed_from,
            first_debit_date: schedule::debit_date(&rules.collection, &self.calendar, resumed_from),
            monthly_premium_yen: state.facts.premium_for(resumed_from),
            new_account_required,
            new_account: account.map(|a| {
                format!(
                    "{} {} {}",
                    a.bank_name,
                    a.branch_name,
                    masked_number(&a.account_number)
                )
            }),
        })
    }

    /// Checks a resumption without storing anything (the confirmation page).
    pub async fn preview_resumption(
        &self,
        actor: &Actor,
        number: &str,
        form: &ResumptionForm,
    ) -> Result<ResumptionPlan, AppError> {
        let account = form.parse()?;
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        self.resumption_plan(&mut conn, &c, account.as_ref()).await
    }

    /// Files a resumption notice (中213, with 中105 when a new account is given).
    pub async fn resume_premiums(
        &self,
        actor: &Actor,
        number: &str,
        form: &ResumptionForm,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<Resumption>, AppError> {
        self.run_procedure::<ResumptionProcedure>(actor, number, form, key)
            .await
    }
}

pub(crate) struct SuspensionProcedure;

impl ProcedureRules for SuspensionProcedure {
    const PROCEDURE: Procedure = Procedure::Suspension;
    type Target = str;
    type Form = SuspensionForm;
    type Input = ();
    type Done = SuspensionPlan;
    type Answer = Suspension;

    fn parse(_form: &SuspensionForm) -> Result<(), AppError> {
        Ok(())
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &(),
    ) -> Result<Subject, AppError> {
        maintenance_subject(conn, actor, number).await
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        _input: &(),
        rules: &RuleSet,
    ) -> Result<Checked<Suspension>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.suspension_plan(conn, &c).await?;
        let allowed = match (&plan.required_total_yen, &plan.special_measure) {
            (Some(required), _) => format!(
                "掛金総額 {} は、掛止めに必要な {} 以上です。",
                plan.total_paid_yen, required
            ),
            (None, Some(measure)) => format!("{measure}により掛止めできます。"),
            (None, None) => "掛止めできます。".into(),
        };
        Ok(Checked::Assessed(Assessment {
            rule_set: rules.id.clone(),
            checks: vec![
                passed("contract_active", "契約は有効です。"),
                passed("suspension_allowed", &allowed),
                passed(
                    "effective_month",
                    &format!("{}分から引落しを止めます。", ja_month(plan.effective_month)),
                ),
            ],
        }))
    }

    async fn complete(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        _input: &(),
    ) -> Result<SuspensionPlan, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.suspension_plan(conn, &c).await?;
        payment_schedule::suspend(conn, c.id, plan.effective_month).await?;
        filed.audit(
            "contract.suspended",
            &format!("contract:{}", c.id),
            None,
            Some(&json!({
                "suspended_from": plan.effective_month.to_string(),
                "total_paid": plan.total_paid_yen,
                "special_measure": plan.special_measure,
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
        _input: (),
        done: Option<SuspensionPlan>,
    ) -> Result<Suspension, AppError> {
        let plan = match done {
            Some(plan) => plan,
            None => {
                let c = subject_contract(conn, subject).await?;
                app.suspension_plan(conn, &c).await?
            }
        };
        Ok(Suspension {
            application_id: filed.application_id,
            status: filed.status,
            plan,
        })
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        _input: &(),
        plan: &SuspensionPlan,
    ) -> MailText {
        MailText {
            subject: format!(
                "【{}】掛金の掛止めを受け付けました",
                subject.program.name_ja()
            ),
            body: format!(
                "{} 様\n\n共済契約者番号 {} の掛金の掛止めを受け付けました（受付番号：{}）。\n\
                 {}分から掛金の引落しを止めます。再開するときは、マイページから再開の届出をしてください。\n\
                 {}{}/portal/contracts/{}/billing\n",
                subject.holder_name,
                plan.contract_number,
                filed.application_id,
                ja_month(plan.effective_month),
                plan.special_measure
                    .as_ref()
                    .map(|m| format!("（{m}による掛止めです。）\n"))
                    .unwrap_or_default(),
                app.public_url,
                plan.contract_number,
            ),
        }
    }
}

pub(crate) struct ResumptionProcedure;

impl ProcedureRules for ResumptionProcedure {
    const PROCEDURE: Procedure = Procedure::Resumption;
    type Target = str;
    type Form = ResumptionForm;
    type Input = Option<BankAccount>;
    type Done = ResumptionPlan;
    type Answer = Resumption;

    fn parse(form: &ResumptionForm) -> Result<Option<BankAccount>, AppError> {
        form.parse()
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &Option<BankAccount>,
    ) -> Result<Subject, AppError> {
        maintenance_subject(conn, actor, number).await
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &Option<BankAccount>,
        rules: &RuleSet,
    ) -> Result<Checked<Resumption>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.resumption_plan(conn, &c, input.as_ref()).await?;
        let mut checks = vec![
            passed("contract_suspended", "掛止め中の契約です。"),
            passed(
                "resumed_from",
                &format!(
                    "{}分（{}振替）から引落しを再開します。",
                    ja_month(plan.resumed_from),
                    ja_date(plan.first_debit_date)
                ),
            ),
        ];
        if let Some(account) = input {
            // Like the account change: the holder must be someone the contract already
            // debits, else staff look first.
            let mandates = contracts::mandates_for(conn, c.id).await?;
            checks.push(
                if mandates
                    .iter()
                    .any(|m| same_holder(&m.holder_kana, &account.holder_kana))
                {
                    passed(
                        "account_holder",
                        "口座名義は、ご登録の口座の名義と一致します。",
                    )
                } else {
                    Check {
                        code: "account_holder".into(),
                        status: CheckStatus::NeedsReview,
                        field: None,
                        message: "口座名義がご登録の口座の名義と一致しません。どなたの口座か職員が確認します。".into(),
                    }
                },
            );
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
        input: &Option<BankAccount>,
    ) -> Result<ResumptionPlan, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.resumption_plan(conn, &c, input.as_ref()).await?;
        payment_schedule::resume(conn, c.id, plan.resumed_from).await?;
        let mut mandate = None;
        if let Some(a) = input {
            let replaced = contracts::replace_active_mandate(conn, c.id).await?;
            let id = contracts::insert_mandate(
                conn,
                &contracts::NewMandate {
                    contract_id: c.id,
                    bank_code: &a.bank_code,
                    branch_code: &a.branch_code,
                    account_type: &a.account_type,
                    account_number: &a.account_number,
                    holder_kana: &a.holder_kana,
                    effective_month: Some(plan.resumed_from),
                    application_id: Some(filed.application_id),
                    now: &filed.now,
                },
            )
            .await?;
            mandate = Some(json!({ "mandate": id, "replaced": replaced,
                "account": masked_number(&a.account_number), "status": MandateStatus::Active }));
        }
        filed.audit(
            "contract.resumed",
            &format!("contract:{}", c.id),
            Some(&json!({ "suspended_from": plan.suspended_from.to_string() })),
            Some(&json!({
                "resumed_from": plan.resumed_from.to_string(),
                "new_mandate": mandate,
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
        input: Option<BankAccount>,
        done: Option<ResumptionPlan>,
    ) -> Result<Resumption, AppError> {
        let plan = match done {
            Some(plan) => plan,
            None => {
                let c = subject_contract(conn, subject).await?;
                app.resumption_plan(conn, &c, input.as_ref()).await?
            }
        };
        Ok(Resumption {
            application_id: filed.application_id,
            status: filed.status,
            plan,
        })
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        _input: &Option<BankAccount>,
        plan: &ResumptionPlan,
    ) -> MailText {
        MailText {
            subject: format!("【{}】掛金請求再開のお知らせ", subject.program.name_ja()),
            body: format!(
                "{} 様\n\n共済契約者番号 {} の掛金の納付再開を受け付けました（受付番号：{}）。\n\
                 {}分から掛金（月額 {}）の引落しを再開します。最初の振替日は{}です。\n{}\n{}/portal/contracts/{}/billing\n",
                subject.holder_name,
                plan.contract_number,
                filed.application_id,
                ja_month(plan.resumed_from),
                plan.monthly_premium_yen,
                ja_date(plan.first_debit_date),
                plan.new_account
                    .as_ref()
                    .map(|a| format!("引落口座：{a}（新しい口座）\n"))
                    .unwrap_or_default(),
                app.public_url,
                plan.contract_number,
            ),
        }
    }
}
