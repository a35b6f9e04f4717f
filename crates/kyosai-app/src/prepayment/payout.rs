//! June payout of 前納減額金: each payable amount becomes a payout into the member's debit
//! account (held, and reported, when there is none), paid by that day's payout run like every
//! other payment, which marks the rows paid.

use std::collections::BTreeMap;
use std::path::Path;

use kyosai_domain::payout::{PayoutKind, PayoutStatus};
use kyosai_domain::prepayment_discount as dom;
use kyosai_domain::{Program, YearMonth, Yen};
use kyosai_store::audit;
use kyosai_store::payouts;
use kyosai_store::prepayment as store;
use serde::Serialize;
use serde_json::json;

use crate::billing::internal;
use crate::ja_text::ja_month;
use crate::payouts::payee::{NO_ACCOUNT_JA, Payment, schedule_to_contract_account};
use crate::payouts::{PayoutRunOptions, PayoutRunSummary};
use crate::{App, AppError};

/// A June payout.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PayoutSummary {
    pub fiscal_year: i16,
    pub transfer_date: String,
    /// 前納減額金 scheduled as payouts by this call (a repeated call schedules nothing twice).
    pub scheduled_count: i64,
    pub scheduled_yen: i64,
    /// (contract number, reason in Japanese): scheduled but held (no account to pay into).
    pub exceptions: Vec<(String, String)>,
    /// The payout run of the transfer date (it pays every payout due by then).
    pub run: PayoutRunSummary,
}

impl App {
    /// Pays the payable 前納減額金 of fiscal year `fy` (from June of `fy+1`): each becomes a
    /// payout on the first business day from today, and that day's payout run writes the
    /// 総合振込 files into `out`. A contract without a usable account is held and reported.
    /// Paying again schedules and pays nothing twice.
    #[tracing::instrument(skip_all)]
    pub async fn pay_prepayment_discounts(
        &self,
        fy: i16,
        out: &Path,
        actor: &str,
    ) -> Result<PayoutSummary, AppError> {
        // The payout month of each program, by the rules in force at the fiscal year's end.
        let year_end = jiff::civil::Date::new(fy + 1, 3, 31).map_err(internal)?;
        let mut due: BTreeMap<&'static str, YearMonth> = BTreeMap::new();
        for program in Program::ALL {
            let set = self
                .rules
                .in_force(program, year_end)
                .ok_or_else(|| internal("no rule set"))?;
            let month = dom::rules_of(&set)
                .and_then(|r| YearMonth::new(fy + 1, r.payout_month.value))
                .ok_or_else(|| internal("no prepayment rules"))?;
            due.insert(program.as_str(), month);
        }
        let today = YearMonth::of(self.clock.today());
        let earliest = due
            .values()
            .min()
            .copied()
            .ok_or_else(|| internal("no program"))?;
        if today < earliest {
            return Err(AppError::conflict(
                "payout_not_due",
                format!(
                    "{fy}年度の前納減額金は{}からお支払いします。",
                    ja_month(earliest)
                ),
            ));
        }
        let date = self.calendar.on_or_after(self.clock.today());
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let rows: Vec<_> = store::for_year(tx.conn(), i64::from(fy))
            .await?
            .into_iter()
            .filter(|r| r.status == "payable")
            .collect();
        let mut s = PayoutSummary {
            fiscal_year: fy,
            transfer_date: date.to_string(),
            ..Default::default()
        };
        for r in &rows {
            let c = kyosai_store::contracts::get(tx.conn(), r.contract_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if due.get(c.program.as_str()).is_some_and(|m| today < *m) {
                continue;
            }
            let source = format!("prepayment_discount:{}", r.id);
            if payouts::scheduled_for(tx.conn(), &source).await? {
                continue;
            }
            let id = schedule_to_contract_account(
                tx.conn(),
                &Payment {
                    contract_id: c.id,
                    application_id: None,
                    kind: PayoutKind::PrepaymentDiscount,
                    due_date: date,
                    amount: Yen::new(r.accumulated_yen),
                    source: &source,
                },
                &now,
            )
            .await?;
            s.scheduled_count += 1;
            s.scheduled_yen += r.accumulated_yen;
            if payouts::get(tx.conn(), id)
                .await?
                .is_some_and(|p| p.status == PayoutStatus::Held)
            {
                s.exceptions.push((c.number, NO_ACCOUNT_JA.into()));
            }
        }
        audit::append(
            tx.conn(),
            self.store.audit_key(),
            &audit::Entry {
                actor,
                action: "prepayment_discount.scheduled",
                target: &format!("fiscal_year:{fy}"),
                before: None,
                after: Some(
                    &json!({ "scheduled": s.scheduled_count, "yen": s.scheduled_yen,
                    "held": s.exceptions.len(), "transfer_date": date.to_string() }),
                ),
                at: &now,
            },
        )
        .await?;
        tx.commit().await?;
        s.run = self
            .payout_run(date, out, actor, &PayoutRunOptions::default())
            .await?;
        Ok(s)
    }
}
