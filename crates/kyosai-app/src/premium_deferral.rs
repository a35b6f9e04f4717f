//! 掛金の納付期限の延長 (小規模企業共済 under a disaster special measure; issue #10, REFERENCE
//! §2.6) on the procedure framework.
//!
//! 小規模 has no general deferral; a measure in force for the member's registered address offers
//! one (`premium_deferral` in `rules/special_measures/`: the most months, and the deferred
//! months each later debit collects). The member names how many months: from the first month
//! whose debit file is not made yet, those premiums are not debited; from the month after, each
//! debit also collects deferred months, oldest first, until all are paid
//! ([`kyosai_domain::billing::Deferral`]). A rule decides it at once. Monthly payers only (a
//! 半年払/年払 debit covers months ahead; the measure's pages do not say how those defer), and
//! not while suspended, prepaid over the months, or still catching up an earlier deferral.

use kyosai_domain::billing::Deferral;
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::special_measures::Effect;
use kyosai_domain::{
    ApplicationId, ApplicationStatus, Procedure, Program, YearMonth, Yen, rounding,
};
use kyosai_store::contracts::Contract;
use kyosai_store::payment_schedule;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::form_parser::{Parser, text};
use crate::ja_text::ja_month;
use crate::payment_frequency::contract_state;
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
    active_contract, maintenance_subject, subject_contract,
};
use crate::{Actor, App, AppError};

/// A deferral request (`POST /api/v1/contracts/{number}/premium-deferral`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PremiumDeferralForm {
    /// How many months' premiums to defer (at most the measure's `max_months`).
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub months: Option<String>,
}

impl PremiumDeferralForm {
    fn parse(&self) -> Result<u32, AppError> {
        let mut p = Parser { errors: Vec::new() };
        let months = p.count("months", &self.months, "延長する月数", 120);
        match months.and_then(|m| u32::try_from(m).ok()) {
            Some(m) if p.errors.is_empty() => Ok(m),
            _ => Err(AppError::Invalid(p.errors)),
        }
    }
}

/// What a deferral will do (the confirmation page) or did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeferralPlan {
    pub contract_number: String,
    /// The special measure that offers it.
    pub special_measure: String,
    /// The most months the measure allows.
    pub max_months: u32,
    /// The first and last months not debited.
    pub deferred_from: YearMonth,
    pub deferred_until: YearMonth,
    pub monthly_premium_yen: Yen,
    /// The first debit that also collects deferred premiums, and the one that collects the last.
    pub catch_up_from: YearMonth,
    pub caught_up_by: YearMonth,
    /// Deferred months each of those debits collects with its own.
    pub extra_months_per_debit: u32,
    /// What each of those debits takes (the month's premium and the deferred ones).
    pub catch_up_debit_yen: Yen,
}

impl DeferralPlan {
    /// What billing reads.
    fn deferral(&self) -> Deferral {
        Deferral {
            from: self.deferred_from,
            until: self.deferred_until,
            extra_per_debit: self.extra_months_per_debit,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PremiumDeferral {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    #[serde(flatten)]
    pub plan: DeferralPlan,
}

impl Outcome for PremiumDeferral {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

impl App {
    /// What deferring `months` received today would do, or why it is not allowed.
    async fn deferral_plan(
        &self,
        conn: &mut AnyConnection,
        c: &Contract,
        months: u32,
    ) -> Result<DeferralPlan, AppError> {
        if c.program != Program::SmallEnterprise {
            return Err(AppError::conflict(
                "not_available",
                "掛金の納付期限の延長は、小規模企業共済の災害の特例措置です。",
            ));
        }
        let today = self.clock.today();
        let offered = crate::special_measures::effect_for(conn, c, today, |e| {
            matches!(e, Effect::PremiumDeferral { .. })
        })
        .await?;
        let Some((
            measure,
            Effect::PremiumDeferral {
                max_months,
                extra_months_per_debit,
                ..
            },
        )) = offered
        else {
            return Err(AppError::conflict(
                "deferral_not_allowed",
                "掛金の納付期限の延長は、災害の特例措置の対象の方がご利用いただけます。",
            ));
        };
        if months == 0 || months > *max_months {
            return Err(AppError::invalid(
                "months",
                "range",
                format!("延長する月数は1〜{max_months}か月で入力してください。"),
            ));
        }
        let facts = contract_state(self, conn, c).await?.facts;
        let from = self.first_open_month(c.program)?;
        if facts.suspended_from.is_some() {
            return Err(AppError::conflict(
                "already_suspended",
                "掛止め中（または掛止めの予定）のため、納付期限の延長はできません。",
            ));
        }
        if let Some(d) = facts.deferral.filter(|d| d.caught_up_by() >= from) {
            return Err(AppError::conflict(
                "already_deferred",
                format!(
                    "延長した掛金の引落しが{}分まで続くため、新たな延長はそのあとにお申し出ください。",
                    ja_month(d.caught_up_by())
                ),
            ));
        }
        let deferral = Deferral {
            from,
            until: from.plus(months as i32 - 1),
            extra_per_debit: *extra_months_per_debit,
        };
        if facts.prepaid_until.is_some_and(|p| p >= from) {
            return Err(AppError::conflict(
                "prepaid",
                "前納済みの月があるため、納付期限の延長はできません。",
            ));
        }
        let monthly = (0..=from.months_until(deferral.caught_up_by()))
            .all(|k| facts.debit_span(from.plus(k)) == Some(1));
        if !monthly {
            return Err(AppError::conflict(
                "not_monthly",
                "納付期限の延長は月払の方がご利用いただけます。半年払・年払の方は共済相談室にお問い合わせください。",
            ));
        }
        let premium = facts.premium_for(from);
        Ok(DeferralPlan {
            contract_number: c.number.clone(),
            special_measure: measure.name.clone(),
            max_months: *max_months,
            deferred_from: deferral.from,
            deferred_until: deferral.until,
            monthly_premium_yen: premium,
            catch_up_from: deferral.until.plus(1),
            caught_up_by: deferral.caught_up_by(),
            extra_months_per_debit: *extra_months_per_debit,
            catch_up_debit_yen: rounding::mul(premium, i64::from(1 + *extra_months_per_debit)),
        })
    }

    /// Checks a deferral without storing anything (the confirmation page).
    pub async fn preview_premium_deferral(
        &self,
        actor: &Actor,
        number: &str,
        form: &PremiumDeferralForm,
    ) -> Result<DeferralPlan, AppError> {
        let months = form.parse()?;
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        self.deferral_plan(&mut conn, &c, months).await
    }

    /// The measure's deferral offered to a contract's member, if any: (measure, what it offers,
    /// the most months) — for the billing page's link.
    pub async fn premium_deferral_offer(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<Option<(String, String, u32)>, AppError> {
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        if c.program != Program::SmallEnterprise {
            return Ok(None);
        }
        let offered = crate::special_measures::effect_for(&mut conn, &c, self.clock.today(), |e| {
            matches!(e, Effect::PremiumDeferral { .. })
        })
        .await?;
        Ok(match offered {
            Some((
                m,
                Effect::PremiumDeferral {
                    description,
                    max_months,
                    ..
                },
            )) => Some((m.name.clone(), description.clone(), *max_months)),
            _ => None,
        })
    }

    /// Files a 掛金の納付期限の延長 (see [`PremiumDeferralProcedure`]).
    pub async fn defer_premiums(
        &self,
        actor: &Actor,
        number: &str,
        form: &PremiumDeferralForm,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<PremiumDeferral>, AppError> {
        self.run_procedure::<PremiumDeferralProcedure>(actor, number, form, key)
            .await
    }
}

pub(crate) struct PremiumDeferralProcedure;

impl ProcedureRules for PremiumDeferralProcedure {
    const PROCEDURE: Procedure = Procedure::PremiumDeferral;
    type Target = str;
    type Form = PremiumDeferralForm;
    type Input = u32;
    type Done = DeferralPlan;
    type Answer = PremiumDeferral;

    fn parse(form: &PremiumDeferralForm) -> Result<u32, AppError> {
        form.parse()
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &u32,
    ) -> Result<Subject, AppError> {
        maintenance_subject(conn, actor, number).await
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        months: &u32,
        rules: &RuleSet,
    ) -> Result<Checked<PremiumDeferral>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.deferral_plan(conn, &c, *months).await?;
        Ok(Checked::Assessed(Assessment {
            rule_set: rules.id.clone(),
            checks: vec![
                Check::new(
                    "special_measure",
                    CheckStatus::Passed,
                    None,
                    format!("{}により納付期限を延長できます。", plan.special_measure),
                ),
                Check::new(
                    "deferred_months",
                    CheckStatus::Passed,
                    None,
                    format!(
                        "{}分から{}分までの掛金の引落しを延長します（{}か月以内）。",
                        ja_month(plan.deferred_from),
                        ja_month(plan.deferred_until),
                        plan.max_months
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
        months: &u32,
    ) -> Result<DeferralPlan, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.deferral_plan(conn, &c, *months).await?;
        payment_schedule::defer(conn, c.id, &plan.deferral()).await?;
        filed.audit(
            "contract.premiums_deferred",
            &format!("contract:{}", c.id),
            None,
            Some(&json!({
                "deferred_from": plan.deferred_from.to_string(),
                "deferred_until": plan.deferred_until.to_string(),
                "caught_up_by": plan.caught_up_by.to_string(),
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
        months: u32,
        done: Option<DeferralPlan>,
    ) -> Result<PremiumDeferral, AppError> {
        let plan = match done {
            Some(plan) => plan,
            None => {
                let c = subject_contract(conn, subject).await?;
                app.deferral_plan(conn, &c, months).await?
            }
        };
        Ok(PremiumDeferral {
            application_id: filed.application_id,
            status: filed.status,
            plan,
        })
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        _months: &u32,
        plan: &DeferralPlan,
    ) -> MailText {
        MailText {
            subject: format!(
                "【{}】掛金の納付期限の延長を受け付けました",
                subject.program.name_ja()
            ),
            body: format!(
                "{} 様\n\n共済契約者番号 {} の掛金の納付期限の延長を受け付けました（受付番号：{}、{}）。\n\
                 {}分から{}分までの掛金は、その月には引き落としません。\n\
                 {}分から{}分までは、毎月の掛金とあわせて延長した掛金を引き落とします（1回 {}）。\n\
                 {}/portal/contracts/{}/billing\n",
                subject.holder_name,
                plan.contract_number,
                filed.application_id,
                plan.special_measure,
                ja_month(plan.deferred_from),
                ja_month(plan.deferred_until),
                ja_month(plan.catch_up_from),
                ja_month(plan.caught_up_by),
                plan.catch_up_debit_yen,
                app.public_url,
                plan.contract_number,
            ),
        }
    }
}
