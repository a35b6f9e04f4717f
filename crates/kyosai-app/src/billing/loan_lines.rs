//! The loans' part of a billing run (issue #12 items 2 and 3; REFERENCE §5.1, §5.2): after the
//! premiums, each loan with an instalment due in the month (or an early repayment asked for) gets
//! one debit line on the same debit date and mandate, written to its own request file with its
//! own customer numbers. An instalment whose first debit failed is debited again with the next
//! run, with the late charge the rules set from its first debit date to the new one. An unpaid
//! 一時貸付金 more than the rule set's months past maturity is no longer debited: it is
//! recovered from the premiums paid (a `loan_reduction` in the premium ledger).
//!
//! The step is one transaction, so a run resumed after a crash either finds its loan lines or
//! bills them now, numbered from their own counter exactly as an undisturbed run would.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use kyosai_domain::loan::{self, Instalment, LoanDebit, LoanKind, OpenInstalment};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::schedule;
use kyosai_domain::{ContractId, LoanId, MandateId, Program, YearMonth, Yen};
use kyosai_store::billing::{self as store, Originator};
use kyosai_store::loan_billing::{self, NewLoanLine, NewPayment, PaymentKind, RepayableLoan};
use kyosai_store::{audit, ledger};
use kyosai_zengin::debit::NewCode;
use serde_json::json;
use sqlx::AnyConnection;

use super::run::{mandate_problem, route};
use super::{RunOptions, internal};
use crate::ja_text::{ja_date, ja_month};
use crate::loans::late_terms;
use crate::mail::{self, Mail};
use crate::{App, AppError};

/// The debit that repays a loan of (kind, amount, transfer date) in full on `debit_date`: every
/// `open` instalment, with a 一時貸付金's interest for the days actually borrowed. One function
/// for the quote the member reads and the run's line.
pub(crate) fn early_debit(
    rules: &RuleSet,
    (kind, amount, disbursed): (LoanKind, Yen, Date),
    open: &[OpenInstalment],
    debit_date: Date,
) -> Result<Option<LoanDebit>, AppError> {
    let accrued = match kind {
        LoanKind::Temporary => loan::temporary_interest_until(
            &crate::rules::safety_net(rules)?.temporary_loan,
            amount,
            disbursed,
            debit_date,
        ),
        _ => Yen::ZERO,
    };
    let (rate, days) = late_terms(rules, kind)?;
    Ok(loan::early_debit(open, debit_date, accrued, rate, days))
}

/// A loan debit the bank could not collect.
#[derive(Debug, Clone)]
pub(super) struct LoanFailure {
    pub contract_id: ContractId,
    pub mandate_id: MandateId,
    pub month: String,
    pub amount: i64,
    pub reason_ja: &'static str,
    pub code: kyosai_zengin::debit::ResultCode,
    /// Codes 2, 3, 4: the mandate cannot be used again.
    pub unusable: bool,
}

/// What the loan step of a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct LoanStep {
    pub lines: usize,
    pub recovered: usize,
    /// Loans due but not debited, by reason (no usable mandate, no originator for the bank).
    pub skipped: BTreeMap<String, i64>,
}

impl App {
    /// The debit date of `month` for `program` by the rule set in force then: an instalment due
    /// in that month is first debited on it.
    pub(crate) fn first_collection(&self, program: Program, due: Date) -> Result<Date, AppError> {
        let month = YearMonth::of(due);
        let rules = self.billing_rules(program, month)?;
        Ok(schedule::debit_date(
            &rules.collection,
            &self.calendar,
            month,
        ))
    }

    /// A loan's `unpaid` instalments other than those awaiting a bank's answer (`pending`),
    /// with their first debit dates.
    pub(crate) fn open_instalments(
        &self,
        program: Program,
        unpaid: &[Instalment],
        pending: &[u32],
    ) -> Result<Vec<OpenInstalment>, AppError> {
        unpaid
            .iter()
            .filter(|i| !pending.contains(&i.seq))
            .map(|i| {
                Ok(OpenInstalment {
                    instalment: *i,
                    first_collection: self.first_collection(program, i.due_date)?,
                })
            })
            .collect()
    }

    /// Bills the month's loan repayments of `run` and recovers what §5.2 says is recovered.
    pub(super) async fn bill_loans(
        &self,
        run: &store::Run,
        rules: &RuleSet,
        originators: &[Originator],
        opts: &RunOptions,
    ) -> Result<LoanStep, AppError> {
        let program = run.program;
        let month = run.month;
        let debit_date = run.debit_date;
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let mut step = LoanStep::default();
        if loan_billing::run_has_lines(tx.conn(), run.id).await? {
            return Ok(step);
        }
        if !store::try_lock(
            tx.conn(),
            run.id,
            &opts.owner,
            &now,
            &kyosai_store::timestamp_text(
                self.clock.now() + jiff::SignedDuration::from_secs(opts.lease_seconds),
            ),
        )
        .await?
        {
            return Err(super::run::lost_lease());
        }
        let month_end = month.day(31);
        let loans =
            loan_billing::repayable(tx.conn(), program.as_str(), &month.to_string(), month_end)
                .await?;
        let mut lines = Vec::new();
        let mut recovered: Vec<(LoanId, ContractId, LoanDebit)> = Vec::new();
        for l in &loans {
            let open = self.open_instalments(program, &l.unpaid, &l.pending)?;
            let (rate, days) = late_terms(rules, l.kind)?;
            if let Some(debit) = self.recovery_due(rules, l, &open, debit_date)? {
                recovered.push((l.id, l.contract_id, debit));
                continue;
            }
            // Asked for this month's debit; one whose debit failed does not carry over (the
            // loan goes back to its schedule).
            let early = l.early_month.as_deref() == Some(month.to_string().as_str());
            let debit = if early {
                early_debit(
                    rules,
                    (l.kind, l.amount, l.disbursement_date),
                    &open,
                    debit_date,
                )?
            } else {
                loan::monthly_debit(&open, month, debit_date, rate, days)
            };
            let Some(debit) = debit else { continue };
            let problem = match &l.mandate {
                None => Some("no_usable_mandate"),
                Some(_) if !l.mandate_usable => Some("no_usable_mandate"),
                Some(m) => mandate_problem(m),
            };
            let routed = l
                .mandate
                .as_ref()
                .and_then(|m| route(originators, &m.bank_code));
            match (problem, &l.mandate, routed) {
                (None, Some(m), Some(o)) => lines.push(NewLoanLine {
                    loan_id: l.id,
                    contract_id: l.contract_id,
                    originator_id: o.id,
                    seqs: debit.seqs,
                    principal: debit.principal,
                    interest: debit.interest,
                    late_charge: debit.late_charge,
                    early,
                    new_code: i64::from(if m.changed_unused {
                        NewCode::Changed.digit()
                    } else {
                        NewCode::Other.digit()
                    }),
                    mandate: m.clone(),
                }),
                (p, _, _) => {
                    // The instalments stay open (and overdue); staff see the exception.
                    let reason = format!("loan_{}", p.unwrap_or("no_originator_for_bank"));
                    store::insert_exception(tx.conn(), run.id, l.contract_id, &reason).await?;
                    *step.skipped.entry(reason).or_default() += 1;
                }
            }
        }
        loan_billing::insert_lines(tx.conn(), run.id, &month.to_string(), &lines).await?;
        step.lines = lines.len();
        step.recovered = recovered.len();
        self.recover(tx.conn(), month, debit_date, &recovered, &now)
            .await?;
        tx.commit().await?;
        Ok(step)
    }

    /// REFERENCE §5.2: an unpaid 一時貸付金 more than `recovery_after_months` past its maturity
    /// is recovered from the premiums paid on the debit date: everything owed then (principal,
    /// interest and the late charge to that day).
    fn recovery_due(
        &self,
        rules: &RuleSet,
        l: &RepayableLoan,
        open: &[OpenInstalment],
        debit_date: Date,
    ) -> Result<Option<LoanDebit>, AppError> {
        let Some(sn) = rules.safety_net.as_ref() else {
            return Ok(None);
        };
        let t = &sn.temporary_loan;
        if l.kind != LoanKind::Temporary
            || open.is_empty()
            || !loan::temporary_recovery_due(t, l.maturity_date, debit_date)
        {
            return Ok(None);
        }
        Ok(loan::monthly_debit(
            open,
            YearMonth::of(debit_date),
            debit_date,
            Some(t.late_interest.value),
            t.interest_days_in_year.value,
        ))
    }

    async fn recover(
        &self,
        conn: &mut AnyConnection,
        month: YearMonth,
        on: Date,
        recovered: &[(LoanId, ContractId, LoanDebit)],
        now: &str,
    ) -> Result<(), AppError> {
        if recovered.is_empty() {
            return Ok(());
        }
        let ids: Vec<ContractId> = recovered.iter().map(|(_, c, _)| *c).collect();
        let contacts = store::contacts(conn, &ids).await?;
        let mut mails = Vec::new();
        for (loan_id, contract_id, d) in recovered {
            let total = d.total();
            let source = format!("loan_recovery:{loan_id}");
            ledger::post(
                conn,
                &ledger::Entry {
                    contract_id: *contract_id,
                    month: &month.to_string(),
                    kind: "loan_reduction",
                    amount: -total.get(),
                    months: 0,
                    reason: &source,
                },
                now,
            )
            .await?;
            loan_billing::record_payment(
                conn,
                &NewPayment {
                    loan_id: *loan_id,
                    line_id: None,
                    kind: PaymentKind::Recovered,
                    seqs: &d.seqs,
                    principal: d.principal,
                    interest: d.interest,
                    late_charge: d.late_charge,
                    result_code: None,
                    import_id: None,
                    on_date: on,
                },
                now,
            )
            .await?;
            audit::append(
                conn,
                self.store.audit_key(),
                &audit::Entry {
                    actor: "billing",
                    action: "loan.recovered",
                    target: &format!("loan:{loan_id}"),
                    before: None,
                    after: Some(&json!({
                        "principal_yen": d.principal.get(),
                        "interest_yen": d.interest.get(),
                        "late_charge_yen": d.late_charge.get(),
                        "on": on.to_string(),
                    })),
                    at: now,
                },
            )
            .await?;
            if let Some(c) = contacts.get(contract_id) {
                mails.push((
                    c.member_id,
                    Mail {
                        to: c.email.clone(),
                        subject: "【経営セーフティ共済】一時貸付金の掛金からの回収について".into(),
                        body: format!(
                            "共済契約者番号 {} の一時貸付金は、償還期日を過ぎてもご返済がなかったため、{}付けで納付済みの掛金から回収しました。\n回収額 {}（元金 {}、利息 {}、遅延損害金 {}）\n回収した額だけ掛金総額が減ります（解約手当金・貸付限度額の計算に反映されます）。\n貸付けと掛金の状況：{}/portal/contracts/{}/loans\n",
                            c.number,
                            ja_date(on),
                            total,
                            d.principal,
                            d.interest,
                            d.late_charge,
                            self.public_url,
                            c.number
                        ),
                        attachments: Vec::new(),
                    },
                ));
            }
        }
        mail::send_to_members(conn, &mails, now).await?;
        Ok(())
    }

    /// 『返済金の口座振替ができませんでした』: a failed loan debit, what it was and when it is
    /// debited again (the next run, with the late charge the rules set).
    pub(super) async fn loan_failure_mails(
        &self,
        conn: &mut AnyConnection,
        failed: &[LoanFailure],
        now: &str,
    ) -> Result<usize, AppError> {
        let ids: Vec<ContractId> = failed.iter().map(|f| f.contract_id).collect();
        let contacts = store::contacts(conn, &ids).await?;
        let mut next_dates: HashMap<(Program, YearMonth), Date> = HashMap::new();
        let mut mails = Vec::with_capacity(failed.len());
        for LoanFailure {
            contract_id,
            month,
            amount,
            reason_ja,
            unusable,
            ..
        } in failed
        {
            let Some(c) = contacts.get(contract_id) else {
                continue;
            };
            let program = Program::parse(&c.program).ok_or_else(|| internal("bad program"))?;
            let m = super::parse_month(month)?;
            let next = m.plus(1);
            let date = match next_dates.get(&(program, next)) {
                Some(d) => *d,
                None => {
                    let rules = self.billing_rules(program, next)?;
                    let d = schedule::debit_date(&rules.collection, &self.calendar, next);
                    next_dates.insert((program, next), d);
                    d
                }
            };
            if !c.active {
                // The contract ended after the debit was made: nothing more is debited.
                mails.push((
                    c.member_id,
                    Mail {
                        to: c.email.clone(),
                        subject: format!(
                            "【共済】{}分の貸付金の返済（口座振替）ができませんでした",
                            ja_month(m)
                        ),
                        body: format!(
                            "共済契約者番号 {} の{}分の貸付金の返済 {} は、口座振替ができませんでした（{}）。\nご契約が終了しているため、今後は口座振替でご請求しません。残りのご返済の方法は、共済相談室からご案内します。\n返済予定と残高：{}/portal/contracts/{}/loans\n",
                            c.number,
                            ja_month(m),
                            Yen::new(*amount),
                            reason_ja,
                            self.public_url,
                            c.number
                        ),
                        attachments: Vec::new(),
                    },
                ));
                continue;
            }
            let account = if *unusable {
                format!(
                    "ご登録の口座は今後の振替に使えません。オンラインで新しい口座をご登録ください：{}/portal/contracts/{}/account\n",
                    self.public_url, c.number
                )
            } else {
                String::new()
            };
            mails.push((
                c.member_id,
                Mail {
                    to: c.email.clone(),
                    subject: format!(
                        "【共済】{}分の貸付金の返済（口座振替）ができませんでした",
                        ja_month(m)
                    ),
                    body: format!(
                        "共済契約者番号 {} の{}分の貸付金の返済 {} は、口座振替ができませんでした（{}）。\n{}未返済の分は{}の引落しで、規定の遅延損害金とあわせてご請求します。前日までに口座へのご入金をお願いします。\n返済予定と残高：{}/portal/contracts/{}/loans\n",
                        c.number,
                        ja_month(m),
                        Yen::new(*amount),
                        reason_ja,
                        account,
                        ja_date(date),
                        self.public_url,
                        c.number
                    ),
                    attachments: Vec::new(),
                },
            ));
        }
        mail::send_to_members(conn, &mails, now).await?;
        Ok(mails.len())
    }
}
