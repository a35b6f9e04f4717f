//! Loans of a contract (issue #12; REFERENCE §4, §5.1, §5.2): what the holder may borrow now,
//! the loans taken with their schedules and balances, and the outstanding balance that claims
//! and refunds deduct.
//!
//! Limits come from the same domain calculators as the public simulations, fed with the
//! contract's own figures (months and yen paid from the premium ledger, loans outstanding from
//! the loans table), so a member sees in the portal exactly what the calculator would say.

use crate::rules::safety_net;
use jiff::civil::Date;
use kyosai_domain::loan::{self, Balance, Instalment, LoanKind, OpenInstalment};
use kyosai_domain::payout::PayoutKind;
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::safety_net::temporary_loan::{TemporaryLoanFacts, temporary_loan};
use kyosai_domain::{
    ApplicationId, ApplicationStatus, ContractId, LoanId, Procedure, Program, YearMonth, Yen,
    rounding,
};
use kyosai_store::payouts::{self, PayeeAccount};
use kyosai_store::{contracts, loan_billing, loans, paid};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::billing::internal;
use crate::form_parser::{Parser, text};
use crate::ja_text::ja_date;
use crate::payouts::payee::payee_account;
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
    program_subject, subject_contract,
};
use crate::{Actor, App, AppError, Role};

/// What the holder of a contract may borrow now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanLimits {
    pub program: Program,
    /// 一時貸付金 (0 for 小規模 contracts and when not eligible).
    pub temporary_loan_limit: Yen,
    /// 共済金貸付 as bounded by the premiums: 掛金総額 × 10 within the 8,000万 outstanding cap,
    /// in 5万円 units (the loss of a bankruptcy bounds it further; 0 for 小規模 contracts).
    pub bankruptcy_loan_multiple_limit: Yen,
    /// Everything owed on the contract's loans today.
    pub outstanding: Yen,
    /// 契約者貸付 (小規模 only).
    pub member_loan_limit: Option<Yen>,
    pub as_of: Date,
    /// The rule figures the pages print beside the limits: the 共済金貸付's multiple of the
    /// premiums (倒産防止) and the months the 契約者貸付 limit is recalculated (小規模).
    pub bankruptcy_loan_multiple: Option<i64>,
    pub member_loan_recalculation_months: Vec<i8>,
}

/// One loan with its schedule and balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanView {
    pub id: LoanId,
    pub kind: LoanKind,
    pub amount: Yen,
    pub disbursement_date: Date,
    pub maturity_date: Date,
    pub premium_reduction: Yen,
    pub schedule: Vec<(Instalment, Option<Date>)>,
    pub balance: Balance,
    /// The part of the balance a set-off settles today: without the instalments of a debit
    /// still awaiting the bank's answer (that answer repays them, or leaves them owed).
    pub settleable: Balance,
    pub status: LoanStatus,
    /// The month whose debit repays the loan in full, when asked for.
    pub early_repayment_month: Option<String>,
    /// Every debit of the loan with the bank's answer.
    pub debits: Vec<LoanDebit>,
}

/// One direct debit of a loan with the bank's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanDebit {
    /// The billing month.
    pub month: YearMonth,
    pub debit_date: Date,
    /// The instalments it repays.
    pub seqs: Vec<u32>,
    pub principal: Yen,
    pub interest: Yen,
    pub late_charge: Yen,
    pub amount: Yen,
    /// A full early repayment (繰上返済).
    pub early: bool,
    pub result: DebitResult,
    /// The bank's result code (0 collected).
    pub result_code: Option<i64>,
}

/// The bank's answer to a loan debit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebitResult {
    /// Not in yet.
    Pending,
    Collected,
    Failed,
}

impl DebitResult {
    pub fn as_str(self) -> &'static str {
        match self {
            DebitResult::Pending => "pending",
            DebitResult::Collected => "collected",
            DebitResult::Failed => "failed",
        }
    }
}

fn loan_debit(d: loan_billing::LoanDebitRow) -> Result<LoanDebit, AppError> {
    Ok(LoanDebit {
        month: crate::billing::parse_month(&d.month)?,
        debit_date: d
            .debit_date
            .parse()
            .map_err(|_| internal(format!("loan line {}: debit date", d.line_id)))?,
        seqs: d.seqs,
        principal: d.principal,
        interest: d.interest,
        late_charge: d.late_charge,
        amount: d.amount,
        early: d.early,
        result: match d.result {
            None => DebitResult::Pending,
            Some(loan_billing::PaymentKind::Collected) => DebitResult::Collected,
            Some(_) => DebitResult::Failed,
        },
        result_code: d.result_code,
    })
}

/// Where a loan stands (the loan book's columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoanStatus {
    /// Disbursed, no instalment due yet (the 共済金貸付 grace period, a 一時貸付金 before
    /// maturity).
    InGrace,
    /// Instalments being collected, none overdue.
    Repaying,
    /// An instalment is due and unpaid.
    InArrears,
    Repaid,
}

impl LoanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LoanStatus::InGrace => "in_grace",
            LoanStatus::Repaying => "repaying",
            LoanStatus::InArrears => "in_arrears",
            LoanStatus::Repaid => "repaid",
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            LoanStatus::InGrace => "据置期間中",
            LoanStatus::Repaying => "返済中",
            LoanStatus::InArrears => "延滞中",
            LoanStatus::Repaid => "完済",
        }
    }
}

/// The late-charge rate of a loan kind and the day count it accrues by: 14.6% for a 一時貸付金
/// and a 契約者貸付 (延滞利子); none is published for a 共済金貸付 (REFERENCE §5.1: UNKNOWN), so
/// none is charged (its day count is the program's one convention, the 一時貸付金's).
pub(crate) fn late_terms(
    rules: &RuleSet,
    kind: LoanKind,
) -> Result<(Option<kyosai_domain::Rate>, u32), AppError> {
    Ok(match kind {
        LoanKind::Temporary => {
            let t = &safety_net(rules)?.temporary_loan;
            (Some(t.late_interest.value), t.interest_days_in_year.value)
        }
        LoanKind::Bankruptcy => (
            None,
            safety_net(rules)?
                .temporary_loan
                .interest_days_in_year
                .value,
        ),
        LoanKind::Member(_) => {
            let m = &crate::rules::small_enterprise(rules)?.member_loan;
            (Some(m.late_interest.value), m.interest_days_in_year.value)
        }
    })
}

impl App {
    /// A loan's schedule, balance and status on `as_of`: an instalment is overdue once its
    /// first debit date has passed unpaid (unless the bank's answer is still awaited), and
    /// carries the late charge the rules set from that date.
    pub(crate) async fn loan_view(
        &self,
        conn: &mut AnyConnection,
        rules: &RuleSet,
        l: loans::Loan,
        as_of: Date,
    ) -> Result<LoanView, AppError> {
        let stored = loans::instalments(conn, l.id).await?;
        let debits = loan_billing::debits(conn, l.id)
            .await?
            .into_iter()
            .map(loan_debit)
            .collect::<Result<Vec<_>, _>>()?;
        let pending: Vec<u32> = debits
            .iter()
            .filter(|d| d.result == DebitResult::Pending)
            .flat_map(|d| d.seqs.iter().copied())
            .collect();
        let unpaid: Vec<Instalment> = stored
            .iter()
            .filter(|s| s.paid_on.is_none())
            .map(|s| s.instalment)
            .collect();
        let open = self.open_instalments(rules.program, &unpaid, &[])?;
        let (rate, days) = late_terms(rules, l.kind)?;
        let balance = loan::balance(&open, |seq| pending.contains(&seq), as_of, rate, days);
        // What a set-off may settle: a debit awaiting its answer repays its own instalments.
        let settleable_open: Vec<OpenInstalment> = open
            .iter()
            .filter(|i| !pending.contains(&i.instalment.seq))
            .copied()
            .collect();
        let settleable = loan::balance(&settleable_open, |_| false, as_of, rate, days);
        let any_paid = stored.iter().any(|s| s.paid_on.is_some());
        let status = if open.is_empty() {
            LoanStatus::Repaid
        } else if balance.overdue_instalments > 0 {
            LoanStatus::InArrears
        } else if any_paid || !pending.is_empty() {
            LoanStatus::Repaying
        } else {
            LoanStatus::InGrace
        };
        Ok(LoanView {
            id: l.id,
            kind: l.kind,
            amount: l.amount,
            disbursement_date: l.disbursement_date,
            maturity_date: l.maturity_date,
            premium_reduction: l.premium_reduction,
            schedule: stored.iter().map(|s| (s.instalment, s.paid_on)).collect(),
            balance,
            settleable,
            status,
            early_repayment_month: loan_billing::early_month(conn, l.id).await?,
            debits,
        })
    }

    /// A contract's loans with their balances as of `as_of`.
    pub(crate) async fn loans_of(
        &self,
        conn: &mut AnyConnection,
        rules: &RuleSet,
        contract_id: ContractId,
        as_of: Date,
    ) -> Result<Vec<LoanView>, AppError> {
        let mut out = Vec::new();
        for l in loans::for_contract(conn, contract_id).await? {
            out.push(self.loan_view(conn, rules, l, as_of).await?);
        }
        Ok(out)
    }

    /// What a benefit or refund paid on `as_of` deducts for the contract's loans: every loan's
    /// settleable balance (see [`LoanView::settleable`]).
    pub(crate) async fn settleable_loan_balance(
        &self,
        conn: &mut AnyConnection,
        rules: &RuleSet,
        contract_id: ContractId,
        as_of: Date,
    ) -> Result<Yen, AppError> {
        Ok(self
            .loans_of(conn, rules, contract_id, as_of)
            .await?
            .iter()
            .fold(Yen::ZERO, |sum, l| rounding::add(sum, l.settleable.total())))
    }

    /// Settles every open loan of a contract against the benefit or refund that ended it on
    /// `on` (REFERENCE §4.1, §5.3): each loan's settleable instalments (open, not in a debit
    /// awaiting its answer) are marked repaid by a `set_off` event of what they owed that day.
    /// Only when `deducted` covers it all; otherwise the loans stay open for staff (logged), as
    /// nothing may be marked repaid that was not.
    pub(crate) async fn set_off_loans(
        &self,
        conn: &mut AnyConnection,
        rules: &RuleSet,
        contract_id: ContractId,
        on: Date,
        deducted: Yen,
        now: &str,
    ) -> Result<(), AppError> {
        let views = self.loans_of(conn, rules, contract_id, on).await?;
        let owed = views
            .iter()
            .fold(Yen::ZERO, |sum, l| rounding::add(sum, l.settleable.total()));
        if owed == Yen::ZERO {
            return Ok(());
        }
        if deducted < owed {
            tracing::warn!(
                contract_id = contract_id.get(),
                owed = owed.get(),
                deducted = deducted.get(),
                "loans not fully covered by the payment that ended the contract; left open"
            );
            return Ok(());
        }
        for v in views
            .iter()
            .filter(|v| v.settleable.principal_yen > Yen::ZERO)
        {
            let pending: Vec<u32> = v
                .debits
                .iter()
                .filter(|d| d.result == DebitResult::Pending)
                .flat_map(|d| d.seqs.iter().copied())
                .collect();
            let seqs: Vec<u32> = v
                .schedule
                .iter()
                .filter(|(i, paid)| paid.is_none() && !pending.contains(&i.seq))
                .map(|(i, _)| i.seq)
                .collect();
            loan_billing::record_payment(
                conn,
                &loan_billing::NewPayment {
                    loan_id: v.id,
                    line_id: None,
                    kind: loan_billing::PaymentKind::SetOff,
                    seqs: &seqs,
                    principal: v.settleable.principal_yen,
                    interest: v.settleable.interest_due_yen,
                    late_charge: v.settleable.late_charge_yen,
                    result_code: None,
                    import_id: None,
                    on_date: on,
                },
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// What the holder owes on all the contract's loans on `as_of`: unpaid principal, interest
    /// due and late charges. Claims and refunds deduct this (REFERENCE §4.1, §5.3).
    pub(crate) async fn outstanding_loan_balance(
        &self,
        conn: &mut AnyConnection,
        rules: &RuleSet,
        contract_id: ContractId,
        as_of: Date,
    ) -> Result<Yen, AppError> {
        Ok(self
            .loans_of(conn, rules, contract_id, as_of)
            .await?
            .iter()
            .fold(Yen::ZERO, |sum, l| rounding::add(sum, l.balance.total())))
    }
}

impl App {
    /// The contract a member (their own) or staff (any) may read; others get `NotFound`, so
    /// nobody learns whether someone else's contract exists. Shared by the loan and certificate
    /// answers.
    pub(crate) async fn readable_contract(
        &self,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
    ) -> Result<contracts::Contract, AppError> {
        let c = contracts::by_number(conn, number)
            .await?
            .ok_or(AppError::NotFound)?;
        match actor.role {
            Role::Staff | Role::Service => {}
            Role::Member if c.member_id == actor.user_id => {}
            _ => return Err(AppError::NotFound),
        }
        Ok(c)
    }

    /// `GET /api/v1/contracts/{number}/loan-limits`: the limits the public simulations would
    /// give for this contract's own figures today.
    pub async fn loan_limits(&self, actor: &Actor, number: &str) -> Result<LoanLimits, AppError> {
        let mut conn = self.store.read().await?;
        let c = self.readable_contract(&mut conn, actor, number).await?;
        let today = self.clock.today();
        let rules = self.rules_for(c.program)?;
        let paid = paid::so_far(&mut conn, c.id).await?;
        let outstanding = self
            .outstanding_loan_balance(&mut conn, &rules, c.id, today)
            .await?;
        let months_paid = u32::try_from(paid.months.max(0)).unwrap_or(u32::MAX);
        let total_paid = Yen::new(paid.yen);
        let mut limits = LoanLimits {
            program: c.program,
            temporary_loan_limit: Yen::ZERO,
            bankruptcy_loan_multiple_limit: Yen::ZERO,
            outstanding,
            member_loan_limit: None,
            as_of: today,
            bankruptcy_loan_multiple: None,
            member_loan_recalculation_months: Vec::new(),
        };
        match c.program {
            Program::SafetyNet => {
                let sn = safety_net(&rules)?;
                limits.temporary_loan_limit = temporary_loan(
                    &sn.temporary_loan,
                    &sn.cancellation,
                    rules.premium.accumulation_cap_yen.as_ref().map(|c| c.value),
                    &TemporaryLoanFacts {
                        months_paid,
                        total_paid,
                        outstanding,
                        legacy_holder: false,
                    },
                )
                .limit;
                let b = &sn.bankruptcy_loan;
                limits.bankruptcy_loan_multiple = Some(b.premium_multiple.value);
                let room = rounding::sub(b.outstanding_cap_yen.value, outstanding).max(Yen::ZERO);
                limits.bankruptcy_loan_multiple_limit = rounding::floor_to_unit(
                    rounding::mul(total_paid, b.premium_multiple.value).min(room),
                    b.unit_yen.value,
                );
            }
            Program::SmallEnterprise => {
                // Recalculated in April and October (REFERENCE §4.1), not from today's figures.
                limits.member_loan_recalculation_months = crate::rules::small_enterprise(&rules)?
                    .member_loan
                    .limit_recalculation_months
                    .value
                    .clone();
                limits.member_loan_limit = Some(
                    self.member_loan_limit(&mut conn, &rules, c.id, None)
                        .await?
                        .limit,
                );
            }
        }
        Ok(limits)
    }

    /// `GET /api/v1/contracts/{number}/loans`: every loan of the contract with its schedule,
    /// balance and status today.
    pub async fn contract_loans(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<Vec<LoanView>, AppError> {
        let mut conn = self.store.read().await?;
        let c = self.readable_contract(&mut conn, actor, number).await?;
        let rules = self.rules_for(c.program)?;
        self.loans_of(&mut conn, &rules, c.id, self.clock.today())
            .await
    }
}

/// A 一時貸付金 request as submitted (`POST /api/v1/contracts/{number}/temporary-loans`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemporaryLoanForm {
    /// The amount to borrow (a number, or digits as text).
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub amount_yen: Option<String>,
}

/// Far above any limit (760万); a larger figure is a typing error.
const MAX_LOAN_YEN: i64 = 100_000_000_000;

/// The answer to a 一時貸付金 request.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemporaryLoanDone {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    pub amount_yen: i64,
    /// The day the loan is transferred (None while staff review the request).
    pub disbursement_date: Option<Date>,
    /// The day it is repaid in one payment by direct debit.
    pub maturity_date: Option<Date>,
    /// Principal and interest due at maturity.
    pub repayment_yen: Option<i64>,
}

impl Outcome for TemporaryLoanDone {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

/// What deciding a 一時貸付金 produced.
pub(crate) struct TemporaryLoanDecided {
    number: String,
    disbursement_date: Date,
    repayment: loan::TemporaryRepayment,
}

/// 一時貸付金 on the procedure framework (REFERENCE §5.2): the request is checked against the
/// limit the calculators give for the contract's own figures; within it, the loan is decided at
/// once (201) — unless the limit rests on a provisional rate table, when staff confirm it (202).
pub(crate) struct TemporaryLoanProcedure;

impl ProcedureRules for TemporaryLoanProcedure {
    const PROCEDURE: Procedure = Procedure::TemporaryLoan;
    type Target = str;
    type Form = TemporaryLoanForm;
    type Input = Yen;
    type Done = TemporaryLoanDecided;
    type Answer = TemporaryLoanDone;

    fn parse(form: &TemporaryLoanForm) -> Result<Yen, AppError> {
        let mut p = Parser { errors: Vec::new() };
        match p.yen("amount_yen", &form.amount_yen, "借入額", MAX_LOAN_YEN) {
            Some(y) if p.errors.is_empty() => Ok(Yen::new(y)),
            _ => Err(AppError::Invalid(p.errors)),
        }
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &Yen,
    ) -> Result<Subject, AppError> {
        let s = program_subject(conn, actor, number, Program::SafetyNet, "一時貸付金").await?;
        Ok(s)
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        amount: &Yen,
        rules: &RuleSet,
    ) -> Result<Checked<TemporaryLoanDone>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let sn = safety_net(rules)?;
        let t = &sn.temporary_loan;
        let today = app.clock.today();
        let paid = paid::so_far(conn, c.id).await?;
        let outstanding = app
            .outstanding_loan_balance(conn, rules, c.id, today)
            .await?;
        let result = temporary_loan(
            t,
            &sn.cancellation,
            rules.premium.accumulation_cap_yen.as_ref().map(|c| c.value),
            &TemporaryLoanFacts {
                months_paid: u32::try_from(paid.months.max(0)).unwrap_or(u32::MAX),
                total_paid: Yen::new(paid.yen),
                outstanding,
                legacy_holder: false,
            },
        );
        let mut checks: Vec<Check> = result
            .reasons
            .iter()
            .filter(|r| r.code != "below_minimum")
            .map(|r| Check::new(r.code, CheckStatus::Failed, None, r.message.clone()))
            .collect();
        let amount = *amount;
        let min = t.min_yen.value;
        let unit = t.unit_yen.value;
        if amount < min {
            checks.push(Check::new(
                "below_minimum",
                CheckStatus::Failed,
                Some("amount_yen"),
                format!("借入額は{min}以上でお申し込みください。"),
            ));
        }
        if !amount.is_multiple_of(unit) {
            checks.push(Check::new(
                "not_a_unit",
                CheckStatus::Failed,
                Some("amount_yen"),
                format!("借入額は{unit}単位でお申し込みください。"),
            ));
        }
        if result.reasons.is_empty() && amount > result.limit {
            checks.push(Check::new(
                "above_limit",
                CheckStatus::Failed,
                Some("amount_yen"),
                format!("借入額が貸付限度額（{}）を超えています。", result.limit),
            ));
        }
        if checks.is_empty() {
            checks.push(Check::new(
                "within_limit",
                if result.estimate {
                    CheckStatus::NeedsReview
                } else {
                    CheckStatus::Passed
                },
                None,
                format!("借入額{amount}は貸付限度額{}の範囲内です。", result.limit),
            ));
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
        amount: &Yen,
    ) -> Result<TemporaryLoanDecided, AppError> {
        let c = subject_contract(conn, subject).await?;
        let sn = safety_net(&filed.rules)?;
        let t = &sn.temporary_loan;
        let (disbursement_date, repayment) = temporary_terms(app, t, *amount);
        let schedule = loan::temporary_schedule(t, *amount, disbursement_date);
        let loan_id = loans::insert(
            conn,
            &loans::NewLoan {
                contract_id: c.id,
                application_id: Some(filed.application_id),
                kind: LoanKind::Temporary,
                amount: *amount,
                disbursement_date,
                maturity_date: repayment.maturity_date,
                premium_reduction: Yen::ZERO,
                bankruptcy_key: None,
                schedule: &schedule,
            },
            &filed.now,
        )
        .await?;
        let account = payee(conn, c.id).await?;
        let source = format!("loan:{loan_id}");
        payouts::schedule(
            conn,
            &payouts::NewPayout {
                contract_id: c.id,
                application_id: Some(filed.application_id),
                kind: PayoutKind::LoanDisbursement,
                due_date: disbursement_date,
                amount: *amount,
                account: &account,
                source: &source,
                seq: 1,
            },
            &filed.now,
        )
        .await?;
        filed.audit(
            "loan.decided",
            &source,
            None,
            Some(&json!({
                "kind": LoanKind::Temporary.as_str(),
                "contract": c.number,
                "application": filed.application_id,
                "amount_yen": amount.get(),
                "disbursement_date": disbursement_date.to_string(),
                "maturity_date": repayment.maturity_date.to_string(),
                "interest_yen": repayment.interest.get(),
                "rule_set": filed.rules.id,
            })),
        );
        Ok(TemporaryLoanDecided {
            number: c.number,
            disbursement_date,
            repayment,
        })
    }

    async fn answer(
        _app: &App,
        _conn: &mut AnyConnection,
        filed: &Filed,
        _subject: &Subject,
        _assessment: Assessment,
        amount: Yen,
        done: Option<TemporaryLoanDecided>,
    ) -> Result<TemporaryLoanDone, AppError> {
        Ok(TemporaryLoanDone {
            application_id: filed.application_id,
            status: filed.status,
            amount_yen: amount.get(),
            disbursement_date: done.as_ref().map(|d| d.disbursement_date),
            maturity_date: done.as_ref().map(|d| d.repayment.maturity_date),
            repayment_yen: done.as_ref().map(|d| d.repayment.repayment.get()),
        })
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        amount: &Yen,
        done: &TemporaryLoanDecided,
    ) -> MailText {
        let r = &done.repayment;
        let mut body = format!(
            "{} 様\n\n共済契約者番号 {} の一時貸付金の貸付けが決定しました（受付番号：{}）。\n\n\
             貸付金額：{}\n送金予定日：{}（ご登録の引落口座へお振り込みします）\n\
             返済期日：{}（口座振替で一括してご返済いただきます）\n利息：{}\nご返済額（元金と利息）：{}\n\n\
             返済期日にご返済がない場合は、年{}の延滞損害金がかかり、返済期日から{}か月を過ぎると掛金から回収します。\n",
            subject.holder_name,
            done.number,
            filed.application_id,
            amount,
            ja_date(done.disbursement_date),
            ja_date(r.maturity_date),
            r.interest,
            r.repayment,
            filed
                .rules
                .safety_net
                .as_ref()
                .map_or_else(String::new, |s| s
                    .temporary_loan
                    .late_interest
                    .value
                    .to_string()),
            filed
                .rules
                .safety_net
                .as_ref()
                .map_or(0, |s| s.temporary_loan.recovery_after_months.value),
        );
        if r.estimate {
            body.push_str(
                "※利率は暫定値に基づく見込みです。確定した額はあらためてお知らせします。\n",
            );
        }
        body.push_str(&format!(
            "\nお心当たりがない場合は、至急お問い合わせください。\n{}/portal\n",
            app.public_url
        ));
        MailText {
            subject: format!(
                "【{}】一時貸付金の貸付けが決定しました",
                subject.program.name_ja()
            ),
            body,
        }
    }
}

/// The account a loan is transferred to: the contract's debit account in use (the one
/// repayments are collected from).
pub(crate) async fn payee(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<PayeeAccount, AppError> {
    payee_account(conn, contract_id).await?.ok_or_else(|| {
        AppError::conflict(
            "no_account",
            "お振込み先となる口座が登録されていません。口座を登録してからお申し込みください。",
        )
    })
}

impl App {
    /// Requests a 一時貸付金 (see [`TemporaryLoanProcedure`]).
    pub async fn request_temporary_loan(
        &self,
        actor: &Actor,
        number: &str,
        form: &TemporaryLoanForm,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<TemporaryLoanDone>, AppError> {
        self.run_procedure::<TemporaryLoanProcedure>(actor, number, form, key)
            .await
    }
}

/// When a 一時貸付金 decided today is transferred, and its repayment at maturity: one function
/// for the quote the member reads and the loan decided.
fn temporary_terms(
    app: &App,
    t: &kyosai_domain::rules::safety_net::TemporaryLoanRules,
    amount: Yen,
) -> (Date, loan::TemporaryRepayment) {
    let disbursement_date = app
        .calendar
        .business_days_after(app.clock.today(), t.disbursement_business_days.value);
    (
        disbursement_date,
        loan::temporary_repayment(t, amount, disbursement_date),
    )
}

/// What a 一時貸付金 of the amount asked would be, shown before the member confirms: the same
/// checks as the request (a refused amount gets the same field errors), nothing stored.
#[derive(Debug, Clone, Serialize)]
pub struct TemporaryLoanQuote {
    pub amount_yen: i64,
    pub limit_yen: i64,
    pub disbursement_date: Date,
    pub maturity_date: Date,
    pub interest_yen: i64,
    pub repayment_yen: i64,
    /// The rate is provisional in the rule set.
    pub estimate: bool,
    /// Staff confirm the request before it is decided.
    pub in_review: bool,
}

/// What the request page shows before an amount is typed: the limit and the rules for the amount.
#[derive(Debug, Clone, Serialize)]
pub struct TemporaryLoanTerms {
    pub limit_yen: i64,
    pub min_yen: i64,
    pub unit_yen: i64,
    pub term_months: u32,
}

impl App {
    /// The limit and the amount rules of a 一時貸付金 for the contract (its member or staff).
    pub async fn temporary_loan_terms(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<TemporaryLoanTerms, AppError> {
        let limits = self.loan_limits(actor, number).await?;
        let mut conn = self.store.read().await?;
        let c = self.readable_contract(&mut conn, actor, number).await?;
        if c.program != Program::SafetyNet {
            return Err(AppError::NotFound);
        }
        let rules = self.rules_for(c.program)?;
        let t = &safety_net(&rules)?.temporary_loan;
        Ok(TemporaryLoanTerms {
            limit_yen: limits.temporary_loan_limit.get(),
            min_yen: t.min_yen.value.get(),
            unit_yen: t.unit_yen.value.get(),
            term_months: t.term_months.value,
        })
    }

    /// Quotes a 一時貸付金 request without storing anything (see [`TemporaryLoanQuote`]).
    pub async fn quote_temporary_loan(
        &self,
        actor: &Actor,
        number: &str,
        form: &TemporaryLoanForm,
    ) -> Result<TemporaryLoanQuote, AppError> {
        let amount = TemporaryLoanProcedure::parse(form)?;
        // The procedure's subject step locks the contract (a write); the transaction is dropped
        // without a commit, so the quote writes nothing.
        let mut tx = self.store.begin_write().await?;
        let subject =
            TemporaryLoanProcedure::subject(self, tx.conn(), actor, number, &amount).await?;
        let rules = self.rules_for(subject.program)?;
        let Checked::Assessed(assessment) =
            TemporaryLoanProcedure::check(self, tx.conn(), &subject, &amount, &rules).await?
        else {
            return Err(internal("a temporary loan is never unchanged"));
        };
        let decision = assessment.decision();
        if decision == kyosai_domain::procedure::Decision::Reject {
            return Err(AppError::Invalid(assessment.field_errors()));
        }
        drop(tx);
        let t = &safety_net(&rules)?.temporary_loan;
        let (disbursement_date, repayment) = temporary_terms(self, t, amount);
        let limit = self.loan_limits(actor, number).await?.temporary_loan_limit;
        Ok(TemporaryLoanQuote {
            amount_yen: amount.get(),
            limit_yen: limit.get(),
            disbursement_date,
            maturity_date: repayment.maturity_date,
            interest_yen: repayment.interest.get(),
            repayment_yen: repayment.repayment.get(),
            estimate: repayment.estimate,
            in_review: decision == kyosai_domain::procedure::Decision::Review,
        })
    }
}
