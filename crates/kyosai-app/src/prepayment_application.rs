//! 前納の申出 (prepayment application) of both programs (REFERENCE §2.3; issue #10).
//!
//! The member chooses how many months to prepay and sees the months covered, the amount and the
//! 前納減額金 it earns. The rules: the months follow what is already billed or prepaid; a
//! 倒産防止 application must reach the Organization by the 5th of the first prepaid month (next
//! business day if a holiday: `safety_net::month_for_request`), else it starts a month later;
//! the most months at once is rule data (`prepayment.max_months_ahead`); and for 倒産防止 the
//! 掛金総額 with the months billed before and the 前納 must stay within the accumulation cap.
//!
//! How the money is collected: Kyosai's billing makes one line per contract and month of
//! premium months due and cannot carry a one-off amount, so a 前納 is paid by bank transfer to
//! the Organization (as 倒産防止's 加入時前納 already is, REFERENCE §2.2). The application
//! therefore always waits for staff (check `payment_received`); approving it once the money has
//! arrived records the 前納 through the one existing path (`App::record_prepayment`'s ledger
//! entry, `prepayments` row and `prepaid_until`), so billing skips those months and the
//! 前納減額金 is computed from that record as before.

use kyosai_domain::prepayment_discount::{self as discount, Prepayment};
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::{
    ApplicationId, ApplicationStatus, FieldError, PrepaymentId, Procedure, Program, YearMonth, Yen,
    rounding, safety_net,
};
use kyosai_store::contracts::Contract;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::form_parser::{Parser, text};
use crate::ja_text::ja_month;
use crate::payment_frequency::{contract_state, passed};
use crate::procedure::maintenance_subject;
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
    active_contract, subject_contract,
};
use crate::{Actor, App, AppError};

/// The 前納 form as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrepaymentForm {
    /// How many months to prepay.
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "12"))]
    pub months: Option<String>,
}

impl PrepaymentForm {
    pub fn parse(&self) -> Result<u32, AppError> {
        let mut p = Parser { errors: Vec::new() };
        let months = p.count("months", &self.months, "前納する月数", 9_999);
        match months.and_then(|m| u32::try_from(m).ok()) {
            Some(m) if m >= 1 && p.errors.is_empty() => Ok(m),
            Some(_) => Err(AppError::invalid(
                "months",
                "out_of_range",
                "前納する月数は1か月以上で入力してください。",
            )),
            None => Err(AppError::Invalid(p.errors)),
        }
    }
}

/// What a 前納 will cover and cost, and the discount it earns.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrepaymentPlan {
    pub contract_number: String,
    pub program: Program,
    pub months: u32,
    pub first_month: YearMonth,
    pub last_month: YearMonth,
    pub monthly_premium_yen: Yen,
    /// What the member pays (monthly premium × months).
    pub amount_yen: Yen,
    /// 前納減額金 this 前納 earns when paid in `paid_month` (paid in June on the March-end
    /// position, REFERENCE §2.3).
    pub discount_yen: Yen,
    /// True when the discount rate is provisional (an estimate, 概算).
    pub discount_estimate: bool,
    /// The month the money is expected (this month).
    pub paid_month: YearMonth,
}

/// The result of a 前納 application.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrepaymentApplication {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    #[serde(flatten)]
    pub plan: PrepaymentPlan,
}

impl Outcome for PrepaymentApplication {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

impl App {
    /// What a 前納 of `months` months applied for today would cover and cost, or field errors.
    pub(crate) async fn prepayment_plan(
        &self,
        conn: &mut AnyConnection,
        c: &Contract,
        months: u32,
    ) -> Result<PrepaymentPlan, AppError> {
        let rules = self.rules_for(c.program)?;
        let prep = discount::rules_of(&rules)
            .ok_or_else(|| AppError::Internal("no prepayment rules".into()))?;
        if let Some(max) = &prep.max_months_ahead
            && months > max.value
        {
            return Err(AppError::invalid(
                "months",
                "out_of_range",
                format!("前納する月数は1から{}の範囲で入力してください。", max.value),
            ));
        }
        let today = self.clock.today();
        let state = contract_state(self, conn, c).await?;
        let facts = &state.facts;
        // 倒産防止: received by the 5th (next business day if a holiday) → from that month.
        let earliest = match &prep.application_cutoff_day {
            Some(day) => safety_net::month_for_request(&self.calendar, today, day.value),
            None => YearMonth::of(today),
        }
        .max(self.first_open_month(c.program)?)
        .max(c.first_debit_month);
        let covered = state.billed_until.max(facts.prepaid_until);
        let first = covered.map_or(earliest, |m| earliest.max(m.plus(1)));
        let last = first.plus(months as i32 - 1);
        if facts.suspended_from.is_some_and(|s| s <= last) {
            return Err(AppError::conflict(
                "contract_suspended",
                "掛止め中（または掛止めの予定がある）ため、前納できません。",
            ));
        }
        let premium = facts.premium_for(first);
        let amount = rounding::mul(premium, i64::from(months));
        if let Some(cap) = &rules.premium.accumulation_cap_yen {
            // Months before the 前納 that are still to be billed count towards the cap too.
            let unbilled_from = covered.map_or(c.first_debit_month, |m| m.plus(1));
            let before: i64 = (0..unbilled_from.months_until(first).max(0))
                .map(|k| facts.premium_for(unbilled_from.plus(k)).get())
                .sum();
            let room = cap.value.get() - facts.total_paid.get() - facts.pending.get() - before;
            if amount.get() > room {
                let most = (room / premium.get().max(1)).max(0);
                return Err(AppError::Invalid(vec![FieldError::new(
                    "months",
                    "accumulation_cap",
                    format!(
                        "前納すると掛金総額が積立限度額（{}）を超えます。前納できるのは{}か月までです。",
                        cap.value, most
                    ),
                )]));
            }
        }
        let paid_month = YearMonth::of(today);
        let (discount_yen, discount_estimate) = discount::discount(
            prep,
            &Prepayment {
                paid_month,
                first_month: first,
                last_month: last,
                monthly_premium: premium,
            },
        );
        Ok(PrepaymentPlan {
            contract_number: c.number.clone(),
            program: c.program,
            months,
            first_month: first,
            last_month: last,
            monthly_premium_yen: premium,
            amount_yen: amount,
            discount_yen,
            discount_estimate,
            paid_month,
        })
    }

    /// Checks a 前納 application without storing anything (the confirmation page).
    pub async fn preview_prepayment(
        &self,
        actor: &Actor,
        number: &str,
        form: &PrepaymentForm,
    ) -> Result<PrepaymentPlan, AppError> {
        let months = form.parse()?;
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        self.prepayment_plan(&mut conn, &c, months).await
    }

    /// Files a 前納 application; it waits for staff to see the money arrive (module doc).
    pub async fn apply_prepayment(
        &self,
        actor: &Actor,
        number: &str,
        form: &PrepaymentForm,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<PrepaymentApplication>, AppError> {
        self.run_procedure::<PrepaymentProcedure>(actor, number, form, key)
            .await
    }
}

pub(crate) struct PrepaymentProcedure;

impl ProcedureRules for PrepaymentProcedure {
    const PROCEDURE: Procedure = Procedure::Prepayment;
    type Target = str;
    type Form = PrepaymentForm;
    type Input = u32;
    type Done = (PrepaymentId, PrepaymentPlan);
    type Answer = PrepaymentApplication;

    fn parse(form: &PrepaymentForm) -> Result<u32, AppError> {
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
        input: &u32,
        rules: &RuleSet,
    ) -> Result<Checked<PrepaymentApplication>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.prepayment_plan(conn, &c, *input).await?;
        let mut checks = vec![
            passed("contract_active", "契約は有効です。"),
            passed(
                "months",
                &format!(
                    "{}から{}までの{}か月分を前納できます。",
                    ja_month(plan.first_month),
                    ja_month(plan.last_month),
                    plan.months
                ),
            ),
        ];
        if rules.premium.accumulation_cap_yen.is_some() {
            checks.push(passed(
                "accumulation_cap",
                "前納後の掛金総額は積立限度額以内です。",
            ));
        }
        checks.push(Check {
            code: "payment_received".into(),
            status: CheckStatus::NeedsReview,
            field: None,
            message: format!(
                "前納金 {} の入金を職員が確認した後、前納として記録します。",
                plan.amount_yen
            ),
        });
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
        input: &u32,
    ) -> Result<(PrepaymentId, PrepaymentPlan), AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.prepayment_plan(conn, &c, *input).await?;
        let id = app
            .record_prepayment_in(
                conn,
                &filed.actor,
                &c,
                plan.paid_month,
                plan.first_month,
                plan.months,
            )
            .await?;
        Ok((id, plan))
    }

    async fn answer(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        _assessment: Assessment,
        input: u32,
        done: Option<(PrepaymentId, PrepaymentPlan)>,
    ) -> Result<PrepaymentApplication, AppError> {
        let plan = match done {
            Some((_, plan)) => plan,
            None => {
                let c = subject_contract(conn, subject).await?;
                app.prepayment_plan(conn, &c, input).await?
            }
        };
        Ok(PrepaymentApplication {
            application_id: filed.application_id,
            status: filed.status,
            plan,
        })
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        _input: &u32,
        (_, plan): &(PrepaymentId, PrepaymentPlan),
    ) -> MailText {
        MailText {
            subject: format!("【{}】前納を記録しました", subject.program.name_ja()),
            body: format!(
                "{} 様\n\n共済契約者番号 {} の前納金 {} の入金を確認し、{}から{}までの{}か月分を前納として記録しました（受付番号：{}）。\n\
                 この期間の掛金の引落しはありません。\n前納減額金（見込み）：{}（3月末の状況で計算し、6月にお支払いします）\n\n{}/portal/contracts/{}/billing\n",
                subject.holder_name,
                plan.contract_number,
                plan.amount_yen,
                ja_month(plan.first_month),
                ja_month(plan.last_month),
                plan.months,
                filed.application_id,
                plan.discount_yen,
                app.public_url,
                plan.contract_number,
            ),
        }
    }

    fn received_mail(app: &App, subject: &Subject, filed: &Filed) -> MailText {
        MailText {
            subject: format!(
                "【{}】前納のお申し出を受け付けました",
                subject.program.name_ja()
            ),
            body: format!(
                "{} 様\n\n前納のお申し出を受け付けました（受付番号：{}）。\n\
                 前納金は口座振替ではなく、機構の口座へのお振込みでお支払いいただきます。振込先と金額は職員からご案内します。\n\
                 入金を確認した後に前納として記録し、メールでお知らせします。\n{}/portal\n",
                subject.holder_name, filed.application_id, app.public_url
            ),
        }
    }
}
