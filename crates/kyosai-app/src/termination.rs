//! 機構解約/機構解除 of contracts with 12+ unpaid months whose 納付書 was not paid by its
//! deadline (REFERENCE §2.7; issue #4; the slip: `arrears`), and the refund computation and
//! recording every kind of cancellation shares ([`App::plan_refund`],
//! [`App::record_cancellation`]; 任意解約 and みなし解約 are in `cancellation.rs`).
//!
//! Maker-checker: one staff user prepares the candidate list from the ledger, a different staff
//! user confirms each candidate (or anyone withdraws it). Confirming re-derives the unpaid months
//! in the same transaction (optimistic: a candidate paid meanwhile is refused), cancels the
//! contract, computes the 解約手当金 by the rules in force on the cancellation date, pays the
//! open 前納減額金 with it, mails the member a 『共済契約解除通知書』 and audits, all in one
//! transaction. Billing walks only active contracts, so a cancelled contract is never billed
//! again.

use std::sync::Arc;

use jiff::civil::Date;
use kyosai_domain::billing as dom;
use kyosai_domain::payout::PayoutKind;
use kyosai_domain::rules::RuleSet;
use kyosai_domain::termination::{
    self as term, CancellationKind, CandidateStatus, OpeningBalance, PaidPremiums,
    TerminationRefund,
};
use kyosai_domain::{ApplicationId, CandidateId, ContractId, Program, UserId, YearMonth, Yen};
use kyosai_store::billing as bstore;
use kyosai_store::termination::{self as store, Candidate, NewRefund};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

use crate::arrears::slip_overdue;
use crate::billing::{histories, internal};
use crate::ja_text::ja_date;
use crate::mail::{self, Mail};
use crate::payouts::payee::{Payment, schedule_to_contract_account};
use crate::review::require_staff;
use crate::{Actor, App, AppError};

/// The refund of a contract cancelled today, worked out from its own collected premiums by the
/// rule set in force (nothing written): what every kind of cancellation pays, quoted before a
/// 任意解約 and recorded by [`App::record_cancellation`].
#[derive(Debug, Clone)]
pub(crate) struct RefundPlan {
    pub rules: Arc<RuleSet>,
    pub kind: CancellationKind,
    pub refund: TerminationRefund,
    /// What is owed on the contract's loans and taken from the refund (settles them when it is
    /// all that is owed).
    pub loans_set_off: Yen,
    /// Open 前納減額金, paid with the refund (REFERENCE §2.3, §5.3).
    pub discount: Yen,
    pub discount_estimate: bool,
    /// The day the refund is transferred: the rule's business days after the decision.
    pub payment_date: Date,
    /// The contract's bill lines (the quote's notices say which debits still run).
    pub lines: Vec<dom::LineHistory>,
}

impl RefundPlan {
    /// What the member is paid: the 解約手当金 (net of loans) plus the 前納減額金.
    pub fn payable(&self) -> Yen {
        Yen::new(self.refund.amount.get() + self.discount.get())
    }

    pub fn estimate(&self) -> bool {
        self.refund.estimate || self.discount_estimate
    }
}

/// What links a refund row to the decision that made it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RefundLinks<'a> {
    pub candidate_id: Option<CandidateId>,
    pub application_id: Option<ApplicationId>,
    pub note: Option<&'a str>,
}

/// Bank business days from the decision to the payment (rule data, per program).
fn payment_business_days(rules: &RuleSet) -> Result<u32, AppError> {
    match rules.program {
        Program::SmallEnterprise => rules
            .small_enterprise
            .as_ref()
            .map(|r| r.cancellation.refund_payment_business_days.value),
        Program::SafetyNet => rules
            .safety_net
            .as_ref()
            .map(|r| r.cancellation.refund_payment_business_days.value),
    }
    .ok_or_else(|| internal(format!("{}: no cancellation rules", rules.id)))
}

/// What a confirmation did.
#[derive(Debug, Clone, Serialize)]
pub struct Confirmed {
    pub candidate_id: CandidateId,
    pub contract_number: String,
    pub cancelled_on: String,
    pub rule_set: String,
    pub refund_yen: i64,
    pub prepayment_discount_yen: i64,
    pub total_yen: i64,
    pub months_paid: u32,
    pub total_paid_yen: i64,
    pub estimate: bool,
}

/// A termination candidate as the staff list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateView {
    pub id: CandidateId,
    pub contract_number: String,
    pub program: Program,
    pub holder_name: String,
    pub unpaid_months: i64,
    pub unpaid_yen: i64,
    /// The staff user who prepared it (they may not confirm it: maker-checker).
    pub prepared_by: UserId,
    pub prepared_by_email: String,
    pub prepared_at: String,
    pub confirmed_at: Option<String>,
    pub withdrawn_at: Option<String>,
    pub status: CandidateStatus,
    /// The refund, once confirmed.
    pub refund_total_yen: Option<i64>,
    pub refund_estimate: Option<bool>,
}

impl CandidateView {
    fn from_row(c: &Candidate) -> CandidateView {
        CandidateView {
            id: c.id,
            contract_number: c.contract_number.clone(),
            program: c.program,
            holder_name: c.holder_name.clone(),
            unpaid_months: c.unpaid_months,
            unpaid_yen: c.unpaid_yen,
            prepared_by: c.prepared_by,
            prepared_by_email: c.prepared_by_email.clone(),
            prepared_at: c.prepared_at.clone(),
            confirmed_at: c.confirmed_at.clone(),
            withdrawn_at: c.withdrawn_at.clone(),
            status: c.status,
            refund_total_yen: c.refund_total_yen,
            refund_estimate: c.refund_estimate,
        }
    }
}

/// The contract's bill lines and their results, replayed as billing does (its standing gives
/// the unpaid months).
pub(crate) async fn replay(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Vec<dom::LineHistory>, AppError> {
    histories(&crate::arrears::lines_with_slips(conn, contract_id).await?)
}

/// Premium months actually collected: the opening balance, the months of collected bill lines
/// and 前納 months up to `until` (prepaid months not yet reached do not count, REFERENCE §5.3).
pub(crate) async fn paid_premiums(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    lines: &[dom::LineHistory],
    until: YearMonth,
) -> Result<PaidPremiums, AppError> {
    let mut paid = PaidPremiums::default();
    for (month, months, yen) in store::openings(conn, contract_id).await? {
        paid.openings.push(OpeningBalance {
            last_month: month.parse().map_err(internal)?,
            months: u32::try_from(months).map_err(internal)?,
            yen: Yen::new(yen),
        });
    }
    // A premium change's difference or credit corrects the premium of the month it names (so
    // each 小規模 tranche sees that month at its new premium); it is no month of its own. One
    // whose month was paid otherwise (前納) corrects the month of the line that carried it.
    let mut months: std::collections::BTreeMap<YearMonth, Yen> = Default::default();
    let mut adjustments = Vec::new();
    for h in lines {
        if h.result == dom::LineResult::Collected {
            for i in &h.items {
                if i.kind == dom::ItemKind::Premium {
                    months.insert(i.month, i.amount);
                } else {
                    adjustments.push((i.month, h.month, i.amount));
                }
            }
        }
    }
    for (month, line_month, amount) in adjustments {
        let target = if months.contains_key(&month) {
            month
        } else {
            line_month
        };
        let e = months.entry(target).or_insert(Yen::ZERO);
        *e = Yen::new(e.get() + amount.get());
    }
    paid.months.extend(months);
    for p in kyosai_store::prepayment::for_contract(conn, contract_id).await? {
        let mut m = p.first_month;
        while m <= p.last_month && m <= until {
            paid.months.push((m, p.monthly_premium));
            m = m.plus(1);
        }
    }
    Ok(paid)
}

fn threshold(app: &App, program: Program) -> Result<usize, AppError> {
    let rules = app.rules_for(program)?;
    dom::termination_threshold(&rules)
        .map(|t| t as usize)
        .ok_or_else(|| internal(format!("{}: no termination threshold", rules.id)))
}

impl App {
    /// Every candidate (newest first), for the staff screen.
    pub async fn termination_candidates(
        &self,
        actor: &Actor,
    ) -> Result<Vec<CandidateView>, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let list = store::list(&mut conn, 1_000).await?;
        Ok(list.iter().map(CandidateView::from_row).collect())
    }

    /// Lists as candidates the active contracts (of `program`, or both) whose unpaid months
    /// reached the rule set's `termination_unpaid_months`, and returns the open (prepared)
    /// candidates. Idempotent: a contract already open or confirmed is not listed again.
    #[tracing::instrument(skip_all)]
    pub async fn prepare_termination_candidates(
        &self,
        actor: &Actor,
        program: Option<Program>,
    ) -> Result<Vec<CandidateView>, AppError> {
        require_staff(actor)?;
        let today = self.clock.today();
        let programs = program.map_or(Program::ALL.to_vec(), |p| vec![p]);
        let mut min = usize::MAX;
        for p in &programs {
            min = min.min(threshold(self, *p)?);
        }
        // Derive the unpaid months on a read connection (the scan can be long); writing is
        // idempotent and confirming derives them again, so a snapshot is enough here.
        let mut found = Vec::new();
        {
            let mut conn = self.store.read().await?;
            let ids = store::contracts_to_examine(
                &mut conn,
                program.map_or("", Program::as_str),
                min as i64,
            )
            .await?;
            for contract_id in ids {
                let c = kyosai_store::contracts::get(&mut conn, contract_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let standing = dom::standing(&replay(&mut conn, contract_id).await?);
                // REFERENCE §2.7: only after the 納付書's deadline has passed unpaid.
                if standing.unpaid.len() >= threshold(self, c.program)?
                    && slip_overdue(&mut conn, contract_id, today).await?.is_some()
                {
                    found.push((c, standing.unpaid));
                }
            }
        }
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        for (c, unpaid) in found {
            let months = unpaid.len() as i64;
            let yen: i64 = unpaid.iter().map(|u| u.amount.get()).sum();
            if let Some(id) =
                store::prepare(tx.conn(), c.id, months, yen, actor.user_id, &now).await?
            {
                self.audit(
                    tx.conn(),
                    &actor.audit_name(),
                    "termination.prepared",
                    &format!("termination_candidate:{id}"),
                    None,
                    Some(
                        &json!({ "contract": c.number, "unpaid_months": months, "unpaid_yen": yen,
                        "unpaid": unpaid.iter().map(|u| u.month.to_string()).collect::<Vec<_>>() }),
                    ),
                )
                .await?;
            }
        }
        let open = store::list(tx.conn(), 10_000)
            .await?
            .iter()
            .filter(|c| c.status == CandidateStatus::Prepared)
            .map(CandidateView::from_row)
            .collect();
        tx.commit().await?;
        Ok(open)
    }

    /// Withdraws a prepared candidate (paid meanwhile, or listed by mistake).
    pub async fn withdraw_termination(
        &self,
        actor: &Actor,
        candidate_id: CandidateId,
    ) -> Result<(), AppError> {
        require_staff(actor)?;
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let c = store::get(tx.conn(), candidate_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !store::decide(tx.conn(), candidate_id, false, actor.user_id, &now).await? {
            return Err(already_decided());
        }
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "termination.withdrawn",
            &format!("termination_candidate:{candidate_id}"),
            Some(&json!({ "status": c.status })),
            Some(&json!({ "status": "withdrawn", "contract": c.contract_number })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Confirms a candidate prepared by another staff user: the contract is cancelled by the
    /// Organization today and its refund recorded, in one transaction.
    #[tracing::instrument(skip(self, actor), fields(actor = actor.user_id.get()))]
    pub async fn confirm_termination(
        &self,
        actor: &Actor,
        candidate_id: CandidateId,
    ) -> Result<Confirmed, AppError> {
        require_staff(actor)?;
        let now = self.clock.now_text();
        let today = self.clock.today();
        let mut tx = self.store.begin_write().await?;
        crate::review::require_approver(tx.conn(), actor).await?;
        let c = store::get(tx.conn(), candidate_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if c.status != CandidateStatus::Prepared {
            return Err(already_decided());
        }
        if c.prepared_by == actor.user_id {
            return Err(AppError::conflict(
                "maker_checker",
                "ご自身が作成した候補は確定できません。別の職員が確定してください。",
            ));
        }
        let program = c.program;
        let lines = replay(tx.conn(), c.contract_id).await?;
        let standing = dom::standing(&lines);
        let limit = threshold(self, program)?;
        if standing.unpaid.len() < limit {
            return Err(AppError::conflict(
                "no_longer_in_arrears",
                format!(
                    "候補の作成後に入金があり、未納は{}か月分になりました（解約の基準は{limit}か月分）。この候補は取り下げてください。",
                    standing.unpaid.len()
                ),
            ));
        }
        if slip_overdue(tx.conn(), c.contract_id, today)
            .await?
            .is_none()
        {
            return Err(AppError::conflict(
                "slip_not_overdue",
                "納付書の納付期限が過ぎていないか、納付書が納付済みです。この候補は取り下げてください。",
            ));
        }
        kyosai_store::payment_slips::cancel_open(tx.conn(), c.contract_id).await?;
        if !store::decide(tx.conn(), candidate_id, true, actor.user_id, &now).await? {
            return Err(already_decided());
        }
        let plan = self
            .plan_refund(
                tx.conn(),
                c.contract_id,
                program,
                CancellationKind::ByOrganization,
            )
            .await?;
        let on = today.to_string();
        let (refund, rules) = (&plan.refund, &plan.rules);
        let (discount, estimate) = self
            .record_cancellation(
                tx.conn(),
                c.contract_id,
                &plan,
                RefundLinks {
                    candidate_id: Some(candidate_id),
                    ..RefundLinks::default()
                },
                &now,
            )
            .await?;
        let detail = refund_detail(refund);
        let out = Confirmed {
            candidate_id,
            contract_number: c.contract_number.clone(),
            cancelled_on: on.clone(),
            rule_set: rules.id.clone(),
            refund_yen: refund.amount.get(),
            prepayment_discount_yen: discount.get(),
            total_yen: refund.amount.get() + discount.get(),
            months_paid: refund.months_paid,
            total_paid_yen: refund.total_paid.get(),
            estimate,
        };
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "termination.confirmed",
            &format!("termination_candidate:{candidate_id}"),
            Some(&json!({ "status": "prepared", "prepared_by": c.prepared_by })),
            Some(&json!({ "status": "confirmed", "unpaid_months": standing.unpaid.len() })),
        )
        .await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "contract.cancelled",
            &format!("contract:{}", c.contract_number),
            Some(&json!({ "status": "active" })),
            Some(
                &json!({ "status": "cancelled", "kind": CancellationKind::ByOrganization.as_str(), "on": on,
                "refund": serde_json::to_value(&out).map_err(internal)?, "detail": detail }),
            ),
        )
        .await?;
        let (member_id, email) = bstore::contact(tx.conn(), c.contract_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut notice = termination_notice(
            &email,
            &c,
            program,
            &out,
            (today, standing.unpaid.len()),
            &self.public_url,
        );
        // 解除通知書 as a document, attached to the mail.
        let contract = kyosai_store::contracts::get(tx.conn(), c.contract_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let letter = self
            .cancellation_letter(
                tx.conn(),
                &contract,
                CancellationKind::ByOrganization.name_ja(program),
                &format!(
                    "掛金の未納が{}か月分となったためです。",
                    standing.unpaid.len()
                ),
                today,
                (refund.months_paid, refund.total_paid),
                (Yen::new(out.total_yen), plan.payment_date),
            )
            .await?;
        let attachment = self
            .issue_letter(
                tx.conn(),
                contract.id,
                &format!("termination:{candidate_id}"),
                &letter,
            )
            .await?;
        notice
            .body
            .push_str(&self.attachment_note(&attachment, &letter.head().contract_number));
        notice.attachments.push(attachment);
        mail::send_to_members(tx.conn(), &[(member_id, notice)], &now).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Works out the refund of `kind` for a contract cancelled today, from its own collected
    /// premiums by the rule set in force (inside the caller's transaction; nothing written).
    pub(crate) async fn plan_refund(
        &self,
        conn: &mut AnyConnection,
        contract_id: ContractId,
        program: Program,
        kind: CancellationKind,
    ) -> Result<RefundPlan, AppError> {
        let today = self.clock.today();
        let month = YearMonth::of(today);
        let rules = self.rules_for(program)?;
        let lines = replay(conn, contract_id).await?;
        let paid = paid_premiums(conn, contract_id, &lines, month).await?;
        // What is owed on the contract's loans is set off against the refund (REFERENCE §4.1,
        // §5.3): 小規模's calculator nets it itself; 倒産防止's takes the 共済金 loans received
        // (their 1/10 reduces the base), so what is owed is netted here.
        let owed = self
            .settleable_loan_balance(conn, &rules, contract_id, today)
            .await?;
        let mut refund = match program {
            Program::SmallEnterprise => term::refund(&rules, kind, &paid, owed),
            Program::SafetyNet => {
                let received = kyosai_store::loans::for_contract(conn, contract_id)
                    .await?
                    .iter()
                    .filter(|l| l.kind == kyosai_domain::loan::LoanKind::Bankruptcy)
                    .fold(Yen::ZERO, |sum, l| {
                        kyosai_domain::rounding::add(sum, l.amount)
                    });
                term::refund(&rules, kind, &paid, received)
            }
        }
        .map_err(internal)?;
        let loans_set_off = match program {
            Program::SmallEnterprise => refund.loans_deducted,
            Program::SafetyNet => {
                let set_off = owed.min(refund.amount).max(Yen::ZERO);
                refund.amount = kyosai_domain::rounding::sub(refund.amount, set_off);
                refund.loans_deducted =
                    kyosai_domain::rounding::add(refund.loans_deducted, set_off);
                set_off
            }
        };
        let (discount, discount_estimate) = self
            .prepayment_discount_due(conn, contract_id, program, month)
            .await?;
        let payment_date = self
            .calendar
            .business_days_after(today, payment_business_days(&rules)?);
        Ok(RefundPlan {
            rules,
            kind,
            refund,
            loans_set_off,
            discount,
            discount_estimate,
            payment_date,
            lines,
        })
    }

    /// Cancels an active contract today as `plan` says: the contract's status, the open
    /// 前納減額金 marked paid with the refund, and the refund row (`payable`, with its
    /// `refunded` ledger entry). Refuses a contract that is no longer active. Returns the
    /// 前納減額金 settled and whether the refund is an estimate.
    pub(crate) async fn record_cancellation(
        &self,
        conn: &mut AnyConnection,
        contract_id: ContractId,
        plan: &RefundPlan,
        links: RefundLinks<'_>,
        now: &str,
    ) -> Result<(Yen, bool), AppError> {
        let today = self.clock.today();
        let on = today.to_string();
        let program = plan.rules.program;
        if !store::cancel_contract(conn, contract_id, plan.kind.as_str(), &on).await? {
            return Err(AppError::conflict(
                "contract_not_active",
                "この共済契約はすでに解約されています。",
            ));
        }
        let (discount, discount_estimate) = self
            .settle_prepayment_discount(conn, contract_id, program, YearMonth::of(today), &on)
            .await?;
        self.set_off_loans(
            conn,
            &plan.rules,
            contract_id,
            today,
            plan.loans_set_off,
            now,
        )
        .await?;
        let refund = &plan.refund;
        let estimate = refund.estimate || discount_estimate;
        let payment_date = plan.payment_date.to_string();
        let refund_id = store::insert_refund(
            conn,
            &NewRefund {
                contract_id,
                candidate_id: links.candidate_id,
                kind: plan.kind.as_str(),
                cancelled_on: &on,
                rule_set: &plan.rules.id,
                months_paid: i64::from(refund.months_paid),
                total_paid: refund.total_paid.get(),
                loans_deducted: refund.loans_deducted.get(),
                refund_yen: refund.amount.get(),
                prepayment_discount_yen: discount.get(),
                estimate,
                detail: &refund_detail(refund).to_string(),
                application_id: links.application_id,
                deemed_reason: match plan.kind {
                    CancellationKind::Deemed(r) => Some(r.as_str()),
                    _ => None,
                },
                note: links.note,
                payment_date: Some(&payment_date),
            },
            now,
        )
        .await?;
        let total = Yen::new(refund.amount.get() + discount.get());
        if total > Yen::ZERO {
            schedule_to_contract_account(
                conn,
                &Payment {
                    contract_id,
                    application_id: links.application_id,
                    kind: PayoutKind::CancellationRefund,
                    due_date: plan.payment_date,
                    amount: total,
                    source: &format!("cancellation_refund:{refund_id}"),
                },
                now,
            )
            .await?;
        }
        Ok((discount, estimate))
    }
}

fn already_decided() -> AppError {
    AppError::conflict(
        "not_prepared",
        "この候補はすでに確定または取り下げられています。画面を開き直してください。",
    )
}

/// How the refund was computed, kept with it (JSON).
fn refund_detail(r: &TerminationRefund) -> serde_json::Value {
    json!({
        "rate": r.rate.map(|x| x.to_string()),
        "tranches": r.tranches.iter().map(|(units, months, yen)| json!({
            "units": units, "months_paid": months, "amount": yen.get() })).collect::<Vec<_>>(),
    })
}

/// 『共済契約解除通知書』: what was cancelled, why, and what is paid.
fn termination_notice(
    email: &str,
    c: &Candidate,
    program: Program,
    r: &Confirmed,
    (date, unpaid_months): (jiff::civil::Date, usize),
    public_url: &str,
) -> Mail {
    let kind = match program {
        Program::SmallEnterprise => "機構解除",
        Program::SafetyNet => "機構解約",
    };
    let mut body = format!(
        "{} 様\n\n共済契約解除通知書\n\n共済契約者番号 {} の{}の共済契約は、掛金の未納が{}か月分となったため、{}付けで解除しました（{}）。\n\n解約手当金：{}\n前納減額金：{}\nお支払いする金額（合計）：{}\n（掛金納付月数 {}か月、掛金合計額 {}）\n",
        c.holder_name,
        c.contract_number,
        program.name_ja(),
        unpaid_months,
        ja_date(date),
        kind,
        Yen::new(r.refund_yen),
        Yen::new(r.prepayment_discount_yen),
        Yen::new(r.total_yen),
        r.months_paid,
        Yen::new(r.total_paid_yen),
    );
    if r.estimate {
        body.push_str(
            "※ 暫定の支給率を用いた概算額です。金額が確定しましたらあらためてお知らせします。\n",
        );
    }
    body.push_str(&format!(
        "\nお支払いする金額は、ご登録の口座へお振り込みします。ご不明な点は機構までお問い合わせください。\n{public_url}/portal\n"
    ));
    Mail {
        to: email.to_string(),
        subject: format!("【{}】共済契約解除通知書", program.name_ja()),
        body,
        attachments: Vec::new(),
    }
}
