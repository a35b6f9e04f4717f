//! Reconciliation: billed = collected + failed + unmatched, in count and yen, for a result file
//! or a run's month.

use std::collections::BTreeMap;

use kyosai_domain::{BillingRunId, YearMonth, Yen};
use kyosai_store::billing as store;
use kyosai_zengin::debit::ResultCode;
use serde::Serialize;
use sqlx::AnyConnection;

use crate::{App, AppError};

/// Count and yen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub count: i64,
    pub yen: i64,
}

impl Tally {
    pub(super) fn add(&mut self, yen: i64) {
        self.count += 1;
        self.yen += yen;
    }
}

/// Reconciliation of one imported result file (or a month): billed = collected + failed +
/// unmatched, in count and in yen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub billed: Tally,
    pub collected: Tally,
    pub failed: Tally,
    /// Failures by result code.
    pub failed_by_code: BTreeMap<u8, Tally>,
    /// Billed with no result (a month report), or records matching no bill (always 0 for an
    /// accepted file: such files are refused).
    pub unmatched: Tally,
}

impl Reconciliation {
    pub fn balances(&self) -> bool {
        let by_code_count: i64 = self.failed_by_code.values().map(|t| t.count).sum();
        let by_code_yen: i64 = self.failed_by_code.values().map(|t| t.yen).sum();
        self.billed.count == self.collected.count + self.failed.count + self.unmatched.count
            && self.billed.yen == self.collected.yen + self.failed.yen + self.unmatched.yen
            && by_code_count == self.failed.count
            && by_code_yen == self.failed.yen
    }

    /// Japanese lines for staff.
    pub fn lines_ja(&self) -> Vec<String> {
        let f = |t: Tally| format!("{}件 {}", t.count, Yen::new(t.yen));
        let mut v = vec![
            format!("請求　　 {}", f(self.billed)),
            format!("振替済　 {}", f(self.collected)),
            format!("振替不能 {}", f(self.failed)),
        ];
        for (code, t) in &self.failed_by_code {
            let label = ResultCode::from_code(*code).map_or("?", ResultCode::label_ja);
            v.push(format!("　{code} {label}: {}", f(*t)));
        }
        v.push(format!("結果未着 {}", f(self.unmatched)));
        v.push(if self.balances() {
            "照合結果: 一致（円単位で一致しています）".to_string()
        } else {
            "照合結果: 不一致".to_string()
        });
        v
    }
}

impl App {
    /// The reconciliation of a month per program: billed lines against posted results.
    pub async fn billing_report(
        &self,
        month: YearMonth,
    ) -> Result<Vec<(store::Run, Reconciliation, Vec<store::FileRow>)>, AppError> {
        let mut conn = self.store.read().await?;
        let runs = store::runs_for_month(&mut conn, &month.to_string()).await?;
        let mut out = Vec::new();
        for run in runs {
            let rec = run_reconciliation(&mut conn, run.id).await?;
            let files = store::files(&mut conn, run.id).await?;
            out.push((run, rec, files));
        }
        Ok(out)
    }
}

/// One run's bill lines against their posted results (the month report of one program).
pub(crate) async fn run_reconciliation(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
) -> Result<Reconciliation, AppError> {
    let mut rec = Reconciliation::default();
    for (key, n, yen) in store::month_totals(conn, run_id).await? {
        let t = Tally { count: n, yen };
        match key.as_str() {
            "billed" => rec.billed = t,
            "collected" => rec.collected = t,
            k => {
                if let Some(code) = k.strip_prefix("failed:").and_then(|c| c.parse().ok()) {
                    rec.failed.count += n;
                    rec.failed.yen += yen;
                    rec.failed_by_code.insert(code, t);
                }
            }
        }
    }
    rec.unmatched = Tally {
        count: rec.billed.count - rec.collected.count - rec.failed.count,
        yen: rec.billed.yen - rec.collected.yen - rec.failed.yen,
    };
    Ok(rec)
}
