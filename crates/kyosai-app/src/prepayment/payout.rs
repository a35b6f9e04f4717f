//! June payout of 前納減額金: one Zengin 総合振込 (種別 21) file per program, to each member's
//! active debit account, the rows marked paid in the same transaction.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kyosai_domain::prepayment_discount as dom;
use kyosai_domain::{MandateStatus, Program, YearMonth};
use kyosai_store::audit;
use kyosai_store::billing as bstore;
use kyosai_store::prepayment as store;
use kyosai_zengin::transfer::{TransferRecord, write_transfer_file};
use serde::Serialize;
use serde_json::json;

use crate::billing::internal;
use crate::ja_text::ja_month;
use crate::zengin_files::{
    place_file, transfer_header, transfer_record, write_options, zengin_date,
};
use crate::{App, AppError};

/// A June payout.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PayoutSummary {
    pub fiscal_year: i16,
    pub transfer_date: String,
    pub paid_count: i64,
    pub paid_yen: i64,
    pub files: Vec<PathBuf>,
    /// (contract number, reason in Japanese): payable rows left unpaid.
    pub exceptions: Vec<(String, String)>,
}

impl App {
    /// Pays the payable 前納減額金 of fiscal year `fy` (from June of `fy+1`): one Zengin 総合振込
    /// file per program into `out`, to each member's active debit account, transfer date the
    /// first business day from today. Rows are marked paid in the same transaction; a contract
    /// without a usable account stays payable and is reported. Paying again pays nothing twice.
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
        std::fs::create_dir_all(out).map_err(internal)?;
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
        let mut by_program: BTreeMap<String, Vec<(i64, TransferRecord)>> = BTreeMap::new();
        for r in &rows {
            let c = kyosai_store::contracts::get(tx.conn(), r.contract_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if due.get(c.program.as_str()).is_some_and(|m| today < *m) {
                continue;
            }
            let mandate = kyosai_store::contracts::mandates_for(tx.conn(), c.id)
                .await?
                .into_iter()
                .find(|m| m.status == MandateStatus::Active);
            match mandate.as_ref().map(transfer_record) {
                Some(Some(mut rec)) => {
                    rec.amount = r.accumulated_yen;
                    by_program
                        .entry(c.program.as_str().to_string())
                        .or_default()
                        .push((r.id, rec));
                }
                Some(None) => s.exceptions.push((
                    c.number,
                    "登録口座の情報を振込ファイルに書けません（口座情報を確認してください）".into(),
                )),
                None => s.exceptions.push((
                    c.number,
                    "使える引落口座がありません（新しい口座の登録が必要です）".into(),
                )),
            }
        }
        for (program, records) in by_program {
            let o = bstore::originators(tx.conn(), &program)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| internal(format!("{program}: no originator configured")))?;
            let header = transfer_header(&o, zengin_date(date)?)?;
            let recs: Vec<TransferRecord> = records.iter().map(|(_, r)| *r).collect();
            let bytes = write_transfer_file(&header, &recs, &write_options(&o))
                .map_err(|e| internal(format!("{e:?}")))?;
            let name = format!(
                "KYOSAI21_prepayment_discount_{program}_{fy}_{}.dat",
                date.to_string().replace('-', "")
            );
            let placed = place_file(out, &name, &bytes)?;
            for (id, rec) in &records {
                if store::mark_paid(tx.conn(), *id, "paid", &date.to_string(), Some(&name)).await? {
                    s.paid_count += 1;
                    s.paid_yen += rec.amount;
                }
            }
            audit::append(
                tx.conn(),
                self.store.audit_key(),
                &audit::Entry {
                    actor,
                    action: "prepayment_discount.paid",
                    target: &format!("fiscal_year:{fy}"),
                    before: None,
                    after: Some(
                        &json!({ "program": program, "file": name, "sha256": placed.sha256,
                        "records": records.len(), "transfer_date": date.to_string() }),
                    ),
                    at: &now,
                },
            )
            .await?;
            s.files.push(placed.path);
        }
        tx.commit().await?;
        Ok(s)
    }
}
