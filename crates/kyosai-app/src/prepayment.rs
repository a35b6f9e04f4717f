//! 前納 and 前納減額金 (REFERENCE §2.3; issue #4).
//!
//! Staff record a 前納 (money received now for future months). After March, the fiscal year is
//! computed on its March-end position (`kyosai billing prepayment-discount --fiscal-year Y`,
//! idempotent: one row per contract and year); in June the payable amounts are transferred to
//! the members' debit accounts with a Zengin 総合振込 (21) file (`--pay`). Amounts under the
//! threshold are carried to the next year; on cancellation the open amount is paid with the
//! 解約手当金 ([`App::settle_prepayment_discount`]).

mod payout;

use std::collections::BTreeMap;

use kyosai_domain::prepayment_discount::{self as dom, Prepayment};
use kyosai_domain::{
    ContractId, ContractStatus, DiscountId, PrepaymentId, Program, YearMonth, Yen,
};
use kyosai_store::audit;
use kyosai_store::billing as bstore;
use kyosai_store::prepayment::{self as store, NewDiscount, NewPrepayment, PrepaymentRow};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

use crate::billing::internal;
use crate::ja_text::ja_month;
use crate::review::require_staff;
use crate::{Actor, App, AppError};

pub use payout::PayoutSummary;

fn domain(p: &PrepaymentRow) -> Prepayment {
    Prepayment {
        paid_month: p.paid_month,
        first_month: p.first_month,
        last_month: p.last_month,
        monthly_premium: p.monthly_premium,
    }
}

/// The March-end computation of one fiscal year.
#[derive(Debug, Clone, Default, Serialize)]
pub struct YearSummary {
    pub fiscal_year: i16,
    /// Rows written by this call (0 when the year was already computed).
    pub computed: i64,
    pub payable_count: i64,
    pub payable_yen: i64,
    pub carried_count: i64,
    pub carried_yen: i64,
    /// Contracts that already had a row for the year.
    pub already: i64,
}

impl App {
    /// Records a 前納 of `months` months from `first_month`, received in `paid_month`: the
    /// money is a collected ledger entry and billing skips those months (`prepaid_until`).
    pub async fn record_prepayment(
        &self,
        actor: &Actor,
        contract_number: &str,
        paid_month: YearMonth,
        first_month: YearMonth,
        months: u32,
    ) -> Result<PrepaymentId, AppError> {
        require_staff(actor)?;
        let mut tx = self.store.begin_write().await?;
        let c = kyosai_store::contracts::by_number(tx.conn(), contract_number)
            .await?
            .ok_or(AppError::NotFound)?;
        if c.status != ContractStatus::Active {
            return Err(AppError::conflict(
                "contract_not_active",
                "この共済契約は有効ではないため、前納を記録できません。",
            ));
        }
        let id = self
            .record_prepayment_in(
                tx.conn(),
                &actor.audit_name(),
                &c,
                paid_month,
                first_month,
                months,
            )
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// [`Self::record_prepayment`] inside the caller's transaction: the one path by which a
    /// 前納 is recorded, whether staff key it in or approve a member's application. The most
    /// months at once is the rule set's `prepayment.max_months_ahead`.
    pub(crate) async fn record_prepayment_in(
        &self,
        conn: &mut AnyConnection,
        actor: &str,
        c: &kyosai_store::contracts::Contract,
        paid_month: YearMonth,
        first_month: YearMonth,
        months: u32,
    ) -> Result<PrepaymentId, AppError> {
        let set = self
            .rules
            .in_force(c.program, paid_month.day(1))
            .ok_or_else(|| internal("no rule set"))?;
        let max = dom::rules_of(&set)
            .and_then(|r| r.max_months_ahead.as_ref())
            .map_or(u32::MAX, |m| m.value);
        if months == 0 || months > max {
            return Err(AppError::invalid(
                "months",
                "out_of_range",
                format!("前納する月数は1から{max}の範囲で入力してください。"),
            ));
        }
        let now = self.clock.now_text();
        self.check_prepayment_start(conn, c, first_month).await?;
        // The premium in force for the first prepaid month (the latest change on or before it).
        let first = first_month.to_string();
        let premium = bstore::premium_changes_between(conn, c.id, c.id)
            .await?
            .into_iter()
            .filter(|(_, m, _)| *m <= first)
            .max_by(|a, b| a.1.cmp(&b.1))
            .map_or(c.monthly_premium.get(), |(_, _, p)| p);
        let last = first_month.plus(months as i32 - 1);
        let id = store::record(
            conn,
            &NewPrepayment {
                contract_id: c.id,
                paid_month: &paid_month.to_string(),
                first_month: &first,
                last_month: &last.to_string(),
                months: i64::from(months),
                monthly_premium: premium,
            },
            &now,
        )
        .await?;
        self.audit(
            conn,
            actor,
            "prepayment.recorded",
            &format!("contract:{}", c.number),
            None,
            Some(&json!({ "prepayment": id, "paid_month": paid_month.to_string(), "first_month": first,
                "last_month": last.to_string(), "monthly_premium": premium })),
        )
        .await?;
        Ok(id)
    }

    /// A 前納 must start right after what is already billed or prepaid: billing treats every
    /// month up to `prepaid_until` as paid, so a gap before `first_month` would silently never
    /// be billed, and a month already billed or prepaid cannot be prepaid again.
    async fn check_prepayment_start(
        &self,
        conn: &mut AnyConnection,
        c: &kyosai_store::contracts::Contract,
        first_month: YearMonth,
    ) -> Result<(), AppError> {
        let lines = bstore::lines_for_contract(conn, c.id).await?;
        let billed_until = crate::billing::histories(&lines)?
            .iter()
            .flat_map(|h| h.items.iter().map(|i| i.month))
            .max();
        let prepaid_until = store::prepaid_until(conn, c.id).await?;
        if billed_until.is_some_and(|m| m >= first_month)
            || prepaid_until.is_some_and(|m| m >= first_month)
        {
            return Err(AppError::conflict(
                "already_covered",
                format!(
                    "{}分はすでに請求済みまたは前納済みです。",
                    ja_month(first_month)
                ),
            ));
        }
        let covered = billed_until.max(prepaid_until);
        if first_month > c.first_debit_month && covered.is_none_or(|m| m < first_month.plus(-1)) {
            return Err(AppError::conflict(
                "unbilled_months_before",
                "前納の開始月より前に、まだ請求していない月があります。その月の請求の後に前納を記録してください。",
            ));
        }
        Ok(())
    }

    /// Computes 前納減額金 of fiscal year `fy` (April `fy` – March `fy+1`) on its March-end
    /// position: per contract, the discounts of the 前納 paid in the year plus what earlier years
    /// carried. Refused before March 31 of `fy+1`. Idempotent.
    pub async fn compute_prepayment_discounts(
        &self,
        fy: i16,
        actor: &str,
    ) -> Result<YearSummary, AppError> {
        let year_end = YearMonth::new(fy + 1, 3).ok_or_else(|| internal("bad fiscal year"))?;
        if self.clock.today() < year_end.day(31) {
            return Err(AppError::conflict(
                "fiscal_year_not_ended",
                format!(
                    "{fy}年度の前納減額金は{}年3月末の状況で計算します。3月31日以降に実行してください。",
                    fy + 1
                ),
            ));
        }
        let from = YearMonth::new(fy, 4).ok_or_else(|| internal("bad fiscal year"))?;
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        // contract → (program, earned, estimate, carried in)
        let mut per: BTreeMap<ContractId, (Program, Yen, bool, Yen)> = BTreeMap::new();
        for p in store::paid_between(tx.conn(), &from.to_string(), &year_end.to_string()).await? {
            let d = domain(&p);
            let program = p.program;
            let set = self
                .rules
                .in_force(program, d.paid_month.day(1))
                .ok_or_else(|| internal("no rule set"))?;
            let rules = dom::rules_of(&set).ok_or_else(|| internal("no prepayment rules"))?;
            let (yen, estimate) = dom::discount(rules, &d);
            let e = per
                .entry(p.contract_id)
                .or_insert((program, Yen::ZERO, false, Yen::ZERO));
            e.1 = Yen::new(e.1.get() + yen.get());
            e.2 |= estimate;
        }
        for r in store::carried_into(tx.conn(), i64::from(fy)).await? {
            let c = kyosai_store::contracts::get(tx.conn(), r.contract_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let e = per
                .entry(r.contract_id)
                .or_insert((c.program, Yen::ZERO, false, Yen::ZERO));
            e.2 |= r.estimate;
            e.3 = Yen::new(r.accumulated_yen);
        }
        let mut s = YearSummary {
            fiscal_year: fy,
            ..Default::default()
        };
        for (contract_id, (program, earned, estimate, carried_in)) in per {
            let set = self
                .rules
                .in_force(program, year_end.day(31))
                .ok_or_else(|| internal("no rule set"))?;
            let rules = dom::rules_of(&set).ok_or_else(|| internal("no prepayment rules"))?;
            let y = dom::year_end(rules, earned, carried_in);
            let payable = y.payout > Yen::ZERO;
            let inserted = store::insert(
                tx.conn(),
                &NewDiscount {
                    contract_id,
                    fiscal_year: i64::from(fy),
                    rule_set: &set.id,
                    earned_yen: y.earned.get(),
                    carried_in_yen: y.carried_in.get(),
                    accumulated_yen: y.accumulated.get(),
                    estimate,
                    status: if payable {
                        "payable"
                    } else {
                        "carried_forward"
                    },
                    paid_on: None,
                },
                &now,
            )
            .await?;
            if !inserted {
                s.already += 1;
                continue;
            }
            s.computed += 1;
            if payable {
                s.payable_count += 1;
                s.payable_yen += y.payout.get();
            } else {
                s.carried_count += 1;
                s.carried_yen += y.carried_out.get();
            }
        }
        if s.computed > 0 {
            audit::append(
                tx.conn(),
                self.store.audit_key(),
                &audit::Entry {
                    actor,
                    action: "prepayment_discount.computed",
                    target: &format!("fiscal_year:{fy}"),
                    before: None,
                    after: Some(&serde_json::to_value(&s).map_err(internal)?),
                    at: &now,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(s)
    }

    /// The 前納減額金 a cancellation up to `until` would pay now, and whether it is an estimate
    /// (nothing is written: the cancellation quote).
    pub(crate) async fn prepayment_discount_due(
        &self,
        conn: &mut AnyConnection,
        contract_id: ContractId,
        program: Program,
        until: YearMonth,
    ) -> Result<(Yen, bool), AppError> {
        let open = self
            .open_prepayment_discount(conn, contract_id, program, until)
            .await?;
        let mut total = Yen::ZERO;
        let mut estimate = false;
        for (yen, e) in open
            .rows
            .iter()
            .map(|(_, yen, e)| (*yen, *e))
            .chain(open.new_years.values().copied())
        {
            total = Yen::new(total.get() + yen.get());
            estimate |= e;
        }
        Ok((total, estimate))
    }

    /// Every unpaid 前納減額金 of the contract: payable rows, the latest carried-forward amount,
    /// and the discounts of 前納 made since the last computed year (covered months up to
    /// `until` only; months not reached are not counted).
    async fn open_prepayment_discount(
        &self,
        conn: &mut AnyConnection,
        contract_id: ContractId,
        program: Program,
        until: YearMonth,
    ) -> Result<OpenDiscount, AppError> {
        let rows = store::for_contract_years(conn, contract_id).await?;
        let last_carried = rows
            .last()
            .filter(|r| r.status == "carried_forward")
            .map(|r| r.id);
        let open_rows = rows
            .iter()
            .filter(|r| r.status == "payable" || Some(r.id) == last_carried)
            .map(|r| (r.id, Yen::new(r.accumulated_yen), r.estimate))
            .collect();
        let computed_until = rows.last().map(|r| r.fiscal_year);
        let mut new_years: BTreeMap<i16, (Yen, bool)> = BTreeMap::new();
        for p in store::for_contract(conn, contract_id).await? {
            let mut d = domain(&p);
            let fy = d.paid_month.fiscal_year();
            if computed_until.is_some_and(|c| i64::from(fy) <= c) || d.first_month > until {
                continue;
            }
            d.last_month = d.last_month.min(until);
            let set = self
                .rules
                .in_force(program, d.paid_month.day(1))
                .ok_or_else(|| internal("no rule set"))?;
            let rules = dom::rules_of(&set).ok_or_else(|| internal("no prepayment rules"))?;
            let (yen, e) = dom::discount(rules, &d);
            let x = new_years.entry(fy).or_insert((Yen::ZERO, false));
            x.0 = Yen::new(x.0.get() + yen.get());
            x.1 |= e;
        }
        Ok(OpenDiscount {
            rows: open_rows,
            new_years,
        })
    }

    /// On cancellation: marks every unpaid 前納減額金 of the contract (see
    /// [`App::prepayment_discount_due`]) as paid with the refund and returns its total. Runs
    /// inside the caller's transaction.
    pub(crate) async fn settle_prepayment_discount(
        &self,
        conn: &mut AnyConnection,
        contract_id: ContractId,
        program: Program,
        until: YearMonth,
        on: &str,
    ) -> Result<(Yen, bool), AppError> {
        let now = self.clock.now_text();
        let open = self
            .open_prepayment_discount(conn, contract_id, program, until)
            .await?;
        let mut total = Yen::ZERO;
        let mut estimate = false;
        for (id, yen, e) in open.rows {
            if store::mark_paid(conn, id, "paid_with_refund", on, None).await? {
                total = Yen::new(total.get() + yen.get());
                estimate |= e;
            }
        }
        for (fy, (yen, e)) in open.new_years {
            let set = self
                .rules
                .in_force(program, until.day(1))
                .ok_or_else(|| internal("no rule set"))?;
            store::insert(
                conn,
                &NewDiscount {
                    contract_id,
                    fiscal_year: i64::from(fy),
                    rule_set: &set.id,
                    earned_yen: yen.get(),
                    carried_in_yen: 0,
                    accumulated_yen: yen.get(),
                    estimate: e,
                    status: "paid_with_refund",
                    paid_on: Some(on),
                },
                &now,
            )
            .await?;
            total = Yen::new(total.get() + yen.get());
            estimate |= e;
        }
        Ok((total, estimate))
    }
}

/// The unpaid 前納減額金 of a contract: (row id, amount, estimate) of stored rows, and the
/// amounts of fiscal years not computed yet.
struct OpenDiscount {
    rows: Vec<(DiscountId, Yen, bool)>,
    new_years: BTreeMap<i16, (Yen, bool)>,
}
