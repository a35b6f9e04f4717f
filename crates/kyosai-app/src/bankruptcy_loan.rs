//! 共済金貸付 online (issue #12 items 1 and 5; REFERENCE §5.1): the holder of a 倒産防止
//! contract asks for the interest-free loan after a trading partner's bankruptcy.
//!
//! The request is checked against the rule set in force (qualifying event, 倒産日 not in the
//! future and within the request window, the small-loss rule, months since joining and paid,
//! evidence named, the same bankruptcy not lent against before) and the limit — min(loss,
//! 掛金総額 × 10, the outstanding cap less loans outstanding), in the rule set's unit — is
//! computed and returned. It always waits for staff, because the evidence must be looked at.
//! A staff preparer proposes an amount within the limit ([`App::propose_bankruptcy_loan`]); a
//! different staff user approves it (`409 same_preparer` otherwise). Approval, in one
//! transaction, records the loan with its schedule, posts the 1/10 premium-rights reduction to
//! the ledger, schedules the disbursement payout, audits and sends 『共済金貸付決定通知書』.
//!
//! Evidence is uploaded with the generic per-contract upload ([`App::upload_evidence`], served
//! at `POST /api/v1/contracts/{number}/claims/evidence` and, for this procedure, at
//! `…/bankruptcy-loans/evidence`), and attached to the application when it is filed.

use crate::rules::safety_net;
use jiff::civil::Date;
use kyosai_domain::loan::{self, BankruptcyEvent, LoanKind};
use kyosai_domain::payout::PayoutKind;
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::safety_net::bankruptcy_loan::{
    BankruptcyLoanFacts, BankruptcyLoanResult, bankruptcy_loan,
};
use kyosai_domain::{
    ApplicationId, ApplicationStatus, Procedure, Program, Rate, UserId, YearMonth, Yen,
};
use kyosai_store::applications::{self, Application};
use kyosai_store::{bankruptcy_loans as store, contracts, ledger, loans, paid};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::billing::internal;
use crate::calculator_prefill::whole_months;
use crate::form_parser::{Parser, text};
use crate::ja_text::ja_date;
use crate::payouts::payee::{Payment, schedule_to_contract_account};
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
    program_subject, subject_contract,
};
use crate::review::require_staff;
use crate::{Actor, App, AppError};

/// A 共済金貸付 request as submitted (`POST /api/v1/contracts/{number}/bankruptcy-loans`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankruptcyLoanForm {
    /// `legal_proceedings`, `suspension_of_transactions`, `private_settlement`,
    /// `disaster_dishonour` or `specified_disaster`.
    #[serde(deserialize_with = "text")]
    pub event: Option<String>,
    /// 倒産日 (the day the event's table names: the application, the disposition, the notice…).
    #[serde(deserialize_with = "text")]
    pub bankruptcy_date: Option<String>,
    /// The trading partner that went bankrupt.
    #[serde(deserialize_with = "text")]
    pub partner_name: Option<String>,
    /// 回収困難となった売掛金債権等の額.
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub loss_yen: Option<String>,
    /// The holder's monthly total transactions (月間総取引額; the small-loss rule).
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub monthly_transactions_yen: Option<String>,
    /// Tokens of uploaded evidence (`POST …/bankruptcy-loans/evidence`).
    pub evidence: Vec<String>,
}

/// Far above any loss a loan can cover (the cap is 8,000万); a larger figure is a typing error.
const MAX_YEN: i64 = 1_000_000_000_000;
/// The most evidence files one request names.
const MAX_EVIDENCE: usize = 20;

/// The parsed request.
#[derive(Debug, Clone)]
pub(crate) struct BankruptcyLoanInput {
    event: BankruptcyEvent,
    bankruptcy_date: Date,
    partner_name: String,
    loss: Yen,
    monthly_transactions: Yen,
    evidence: Vec<String>,
}

impl BankruptcyLoanInput {
    /// The same bankruptcy is the same partner on the same 倒産日 (the `loans` unique key).
    fn bankruptcy_key(&self) -> String {
        format!("{}|{}", self.partner_name, self.bankruptcy_date)
    }
}

impl BankruptcyLoanForm {
    fn parse(&self) -> Result<BankruptcyLoanInput, AppError> {
        let mut p = Parser { errors: Vec::new() };
        let event = p.choice("event", &self.event, "倒産の事態", BankruptcyEvent::parse);
        let bankruptcy_date = p.date("bankruptcy_date", &self.bankruptcy_date, "倒産日");
        let partner_name = p.text("partner_name", &self.partner_name, "取引先の名称");
        let loss = p.yen(
            "loss_yen",
            &self.loss_yen,
            "回収困難となった売掛金債権等の額",
            MAX_YEN,
        );
        let monthly = p.yen(
            "monthly_transactions_yen",
            &self.monthly_transactions_yen,
            "月間の総取引額",
            MAX_YEN,
        );
        let evidence = p.evidence(&self.evidence, MAX_EVIDENCE);
        match (event, bankruptcy_date, partner_name, loss, monthly) {
            (Some(event), Some(bankruptcy_date), Some(partner_name), Some(loss), Some(monthly))
                if p.errors.is_empty() =>
            {
                Ok(BankruptcyLoanInput {
                    event,
                    bankruptcy_date,
                    partner_name,
                    loss: Yen::new(loss),
                    monthly_transactions: Yen::new(monthly),
                    evidence,
                })
            }
            _ => Err(AppError::Invalid(p.errors)),
        }
    }
}

/// The answer to a 共済金貸付 request.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankruptcyLoanDone {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    /// The most that can be lent for this bankruptcy now.
    pub limit_yen: i64,
    /// Repayment years and grace months for a loan of the whole limit (rule data).
    pub repayment_years: Option<u32>,
    pub grace_months: Option<u32>,
    /// What a loan of the whole limit would deduct from the 掛金総額.
    pub premium_reduction_yen: i64,
    /// True when the repayment terms rest on provisional rule values.
    pub estimate: bool,
}

impl Outcome for BankruptcyLoanDone {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

/// The rule checks and the limit for a request made on `request_date` (the day it was filed;
/// staff re-check against the same day). `application_id` is the application the evidence may
/// already be attached to.
async fn assess(
    app: &App,
    conn: &mut AnyConnection,
    c: &contracts::Contract,
    input: &BankruptcyLoanInput,
    rules: &RuleSet,
    request_date: Date,
    application_id: Option<ApplicationId>,
) -> Result<(Vec<Check>, BankruptcyLoanResult), AppError> {
    let b = &safety_net(rules)?.bankruptcy_loan;
    let paid = paid::so_far(conn, c.id).await?;
    let outstanding = app
        .outstanding_loan_balance(conn, rules, c.id, request_date)
        .await?;
    let result = bankruptcy_loan(
        b,
        &BankruptcyLoanFacts {
            months_since_joining: u32::try_from(whole_months(c.start_date, request_date))
                .unwrap_or(u32::MAX),
            months_paid: u32::try_from(paid.months.max(0)).unwrap_or(u32::MAX),
            monthly_premium: c.monthly_premium,
            total_paid: Yen::new(paid.yen),
            loss: input.loss,
            outstanding,
            monthly_transactions: input.monthly_transactions,
            bankruptcy_date: input.bankruptcy_date,
            request_date,
        },
    );
    let mut checks = Vec::new();
    for problem in loan::bankruptcy_date_problems(b, input.bankruptcy_date, request_date) {
        checks.push(Check::new(
            problem.code,
            CheckStatus::Failed,
            Some("bankruptcy_date"),
            problem.message,
        ));
    }
    for r in &result.reasons {
        let field = match r.code {
            // Reported once, by the date check above.
            "request_window" => continue,
            "small_loss" => Some("loss_yen"),
            _ => None,
        };
        checks.push(Check::new(
            r.code,
            CheckStatus::Failed,
            field,
            r.message.clone(),
        ));
    }
    checks.extend(
        crate::evidence::unknown_evidence_checks(conn, &input.evidence, c.id, application_id)
            .await?,
    );
    if input.evidence.is_empty() {
        checks.push(Check::new(
            "evidence_missing",
            CheckStatus::Failed,
            Some("evidence"),
            "取引先の倒産と回収困難な売掛金等を確認できる書類（売掛金元帳の写し、倒産を証する書類など）を添付してください。"
                ,
        ));
    }
    if checks.is_empty() {
        checks.push(Check::new(
            "evidence_review",
            CheckStatus::NeedsReview,
            None,
            format!(
                "貸付限度額は{}です。添付書類を職員が確認し、貸付額を決定します。",
                result.limit
            ),
        ));
    }
    Ok((checks, result))
}

/// The date part of a stored timestamp (`received_at`).
fn date_of(timestamp: &str) -> Result<Date, AppError> {
    timestamp
        .get(..10)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| internal(format!("not a timestamp: {timestamp}")))
}

fn parse_stored(a: &Application) -> Result<BankruptcyLoanInput, AppError> {
    let form: BankruptcyLoanForm = serde_json::from_str(&a.payload)
        .map_err(|e| internal(format!("application {}: {e}", a.id)))?;
    form.parse()
}

/// What deciding a 共済金貸付 produced.
pub(crate) struct BankruptcyLoanDecided {
    number: String,
    amount: Yen,
    disbursement_date: Date,
    maturity_date: Date,
    first_due: Option<(Date, Yen)>,
    instalments: usize,
    premium_reduction: Yen,
    account_missing: bool,
}

/// 共済金貸付 on the procedure framework (see the module documentation).
pub(crate) struct BankruptcyLoanProcedure;

impl ProcedureRules for BankruptcyLoanProcedure {
    const PROCEDURE: Procedure = Procedure::BankruptcyLoan;
    type Target = str;
    type Form = BankruptcyLoanForm;
    type Input = BankruptcyLoanInput;
    type Done = BankruptcyLoanDecided;
    type Answer = BankruptcyLoanDone;

    fn parse(form: &BankruptcyLoanForm) -> Result<BankruptcyLoanInput, AppError> {
        form.parse()
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        input: &BankruptcyLoanInput,
    ) -> Result<Subject, AppError> {
        let s = program_subject(conn, actor, number, Program::SafetyNet, "共済金貸付").await?;
        let contract_id = s
            .contract_id
            .ok_or_else(|| internal("a maintenance subject without a contract"))?;
        if store::already_lent(conn, contract_id, &input.bankruptcy_key()).await? {
            return Err(AppError::conflict(
                "duplicate_bankruptcy",
                "この取引先のこの倒産については、すでに共済金の貸付けを受けています。",
            ));
        }
        Ok(s)
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &BankruptcyLoanInput,
        rules: &RuleSet,
    ) -> Result<Checked<BankruptcyLoanDone>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let (checks, _) = assess(app, conn, &c, input, rules, app.clock.today(), None).await?;
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
        input: &BankruptcyLoanInput,
    ) -> Result<BankruptcyLoanDecided, AppError> {
        let c = subject_contract(conn, subject).await?;
        let proposal = store::proposal(conn, filed.application_id)
            .await?
            .ok_or_else(no_proposal)?;
        let key = input.bankruptcy_key();
        if store::already_lent(conn, c.id, &key).await? {
            return Err(AppError::conflict(
                "duplicate_bankruptcy",
                "この取引先のこの倒産については、すでに共済金の貸付けを受けています。",
            ));
        }
        let rules = &filed.rules;
        let sn = safety_net(rules)?;
        let b = &sn.bankruptcy_loan;
        let amount = Yen::new(proposal.amount);
        let today = app.clock.today();
        let disbursement_date = app
            .calendar
            .business_days_after(today, sn.temporary_loan.disbursement_business_days.value);
        let schedule = loan::bankruptcy_schedule(
            b,
            amount,
            disbursement_date,
            rules.collection.debit_day.value,
            sn.temporary_loan.interest_days_in_year.value,
        );
        let maturity_date = schedule.last().map_or(disbursement_date, |i| i.due_date);
        let premium_reduction = loan::premium_rights_reduction(b, amount);
        let loan_id = loans::insert(
            conn,
            &loans::NewLoan {
                contract_id: c.id,
                application_id: Some(filed.application_id),
                kind: LoanKind::Bankruptcy,
                amount,
                disbursement_date,
                maturity_date,
                premium_reduction,
                bankruptcy_key: Some(&key),
                schedule: &schedule,
            },
            &filed.now,
        )
        .await?;
        let source = format!("loan:{loan_id}");
        ledger::post(
            conn,
            &ledger::Entry {
                contract_id: c.id,
                month: &YearMonth::of(today).to_string(),
                kind: "loan_reduction",
                amount: -premium_reduction.get(),
                months: 0,
                reason: &source,
            },
            &filed.now,
        )
        .await?;
        let payout_id = schedule_to_contract_account(
            conn,
            &Payment {
                contract_id: c.id,
                application_id: Some(filed.application_id),
                kind: PayoutKind::LoanDisbursement,
                due_date: disbursement_date,
                amount,
                source: &source,
            },
            &filed.now,
        )
        .await?;
        let account_missing = crate::payouts::payee::payee_account(conn, c.id)
            .await?
            .is_none();
        filed.audit(
            "loan.decided",
            &source,
            None,
            Some(&json!({
                "kind": LoanKind::Bankruptcy.as_str(),
                "contract": c.number,
                "application": filed.application_id,
                "amount_yen": amount.get(),
                "proposed_by": proposal.proposed_by,
                "event": input.event.as_str(),
                "bankruptcy_key": key,
                "disbursement_date": disbursement_date.to_string(),
                "maturity_date": maturity_date.to_string(),
                "premium_reduction_yen": premium_reduction.get(),
                "payout": payout_id,
                "rule_set": rules.id,
            })),
        );
        Ok(BankruptcyLoanDecided {
            number: c.number,
            amount,
            disbursement_date,
            maturity_date,
            first_due: schedule.first().map(|i| (i.due_date, i.total())),
            instalments: schedule.len(),
            premium_reduction,
            account_missing,
        })
    }

    async fn answer(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        _assessment: Assessment,
        input: BankruptcyLoanInput,
        _done: Option<BankruptcyLoanDecided>,
    ) -> Result<BankruptcyLoanDone, AppError> {
        // The evidence is filed with the application, so staff open it from the review screen.
        crate::evidence::file_with(conn, &input.evidence, filed.application_id).await?;
        let c = subject_contract(conn, subject).await?;
        let (_, result) = assess(
            app,
            conn,
            &c,
            &input,
            &filed.rules,
            date_of(&filed.now)?,
            Some(filed.application_id),
        )
        .await?;
        Ok(done_of(filed.application_id, filed.status, &result))
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        input: &BankruptcyLoanInput,
        done: &BankruptcyLoanDecided,
    ) -> MailText {
        let mut body = format!(
            "{} 様\n\n『共済金貸付決定通知書』\n\n共済契約者番号 {} の共済金の貸付けが決定しました（受付番号：{}）。\n\n\
             倒産した取引先：{}（{}、倒産日 {}）\n貸付金額：{}（無利子・無担保・無保証人）\n\
             送金予定日：{}\n",
            subject.holder_name,
            done.number,
            filed.application_id,
            input.partner_name,
            input.event.name_ja(),
            ja_date(input.bankruptcy_date),
            done.amount,
            ja_date(done.disbursement_date),
        );
        if done.account_missing {
            body.push_str("※お振込み先の口座が登録されていないため、送金を保留しています。マイページから口座をご登録ください。\n");
        }
        if let Some((date, yen)) = done.first_due {
            body.push_str(&format!(
                "ご返済：{}回の口座振替（初回 {}、{}）、最終回 {}\n",
                done.instalments,
                ja_date(date),
                yen,
                ja_date(done.maturity_date),
            ));
        }
        body.push_str(&format!(
            "掛金総額から差し引かれる額（貸付金額の{}）：{}\n\
             この額は掛金の権利から減額され、解約手当金や一時貸付金の計算でも差し引かれます。\n\n\
             返済予定表はマイページでご確認いただけます。\n{}/portal\n",
            filed
                .rules
                .safety_net
                .as_ref()
                .map_or_else(String::new, |s| s
                    .bankruptcy_loan
                    .premium_reduction
                    .value
                    .to_string()),
            done.premium_reduction,
            app.public_url
        ));
        MailText {
            subject: format!("【{}】共済金貸付決定通知書", subject.program.name_ja()),
            body,
        }
    }
}

fn done_of(
    application_id: ApplicationId,
    status: ApplicationStatus,
    r: &BankruptcyLoanResult,
) -> BankruptcyLoanDone {
    BankruptcyLoanDone {
        application_id,
        status,
        limit_yen: r.limit.get(),
        repayment_years: r.repayment_years,
        grace_months: r.grace_months,
        premium_reduction_yen: r.premium_reduction.get(),
        estimate: r.estimate,
    }
}

fn no_proposal() -> AppError {
    AppError::conflict(
        "no_proposal",
        "貸付額が起案されていません。審査担当が貸付額を起案してから承認してください。",
    )
}

/// Maker-checker for a 共済金貸付: an amount must have been proposed, by someone else
/// (inside the approving transaction, before the loan is made).
pub(crate) async fn ensure_checker(
    conn: &mut AnyConnection,
    actor: &Actor,
    a: &Application,
) -> Result<(), AppError> {
    let proposal = store::proposal(conn, a.id).await?.ok_or_else(no_proposal)?;
    if proposal.proposed_by == actor.user_id {
        return Err(AppError::conflict(
            "same_preparer",
            "ご自身が起案した貸付額は承認できません。別の職員が承認してください。",
        ));
    }
    Ok(())
}

/// A staff preparer's proposal as the review screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankruptcyLoanProposal {
    pub amount: Yen,
    pub proposed_by: UserId,
    pub note: String,
    pub proposed_at: String,
}

impl App {
    /// Requests a 共済金貸付 (see [`BankruptcyLoanProcedure`]): always `202` in review.
    pub async fn request_bankruptcy_loan(
        &self,
        actor: &Actor,
        number: &str,
        form: &BankruptcyLoanForm,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<BankruptcyLoanDone>, AppError> {
        self.run_procedure::<BankruptcyLoanProcedure>(actor, number, form, key)
            .await
    }

    /// Staff propose the amount to lend for a 共済金貸付 in review: positive, in the rule set's
    /// unit and within the limit re-computed for the day it was filed. Returns the limit. The
    /// proposer cannot approve it (maker-checker).
    pub async fn propose_bankruptcy_loan(
        &self,
        actor: &Actor,
        application_id: ApplicationId,
        amount: Yen,
        note: &str,
    ) -> Result<Yen, AppError> {
        require_staff(actor)?;
        let mut tx = self.store.begin_write().await?;
        let a = applications::get(tx.conn(), application_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if a.procedure != Procedure::BankruptcyLoan {
            return Err(AppError::NotFound);
        }
        if a.status != ApplicationStatus::InReview {
            return Err(AppError::conflict(
                "not_in_review",
                "この申込はすでに処理されています。",
            ));
        }
        let input = parse_stored(&a)?;
        let c = contracts::get(tx.conn(), a.contract_id.ok_or(AppError::NotFound)?)
            .await?
            .ok_or(AppError::NotFound)?;
        let rules = self.rules_for(c.program)?;
        let (_, result) = assess(
            self,
            tx.conn(),
            &c,
            &input,
            &rules,
            date_of(&a.received_at)?,
            Some(a.id),
        )
        .await?;
        let unit = safety_net(&rules)?.bankruptcy_loan.unit_yen.value;
        if amount <= Yen::ZERO || !amount.is_multiple_of(unit) {
            return Err(AppError::invalid(
                "amount_yen",
                "not_a_unit",
                format!("貸付額は{unit}単位で入力してください。"),
            ));
        }
        if amount > result.limit {
            return Err(AppError::invalid(
                "amount_yen",
                "above_limit",
                format!("貸付額が貸付限度額（{}）を超えています。", result.limit),
            ));
        }
        let note = note.trim();
        if note.chars().count() > 1000 {
            return Err(AppError::invalid(
                "note",
                "too_long",
                "確認した内容は1000文字以内で入力してください。",
            ));
        }
        let now = self.clock.now_text();
        store::propose(
            tx.conn(),
            &store::Proposal {
                application_id,
                amount: amount.get(),
                proposed_by: actor.user_id,
                note: note.to_string(),
                proposed_at: now.clone(),
            },
        )
        .await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "bankruptcy_loan.proposed",
            &format!("application:{application_id}"),
            None,
            Some(&json!({ "amount_yen": amount.get(), "limit_yen": result.limit.get(), "note": note })),
        )
        .await?;
        tx.commit().await?;
        Ok(result.limit)
    }

    /// The proposal of a 共済金貸付 application, if any (staff review screen).
    pub async fn bankruptcy_loan_proposal(
        &self,
        actor: &Actor,
        application_id: ApplicationId,
    ) -> Result<Option<BankruptcyLoanProposal>, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        Ok(store::proposal(&mut conn, application_id)
            .await?
            .map(|p| BankruptcyLoanProposal {
                amount: Yen::new(p.amount),
                proposed_by: p.proposed_by,
                note: p.note,
                proposed_at: p.proposed_at,
            }))
    }
}

/// What a 共済金貸付 request would give, before it is filed (the portal's confirmation): the same
/// checks and limit as the request; the evidence is attached on the next step.
#[derive(Debug, Clone, Serialize)]
pub struct BankruptcyLoanPreview {
    pub limit_yen: i64,
    pub repayment_years: Option<u32>,
    pub grace_months: Option<u32>,
    pub premium_reduction_yen: i64,
    /// The share of a loan taken from the premium rights (the rule set's 1/10).
    pub premium_reduction_share: Rate,
    /// The loan's annual rate (0: interest-free).
    pub interest_rate: Rate,
    pub estimate: bool,
}

impl App {
    /// Checks a 共済金貸付 request and answers its limit without storing anything; a request the
    /// rules refuse gets the same field errors as when filed.
    pub async fn bankruptcy_loan_preview(
        &self,
        actor: &Actor,
        number: &str,
        form: &BankruptcyLoanForm,
    ) -> Result<BankruptcyLoanPreview, AppError> {
        let input = form.parse()?;
        // The subject step locks the contract (a write); dropped without a commit.
        let mut tx = self.store.begin_write().await?;
        let subject =
            BankruptcyLoanProcedure::subject(self, tx.conn(), actor, number, &input).await?;
        let rules = self.rules_for(subject.program)?;
        let c = subject_contract(tx.conn(), &subject).await?;
        let (checks, result) = assess(
            self,
            tx.conn(),
            &c,
            &input,
            &rules,
            self.clock.today(),
            None,
        )
        .await?;
        drop(tx);
        let assessment = Assessment {
            rule_set: rules.id.clone(),
            checks: checks
                .into_iter()
                .filter(|c| c.code != "evidence_missing")
                .collect(),
        };
        if assessment.decision() == kyosai_domain::procedure::Decision::Reject {
            return Err(AppError::Invalid(assessment.field_errors()));
        }
        Ok(BankruptcyLoanPreview {
            limit_yen: result.limit.get(),
            repayment_years: result.repayment_years,
            grace_months: result.grace_months,
            premium_reduction_yen: result.premium_reduction.get(),
            premium_reduction_share: safety_net(&rules)?.bankruptcy_loan.premium_reduction.value,
            interest_rate: safety_net(&rules)?.bankruptcy_loan.interest_rate.value,
            estimate: result.estimate,
        })
    }
}
