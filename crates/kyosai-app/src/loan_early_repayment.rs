//! 繰上返済 (early repayment) of a loan on the procedure framework (issue #12 item 2): the member
//! asks to repay everything still owed on one loan, and the next billing run not yet started
//! debits it in one line (principal, the interest of the instalments due by then, late charges,
//! and for a 一時貸付金 the interest for the days actually borrowed instead of the full term's).
//! Completed at once; the quote shown before submitting is the same calculation as the debit.

use jiff::civil::Date;
use kyosai_domain::error::FieldError;
use kyosai_domain::loan::Instalment;
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::schedule;
use kyosai_domain::{
    ApplicationId, ApplicationStatus, ContractId, LoanId, Procedure, Program, YearMonth, Yen,
};
use kyosai_store::billing as billing_store;
use kyosai_store::loan_billing;
use kyosai_store::loans;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::billing::early_debit;
use crate::form_parser::text;
use crate::ja_text::{ja_date, ja_month};
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
    maintenance_subject, subject_contract,
};
use crate::{Actor, App, AppError};

/// An early repayment as submitted (`POST /api/v1/contracts/{number}/loans/{id}/early-repayment`;
/// the portal form and a paper form carry the loan's number).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EarlyRepaymentForm {
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub loan_id: Option<String>,
}

/// The answer: when and how much is debited.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EarlyRepaymentDone {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub loan_id: LoanId,
    /// The billing month whose debit repays the loan (`YYYY-MM`).
    pub month: String,
    pub debit_date: Date,
    pub principal_yen: i64,
    pub interest_yen: i64,
    pub late_charge_yen: i64,
    /// Everything debited then.
    pub amount_yen: i64,
}

impl Outcome for EarlyRepaymentDone {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

/// What the debit of an early repayment will be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyRepaymentQuote {
    pub loan_id: LoanId,
    pub month: YearMonth,
    pub debit_date: Date,
    pub principal: Yen,
    pub interest: Yen,
    pub late_charge: Yen,
}

impl EarlyRepaymentQuote {
    pub fn total(&self) -> Yen {
        kyosai_domain::rounding::add(
            kyosai_domain::rounding::add(self.principal, self.interest),
            self.late_charge,
        )
    }
}

pub(crate) struct EarlyRepaymentProcedure;

impl App {
    /// The month whose run will debit an early repayment asked for today of a loan transferred
    /// on `transferred`: the first from this month on whose billing run for `program` has not
    /// started and whose debit date is after today and after the transfer. With its debit date.
    async fn early_repayment_month(
        &self,
        conn: &mut AnyConnection,
        program: Program,
        transferred: Date,
    ) -> Result<(YearMonth, Date), AppError> {
        let today = self.clock.today();
        let mut month = YearMonth::of(today);
        loop {
            let rules = self.billing_rules(program, month)?;
            let debit_date = schedule::debit_date(&rules.collection, &self.calendar, month);
            if debit_date > today
                && debit_date > transferred
                && billing_store::run(conn, program.as_str(), &month.to_string())
                    .await?
                    .is_none()
            {
                return Ok((month, debit_date));
            }
            month = month.plus(1);
        }
    }

    /// What repaying `loan_id` of the contract in full by the next run would debit; None when the
    /// loan is not the contract's or nothing is open on it.
    async fn early_quote(
        &self,
        conn: &mut AnyConnection,
        rules: &RuleSet,
        contract_id: ContractId,
        loan_id: LoanId,
    ) -> Result<Option<EarlyRepaymentQuote>, AppError> {
        let Some(l) = loans::for_contract(conn, contract_id)
            .await?
            .into_iter()
            .find(|l| l.id == loan_id)
        else {
            return Ok(None);
        };
        let program = rules.program;
        let (month, debit_date) = self
            .early_repayment_month(conn, program, l.disbursement_date)
            .await?;
        let unpaid: Vec<Instalment> = loans::instalments(conn, l.id)
            .await?
            .into_iter()
            .filter(|s| s.paid_on.is_none())
            .map(|s| s.instalment)
            .collect();
        let pending: Vec<u32> = loan_billing::debits(conn, l.id)
            .await?
            .iter()
            .filter(|d| d.result.is_none())
            .flat_map(|d| d.seqs.clone())
            .collect();
        let open = self.open_instalments(program, &unpaid, &pending)?;
        Ok(early_debit(
            rules,
            (l.kind, l.amount, l.disbursement_date),
            &open,
            debit_date,
        )?
        .map(|d| EarlyRepaymentQuote {
            loan_id: l.id,
            month,
            debit_date,
            principal: d.principal,
            interest: d.interest,
            late_charge: d.late_charge,
        }))
    }

    /// The quote the portal shows before the member submits (member: own contract; staff: any).
    pub async fn quote_early_repayment(
        &self,
        actor: &Actor,
        number: &str,
        loan_id: LoanId,
    ) -> Result<Option<EarlyRepaymentQuote>, AppError> {
        let mut conn = self.store.read().await?;
        let c = self.readable_contract(&mut conn, actor, number).await?;
        let rules = self.rules_for(c.program)?;
        self.early_quote(&mut conn, &rules, c.id, loan_id).await
    }

    /// Asks for a loan's early repayment (see [`EarlyRepaymentProcedure`]).
    pub async fn request_early_repayment(
        &self,
        actor: &Actor,
        number: &str,
        form: &EarlyRepaymentForm,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<EarlyRepaymentDone>, AppError> {
        self.run_procedure::<EarlyRepaymentProcedure>(actor, number, form, key)
            .await
    }
}

impl ProcedureRules for EarlyRepaymentProcedure {
    const PROCEDURE: Procedure = Procedure::LoanEarlyRepayment;
    type Target = str;
    type Form = EarlyRepaymentForm;
    type Input = LoanId;
    type Done = EarlyRepaymentQuote;
    type Answer = EarlyRepaymentDone;

    fn parse(form: &EarlyRepaymentForm) -> Result<LoanId, AppError> {
        form.loan_id
            .as_deref()
            .map(str::trim)
            .and_then(|s| s.parse::<LoanId>().ok())
            .filter(|id| id.get() > 0)
            .ok_or_else(|| {
                AppError::Invalid(vec![FieldError::new(
                    "loan_id",
                    "required",
                    "繰上返済する貸付けを選んでください。",
                )])
            })
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _loan_id: &LoanId,
    ) -> Result<Subject, AppError> {
        maintenance_subject(conn, actor, number).await
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        loan_id: &LoanId,
        rules: &RuleSet,
    ) -> Result<Checked<EarlyRepaymentDone>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let mut checks = Vec::new();
        let quote = app.early_quote(conn, rules, c.id, *loan_id).await?;
        // One asked for a month already billed is spent (its debit failed or was collected).
        let asked = loan_billing::early_month(conn, *loan_id)
            .await?
            .filter(|m| quote.as_ref().is_some_and(|q| *m >= q.month.to_string()));
        let asked = asked.map(|m| crate::billing::parse_month(&m)).transpose()?;
        match quote {
            None => checks.push(Check::new(
                "loan_open",
                CheckStatus::Failed,
                Some("loan_id"),
                "この貸付けには返済の残りがありません（完済済み、または引落しの結果待ちです）。",
            )),
            Some(_) if let Some(m) = asked => checks.push(Check::new(
                "not_asked_yet",
                CheckStatus::Failed,
                Some("loan_id"),
                format!(
                    "この貸付けの繰上返済はすでにお申し出いただいています（{}の引落し）。",
                    ja_month(m)
                ),
            )),
            Some(q) => checks.push(Check::new(
                "loan_open",
                CheckStatus::Passed,
                None,
                format!(
                    "{}の引落し（{}）で残り{}を一括してご返済いただけます。",
                    ja_month(q.month),
                    ja_date(q.debit_date),
                    q.total()
                ),
            )),
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
        loan_id: &LoanId,
    ) -> Result<EarlyRepaymentQuote, AppError> {
        let c = subject_contract(conn, subject).await?;
        let q = app
            .early_quote(conn, &filed.rules, c.id, *loan_id)
            .await?
            .ok_or_else(|| {
                AppError::conflict("loan_repaid", "この貸付けには返済の残りがありません。")
            })?;
        if !loan_billing::request_early(
            conn,
            *loan_id,
            &q.month.to_string(),
            Some(filed.application_id),
            &filed.now,
        )
        .await?
        {
            return Err(AppError::conflict(
                "already_requested",
                "この貸付けの繰上返済はすでにお申し出いただいています。",
            ));
        }
        filed.audit(
            "loan.early_repayment_requested",
            &format!("loan:{loan_id}"),
            None,
            Some(&json!({
                "contract": c.number,
                "application": filed.application_id,
                "month": q.month.to_string(),
                "debit_date": q.debit_date.to_string(),
                "amount_yen": q.total().get(),
            })),
        );
        Ok(q)
    }

    async fn answer(
        _app: &App,
        _conn: &mut AnyConnection,
        filed: &Filed,
        _subject: &Subject,
        _assessment: Assessment,
        loan_id: LoanId,
        done: Option<EarlyRepaymentQuote>,
    ) -> Result<EarlyRepaymentDone, AppError> {
        let q = done.ok_or_else(|| {
            AppError::Internal("an early repayment is completed when filed".into())
        })?;
        Ok(EarlyRepaymentDone {
            application_id: filed.application_id,
            status: filed.status,
            loan_id,
            month: q.month.to_string(),
            debit_date: q.debit_date,
            principal_yen: q.principal.get(),
            interest_yen: q.interest.get(),
            late_charge_yen: q.late_charge.get(),
            amount_yen: q.total().get(),
        })
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        _loan_id: &LoanId,
        q: &EarlyRepaymentQuote,
    ) -> MailText {
        MailText {
            subject: format!(
                "【{}】貸付金の繰上返済を受け付けました",
                subject.program.name_ja()
            ),
            body: format!(
                "{} 様\n\n貸付金の繰上返済のお申し出を受け付けました（受付番号：{}）。\n\n\
                 引落日：{}（{}分の引落し）\nご返済額：{}（元金 {}、利息 {}、遅延損害金 {}）\n\n\
                 前日までにご登録の引落口座へご入金をお願いします。引落しができなかった場合は、翌月以降の予定どおりのご返済に戻ります。\n\
                 返済予定と残高：{}/portal\n",
                subject.holder_name,
                filed.application_id,
                ja_date(q.debit_date),
                ja_month(q.month),
                q.total(),
                q.principal,
                q.interest,
                q.late_charge,
                app.public_url
            ),
        }
    }
}
