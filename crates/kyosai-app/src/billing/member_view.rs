//! What a member sees of a contract's billing: each month's bill, debit date and result in plain
//! Japanese, what is unpaid, and the next debit.

use kyosai_domain::billing::{self as dom, ContractFacts, Due, LineResult, Skip};
use kyosai_domain::schedule;
use kyosai_domain::{ContractStatus, Program, YearMonth, Yen};
use kyosai_store::billing as store;
use kyosai_store::ledger;
use kyosai_zengin::debit::ResultCode;
use serde::Serialize;

use super::{histories, internal, late_settlement, makes_mandate_unusable, parse_month};
use crate::arrears::PaymentSlipView;
use crate::ja_text::{ja_date, ja_month};
use crate::{Actor, App, AppError};

/// One month of a contract's billing, as a member sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BilledMonth {
    pub month: YearMonth,
    pub debit_date: String,
    pub amount_yen: i64,
    /// Premium months paid by this debit, arrears marked.
    pub items: Vec<dom::BillItem>,
    /// `pending`, `collected`, `failed`.
    pub status: String,
    pub result_code: Option<i64>,
    /// Plain Japanese: what happened and what happens next.
    pub explanation: String,
    /// False for 倒産防止 premiums paid within two years of an earlier cancellation (措法66条の11,
    /// REFERENCE §5.4): not deductible as a business expense.
    pub deductible: bool,
}

/// The next planned debit.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextDebit {
    pub month: YearMonth,
    pub debit_date: String,
    pub amount_yen: i64,
    pub items: Vec<dom::BillItem>,
    pub explanation: String,
}

/// A contract's billing for the portal and `GET /api/v1/contracts/{number}/billing`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractBilling {
    pub contract_number: String,
    pub program: Program,
    pub monthly_premium_yen: i64,
    pub months: Vec<BilledMonth>,
    pub unpaid_months: Vec<YearMonth>,
    pub unpaid_yen: i64,
    /// False when a result made the debit account unusable: register a new one online.
    pub mandate_usable: bool,
    /// The debit date from which a newly registered account is used, while it is ahead.
    pub new_account_from: Option<String>,
    pub next_debit: Option<NextDebit>,
    /// Why there is no next debit (cap reached, suspended, cancelled…), when there is none.
    pub no_debit_reason: Option<String>,
    /// The tax note for a 倒産防止 contract made within two years of an earlier cancellation.
    pub tax_notice: Option<String>,
    pub contract_status: ContractStatus,
    /// The refund of a cancelled contract (解約手当金 plus 前納減額金), once decided.
    pub cancellation_refund: Option<RefundDue>,
    /// 納付書 sent for arrears of 12 months or more (REFERENCE §2.7), oldest first.
    pub payment_slips: Vec<PaymentSlipView>,
}

/// A cancelled contract's refund as the member sees it: decided and payable (決定済み・支払予定)
/// until the payout transfers it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundDue {
    pub amount_yen: i64,
    /// `payable` or `paid`.
    pub status: String,
    /// 「決定済み・支払予定」 or 「お支払い済み」.
    pub status_ja: String,
    /// `YYYY-MM-DD`: when it is (or was) transferred; None for refunds recorded before the
    /// payment date was kept.
    pub payment_date: Option<String>,
    /// 概算 (a provisional rate went into it).
    pub estimate: bool,
}

/// Plain Japanese for a failed debit.
pub fn failure_explanation_ja(code: Option<ResultCode>) -> &'static str {
    match code {
        Some(ResultCode::InsufficientFunds) => "残高不足のため、口座から引き落とせませんでした。",
        Some(ResultCode::NoAccount) => {
            "ご登録の口座が見つからないため（解約など）、引き落とせませんでした。"
        }
        Some(ResultCode::StoppedByDepositor) => {
            "口座名義人のお申し出により振替が停止されたため、引き落とせませんでした。"
        }
        Some(ResultCode::NoMandate) => {
            "金融機関に口座振替のお届けがないため、引き落とせませんでした。"
        }
        Some(ResultCode::StoppedByOriginator) => "機構の都合により振替を停止しました。",
        _ => "金融機関の事情により引き落とせませんでした。",
    }
}

/// What a member reads about premiums paid inside the 措法66条の11 window (REFERENCE §5.4).
fn non_deductible_notice((from, until): (jiff::civil::Date, jiff::civil::Date)) -> String {
    format!(
        "以前の経営セーフティ共済の契約が{}に解約されているため、{}までに納付した掛金は、税法上、損金または必要経費に算入できません（租税特別措置法第66条の11ほか）。",
        ja_date(from),
        ja_date(until)
    )
}

impl App {
    /// Each month's bill, debit date and result of a contract, with plain explanations and the
    /// next debit. Members see only their own contracts; staff see all.
    pub async fn contract_billing(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<ContractBilling, AppError> {
        let mut conn = self.store.read().await?;
        let c = kyosai_store::contracts::by_number(&mut conn, number)
            .await?
            .ok_or(AppError::NotFound)?;
        // Another member's contract is "not found": its existence is not revealed.
        self.authorize_member_read(actor, c.member_id, crate::capability::Scope::BillingRead)
            .await?;
        self.log_personal_data_view(actor, c.member_id, "billing", number)
            .await?;
        let program = c.program;
        let (mut facts, stored, hist, standing) = self.billing_facts(&mut conn, &c).await?;
        let payment_slips = kyosai_store::payment_slips::for_contract(&mut conn, c.id)
            .await?
            .iter()
            .map(PaymentSlipView::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mandates = kyosai_store::contracts::mandates_for(&mut conn, c.id).await?;
        let ending = kyosai_store::contracts::ending(&mut conn, c.id).await?;
        let earlier = match program {
            Program::SafetyNet => {
                kyosai_store::contracts::earlier_cancellation(&mut conn, c.id, program).await?
            }
            Program::SmallEnterprise => None,
        };
        drop(conn);
        // The newest mandate decides whether the member has to register an account; one
        // registered after a failure makes the account usable again from its effective month.
        let mandate_usable = mandates.last().is_some_and(|m| m.usable());
        let new_account_from = mandates
            .last()
            .and_then(|m| m.effective_month)
            .map(|m| {
                let rules = self.billing_rules(program, m)?;
                Ok::<_, AppError>(schedule::debit_date(&rules.collection, &self.calendar, m))
            })
            .transpose()?
            .filter(|d| *d >= self.clock.today())
            .map(|d| d.to_string());
        let today = YearMonth::of(self.clock.today());
        let start = self.next_unbilled_month(program, &stored, &facts)?;
        let mut next = None;
        let mut no_debit_reason = match &ending {
            Some(e) => {
                let on = e.cancelled_on.parse().map_err(internal)?;
                let rules = self.billing_rules(program, YearMonth::of(on))?;
                Some(ending_explanation(
                    e,
                    on,
                    dom::termination_threshold(&rules),
                ))
            }
            None => None,
        };
        // A cancelled contract is never billed again: no months to look at.
        let horizon = if ending.is_some() { 0 } else { 24 };
        for k in 0..horizon {
            let m = start.plus(k);
            let rules = self.billing_rules(program, m)?;
            let due = dom::due_for_month(&rules, &facts, m);
            // A month whose account in force is unusable while a newer one is registered (from
            // a later month) is not debited: the run withholds its line and fails it at once,
            // so what it would have debited becomes unpaid and is re-billed by the cycle.
            if mandate_usable
                && !kyosai_store::contracts::in_force(&mandates, m).is_some_and(|x| x.usable())
            {
                if let Due::Bill(plan) = &due {
                    dom::fail_plan(&mut facts.unpaid, plan);
                }
                continue;
            }
            match due {
                Due::Bill(plan) => {
                    let date = schedule::debit_date(&rules.collection, &self.calendar, m);
                    let mut explanation = debit_explanation(date, &plan);
                    if !mandate_usable {
                        explanation.push_str("ご登録の口座は使えません。引落日までにオンラインで新しい口座をご登録ください。");
                    }
                    next = Some(NextDebit {
                        month: m,
                        debit_date: date.to_string(),
                        amount_yen: plan.total.get(),
                        items: plan.items,
                        explanation,
                    });
                    break;
                }
                Due::Nothing { reason } => {
                    if matches!(
                        reason,
                        Skip::CapReached | Skip::Suspended | Skip::TerminationCandidate
                    ) {
                        no_debit_reason = Some(reason.explanation_ja().to_string());
                        break;
                    }
                }
            }
        }
        let non_deductible = self.non_deductible_window(earlier.as_deref())?;
        let mut months = Vec::with_capacity(stored.len());
        for (l, h) in stored.iter().zip(&hist) {
            let rules = self.billing_rules(program, h.month)?;
            let date = schedule::debit_date(&rules.collection, &self.calendar, h.month);
            let code = l
                .result_code
                .and_then(|c| u8::try_from(c).ok())
                .and_then(ResultCode::from_code);
            let explanation = match h.result {
                LineResult::Pending => format!(
                    "{}に{}を引き落とします（結果は引落日の後に表示されます）。",
                    ja_date(date),
                    h.amount
                ),
                LineResult::Collected => {
                    format!("{}に{}を引き落としました。", ja_date(date), h.amount)
                }
                LineResult::Failed => {
                    let mut s = format!(
                        "{}の引落し（{}）はできませんでした。{}",
                        ja_date(date),
                        h.amount,
                        failure_explanation_ja(code)
                    );
                    let redebit = dom::redebit_month(&rules, h.month);
                    match (&next, code.is_some_and(makes_mandate_unusable)) {
                        (_, true) if !mandate_usable => s.push_str("オンラインで新しい口座をご登録ください。登録後の引落しで未納分をご請求します。"),
                        (Some(n), false) if n.items.iter().any(|i| h.items.iter().any(|x| x.month == i.month)) => {
                            s.push_str(&format!(
                                "未納分は{}の引落しで、その月の掛金と合わせてご請求します。",
                                ja_date(n.debit_date.parse().unwrap_or(date))
                            ))
                        }
                        _ => s.push_str(&format!(
                            "未納分は{}以降の引落しでご請求します。",
                            ja_month(redebit)
                        )),
                    }
                    s
                }
            };
            months.push(BilledMonth {
                month: h.month,
                debit_date: date.to_string(),
                amount_yen: h.amount.get(),
                items: h.items.clone(),
                status: match h.result {
                    LineResult::Pending => "pending",
                    LineResult::Collected => "collected",
                    LineResult::Failed => "failed",
                }
                .to_string(),
                result_code: l.result_code,
                explanation,
                deductible: !non_deductible
                    .is_some_and(|(from, until)| (from..=until).contains(&date)),
            });
        }
        Ok(ContractBilling {
            contract_number: c.number,
            program,
            monthly_premium_yen: facts.premium_for(today).get(),
            months,
            unpaid_months: standing.unpaid.iter().map(|u| u.month).collect(),
            unpaid_yen: standing.unpaid.iter().map(|u| u.amount.get()).sum(),
            mandate_usable,
            new_account_from,
            next_debit: next,
            no_debit_reason,
            contract_status: c.status,
            cancellation_refund: ending.as_ref().and_then(|e| {
                let status = e.refund_status.clone()?;
                Some(RefundDue {
                    amount_yen: e.refund_yen?,
                    status_ja: match status.as_str() {
                        "paid" => "お支払い済み",
                        _ => "決定済み・支払予定",
                    }
                    .into(),
                    status,
                    payment_date: e.payment_date.clone(),
                    estimate: e.estimate,
                })
            }),
            payment_slips,
            tax_notice: non_deductible.map(non_deductible_notice),
        })
    }

    /// The 措法66条の11 statement of a 倒産防止 contract made after an earlier one was cancelled
    /// (the portal's billing page, the March notice), or None.
    pub(crate) async fn tax_notice(
        &self,
        conn: &mut sqlx::AnyConnection,
        c: &kyosai_store::contracts::Contract,
    ) -> Result<Option<String>, AppError> {
        if c.program != Program::SafetyNet {
            return Ok(None);
        }
        let earlier = kyosai_store::contracts::earlier_cancellation(conn, c.id, c.program).await?;
        Ok(self
            .non_deductible_window(earlier.as_deref())?
            .map(non_deductible_notice))
    }

    /// The days premiums are not deductible after an earlier 倒産防止 cancellation on
    /// `cancelled_on` (REFERENCE §5.4), by the rules in force on that date.
    pub(crate) fn non_deductible_window(
        &self,
        cancelled_on: Option<&str>,
    ) -> Result<Option<(jiff::civil::Date, jiff::civil::Date)>, AppError> {
        let Some(on) = cancelled_on else {
            return Ok(None);
        };
        let on: jiff::civil::Date = on.parse().map_err(internal)?;
        let rules = self
            .rules
            .in_force(Program::SafetyNet, on)
            .ok_or_else(|| internal("no safety_net rules"))?;
        let tax = &rules
            .safety_net
            .as_ref()
            .ok_or_else(|| internal("no safety_net section"))?
            .tax;
        Ok(kyosai_domain::safety_net::tax::non_deductible_until(tax, on).map(|until| (on, until)))
    }
    /// What billing knows of a contract (the same facts the billing run uses), with its stored
    /// lines, their histories and the standing they give.
    pub(crate) async fn billing_facts(
        &self,
        conn: &mut sqlx::AnyConnection,
        c: &kyosai_store::contracts::Contract,
    ) -> Result<
        (
            ContractFacts,
            Vec<store::LineWithResult>,
            Vec<dom::LineHistory>,
            dom::Standing,
        ),
        AppError,
    > {
        let stored = store::lines_for_contract(conn, c.id).await?;
        let with_slips = crate::arrears::lines_with_slips(conn, c.id).await?;
        let (prepaid_until, suspended_from) = store::prepaid_and_suspended(conn, c.id).await?;
        let collected: i64 = ledger::collected_between(conn, c.id, c.id)
            .await?
            .first()
            .map_or(0, |(_, t)| *t);
        let changes = store::premium_changes_between(conn, c.id, c.id).await?;
        let late =
            kyosai_store::premium_changes::late_settlements_between(conn, c.id, c.id).await?;
        let frequency_changes =
            kyosai_store::payment_schedule::frequency_changes_between(conn, c.id, c.id).await?;
        let hist = histories(&stored)?;
        // Paid 納付書 pay their months too (REFERENCE §2.7).
        let standing = dom::standing(&histories(&with_slips)?);
        let facts = ContractFacts {
            program: c.program,
            base_premium: c.monthly_premium,
            premium_changes: changes
                .iter()
                .map(|(_, m, p)| Ok((parse_month(m)?, Yen::new(*p))))
                .collect::<Result<_, AppError>>()?,
            frequency: c.frequency,
            first_debit_month: c.first_debit_month,
            frequency_changes: frequency_changes.into_iter().map(|(_, f)| f).collect(),
            prepaid_until: prepaid_until.as_deref().map(parse_month).transpose()?,
            suspended_from: suspended_from.as_deref().map(parse_month).transpose()?,
            deferral: kyosai_store::payment_schedule::deferral(conn, c.id).await?,
            total_paid: Yen::new(collected),
            pending: standing.pending,
            unpaid: standing.unpaid.clone(),
            late_settlements: late.iter().map(late_settlement).collect::<Result<_, _>>()?,
        };
        Ok((facts, stored, hist, standing))
    }

    /// The next month not billed yet whose debit date has not passed.
    fn next_unbilled_month(
        &self,
        program: Program,
        stored: &[store::LineWithResult],
        facts: &ContractFacts,
    ) -> Result<YearMonth, AppError> {
        let today = YearMonth::of(self.clock.today());
        let last_billed = stored.last().map(|l| parse_month(&l.month)).transpose()?;
        let mut start = last_billed
            .map_or(today, |m| m.plus(1))
            .max(facts.first_debit_month);
        let rules_now = self.billing_rules(program, start)?;
        if schedule::debit_date(&rules_now.collection, &self.calendar, start) < self.clock.today() {
            start = start.plus(1);
        }
        Ok(start)
    }

    /// The next `count` debits of a contract from its first month not billed yet, by the
    /// billing function itself ([`dom::due_for_month`]) on `facts` (a quote passes the facts
    /// with the change it previews). Stops at a month with no more debits (cap, suspension).
    pub(crate) fn projected_debits(
        &self,
        program: Program,
        stored: &[store::LineWithResult],
        facts: &ContractFacts,
        count: usize,
    ) -> Result<Vec<NextDebit>, AppError> {
        let start = self.next_unbilled_month(program, stored, facts)?;
        let mut out = Vec::with_capacity(count);
        for k in 0..(count as i32 * 12) {
            if out.len() == count {
                break;
            }
            let m = start.plus(k);
            let rules = self.billing_rules(program, m)?;
            match dom::due_for_month(&rules, facts, m) {
                Due::Bill(plan) => {
                    let date = schedule::debit_date(&rules.collection, &self.calendar, m);
                    out.push(NextDebit {
                        month: m,
                        debit_date: date.to_string(),
                        amount_yen: plan.total.get(),
                        explanation: debit_explanation(date, &plan),
                        items: plan.items,
                    });
                }
                Due::Nothing {
                    reason: Skip::CapReached | Skip::Suspended | Skip::TerminationCandidate,
                } => break,
                Due::Nothing { .. } => {}
            }
        }
        Ok(out)
    }
}

/// What a planned debit is, in the words the billing page uses (a premium change's difference
/// or credit named, so the amount never surprises).
fn debit_explanation(date: jiff::civil::Date, plan: &dom::BillPlan) -> String {
    let mut s = format!(
        "{}に{}を口座から引き落とします。",
        ja_date(date),
        plan.total
    );
    let arrears = plan.arrears_amount.get();
    if arrears > 0 {
        s.push_str(&format!(
            "このうち{}は未納分（{}か月分）です。",
            Yen::new(arrears),
            plan.arrears_months()
        ));
    }
    for i in &plan.items {
        match i.kind {
            dom::ItemKind::Premium => {}
            dom::ItemKind::Difference => s.push_str(&format!(
                "{}分の掛金月額の増額の差額{}を含みます。",
                ja_month(i.month),
                i.amount
            )),
            dom::ItemKind::Credit => s.push_str(&format!(
                "減額前に多く納付された{}分の掛金から{}を差し引いています。",
                ja_month(i.month),
                Yen::new(-i.amount.get())
            )),
        }
    }
    s
}

/// Why a cancelled contract has no next debit, with its refund. `unpaid_months`: the rule set's
/// 機構解約 threshold on the cancellation date.
fn ending_explanation(
    e: &kyosai_store::contracts::Ending,
    on: jiff::civil::Date,
    unpaid_months: Option<u32>,
) -> String {
    let why = match (e.kind.as_str(), unpaid_months) {
        ("by_organization", Some(n)) => {
            format!("掛金の未納が{n}か月以上続いたため、機構が共済契約を解除しました（機構解約）。")
        }
        ("by_organization", None) => "機構が共済契約を解除しました（機構解約）。".to_string(),
        ("voluntary", _) => {
            "ご本人のお申し出により共済契約を解約しました（任意解約）。".to_string()
        }
        ("deemed", _) => "共済契約はみなし解約となりました。".to_string(),
        _ => "共済契約は解約されています。".to_string(),
    };
    let refund = match e.refund_yen {
        Some(y) if y > 0 => format!(
            "解約手当金など{}{}をお支払いします。",
            Yen::new(y),
            if e.estimate { "（概算）" } else { "" }
        ),
        Some(_) => "お支払いする解約手当金はありません。".to_string(),
        None => String::new(),
    };
    format!(
        "{}に{why}これ以降の引落しはありません。{refund}",
        ja_date(on)
    )
}
