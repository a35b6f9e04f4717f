//! `kyosai payouts run --date YYYY-MM-DD --out DIR`: pays every scheduled payout due by a bank
//! business day in one 総合振込 (種別 21) file per program (each program pays from its own
//! originator account, REFERENCE §8), marks each payout paid and posts one `paid_out` ledger
//! entry per payout.
//!
//! Crash safety: everything a run records (the run, its files' SHA-256, the transfers, the
//! payouts marked paid, the ledger entries, the refunds settled) is one transaction, committed after the files are in place (each
//! written to a temporary name and renamed). A run killed before its commit leaves no trace in
//! the database; its files are written again, byte for byte, by the rerun, because a run's
//! bytes depend only on the payouts (read in id order), the originator and the date.
//! Each transfer is recorded as written (`payout_transfers`: amount and account), so rerunning
//! a completed date writes that date's files again from those records, even after a returned
//! payout was given a new account, and checks every file against its recorded hash; a payout is
//! only ever taken from `scheduled`, so nothing is paid twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use kyosai_domain::{PayoutId, YearMonth, Yen};
use kyosai_store::audit;
use kyosai_store::billing as bstore;
use kyosai_store::payouts::{self as store, NewRun, RunFile, RunLine};
use kyosai_zengin::Digits;
use kyosai_zengin::transfer::{TransferRecord, write_transfer_file};
use serde::Serialize;
use serde_json::json;

use crate::billing::internal;
use crate::zengin_files::{
    place_file, transfer_header, transfer_record_to, write_options, zengin_date,
};
use crate::{App, AppError};

/// Test hooks for the kill-and-rerun tests, like billing's `RunOptions`.
#[derive(Debug, Clone, Default)]
pub struct PayoutRunOptions {
    /// Stop after the files are placed and before the commit, as a killed process would.
    pub crash_before_commit: bool,
}

/// One file of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunFileSummary {
    pub path: PathBuf,
    pub program: String,
    pub sha256: String,
    pub records: i64,
    pub total_yen: i64,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PayoutRunSummary {
    pub transfer_date: String,
    /// Payouts paid by this invocation (0 on a rerun of a completed date).
    pub paid_count: i64,
    pub paid_yen: i64,
    /// Every file of the date: the new run's and the recorded runs' written again.
    pub files: Vec<RunFileSummary>,
}

/// The file name of a program's file in the `seq`-th run of a date.
fn file_name(program: &str, date: Date, seq: i64) -> String {
    format!(
        "KYOSAI21_payouts_{program}_{}_{seq:02}.dat",
        date.to_string().replace('-', "")
    )
}

/// A run's file for one program: program, name, bytes, and (payout id, amount) of each record
/// in file order.
type BuiltFile = (String, String, Vec<u8>, Vec<(PayoutId, Yen)>);

/// The files of one run: per program, the bytes and the payouts written, in id order.
pub(super) fn build_files(
    lines: &[RunLine],
    originators: &BTreeMap<String, bstore::Originator>,
    date: Date,
    seq: i64,
) -> Result<Vec<BuiltFile>, AppError> {
    let mut by_program: BTreeMap<&str, Vec<&RunLine>> = BTreeMap::new();
    for l in lines {
        by_program.entry(l.program.as_str()).or_default().push(l);
    }
    let mut out = Vec::new();
    for (program, lines) in by_program {
        let o = originators
            .get(program)
            .ok_or_else(|| internal(format!("{program}: no originator configured")))?;
        let header = transfer_header(o, zengin_date(date)?)?;
        let mut records: Vec<TransferRecord> = Vec::with_capacity(lines.len());
        let mut paid = Vec::with_capacity(lines.len());
        for l in lines {
            let p = &l.payout;
            let mut rec = transfer_record_to(&p.account).ok_or_else(|| {
                internal(format!(
                    "payout {}: the stored account cannot be written",
                    p.id
                ))
            })?;
            rec.amount = p.amount.get();
            // 顧客コード1 carries the payout id, so a bank's return names the payout.
            rec.customer_code1 = Some(Digits::from_u64(p.id.get() as u64).map_err(internal)?);
            records.push(rec);
            paid.push((p.id, p.amount));
        }
        let bytes = write_transfer_file(&header, &records, &write_options(o))
            .map_err(|e| internal(e.to_string()))?;
        out.push((
            program.to_string(),
            file_name(program, date, seq),
            bytes,
            paid,
        ));
    }
    Ok(out)
}

/// The originator each program pays from (its first configured one).
pub(super) async fn originators_of(
    conn: &mut sqlx::AnyConnection,
) -> Result<BTreeMap<String, bstore::Originator>, AppError> {
    let mut originators = BTreeMap::new();
    for program in kyosai_domain::Program::ALL {
        if let Some(o) = bstore::originators(conn, program.as_str())
            .await?
            .into_iter()
            .next()
        {
            originators.insert(program.as_str().to_string(), o);
        }
    }
    Ok(originators)
}

impl App {
    /// Pays the scheduled payouts due by `date` (a bank business day; a due date on a holiday
    /// has moved to the next business day, so it is due by the first run on or after it).
    /// Writes the files into `out`; see the module documentation for crash safety.
    #[tracing::instrument(skip_all, fields(%date))]
    pub async fn payout_run(
        &self,
        date: Date,
        out: &Path,
        actor: &str,
        options: &PayoutRunOptions,
    ) -> Result<PayoutRunSummary, AppError> {
        if !self.calendar.is_business_day(date) {
            return Err(AppError::conflict(
                "not_business_day",
                format!(
                    "{date}は銀行の営業日ではありません。次の営業日は{}です。",
                    self.calendar.on_or_after(date)
                ),
            ));
        }
        std::fs::create_dir_all(out).map_err(internal)?;
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let originators = originators_of(tx.conn()).await?;
        let mut s = PayoutRunSummary {
            transfer_date: date.to_string(),
            ..Default::default()
        };
        // The recorded runs of the date, written again and checked against their hashes.
        let earlier = store::runs_on(tx.conn(), date).await?;
        for r in &earlier {
            let lines = store::in_run(tx.conn(), r.id).await?;
            let recorded = store::run_files(tx.conn(), r.id).await?;
            for (program, name, bytes, paid) in build_files(&lines, &originators, date, r.seq)? {
                let f = recorded
                    .iter()
                    .find(|f| f.name == name)
                    .ok_or_else(|| internal(format!("{name}: not recorded in run {}", r.id)))?;
                let placed = place_file(out, &name, &bytes)?;
                if placed.sha256 != f.sha256 {
                    return Err(internal(format!(
                        "{name}: written again with a different hash than recorded"
                    )));
                }
                s.files.push(RunFileSummary {
                    path: placed.path,
                    program,
                    sha256: placed.sha256,
                    records: paid.len() as i64,
                    total_yen: f.total.get(),
                });
            }
        }
        let due = store::due_by(tx.conn(), date).await?;
        if due.is_empty() {
            tx.commit().await?;
            return Ok(s);
        }
        // Recorded runs may be written again any day; new payments only for a date to come.
        if date < self.clock.today() {
            return Err(AppError::conflict(
                "transfer_date_past",
                format!("振込指定日{date}は過ぎています。今日以降の営業日を指定してください。"),
            ));
        }
        let seq = earlier.last().map_or(1, |r| r.seq + 1);
        let files = build_files(&due, &originators, date, seq)?;
        let total: i64 = due.iter().map(|l| l.payout.amount.get()).sum();
        let run_id = store::insert_run(
            tx.conn(),
            &NewRun {
                transfer_date: date,
                seq,
                payout_count: due.len() as i64,
                total: Yen::new(total),
                actor,
            },
            &now,
        )
        .await?;
        // The bookkeeping of every payout in a few set-based statements over the same rows read
        // above (the write transaction holds the lock): transfers recorded, ledger entries,
        // deciding rows settled, payouts marked paid.
        let month = YearMonth::of(date).to_string();
        let paid_now = store::pay_due(tx.conn(), run_id, date, &month, &now).await?;
        if paid_now != due.len() as u64 {
            return Err(internal(format!(
                "{paid_now} payouts marked paid, {} read as due",
                due.len()
            )));
        }
        let mut placed_files = Vec::new();
        for (program, name, bytes, paid) in files {
            let placed = place_file(out, &name, &bytes)?;
            let file_total: i64 = paid.iter().map(|(_, y)| y.get()).sum();
            store::insert_run_file(
                tx.conn(),
                &RunFile {
                    run_id,
                    program: program.clone(),
                    name: name.clone(),
                    sha256: placed.sha256.clone(),
                    records: paid.len() as i64,
                    total: Yen::new(file_total),
                },
            )
            .await?;
            audit::append(
                tx.conn(),
                self.store.audit_key(),
                &audit::Entry {
                    actor,
                    action: "payout_run.file",
                    target: &format!("payout_run:{run_id}"),
                    before: None,
                    after: Some(&json!({ "program": program, "file": name,
                        "sha256": placed.sha256, "records": paid.len(), "total_yen": file_total,
                        "transfer_date": date.to_string() })),
                    at: &now,
                },
            )
            .await?;
            s.paid_count += paid.len() as i64;
            s.paid_yen += file_total;
            placed_files.push(RunFileSummary {
                path: placed.path,
                program,
                sha256: placed.sha256,
                records: paid.len() as i64,
                total_yen: file_total,
            });
        }
        if options.crash_before_commit {
            return Err(internal("simulated crash before the run's commit"));
        }
        tx.commit().await?;
        s.files.extend(placed_files);
        Ok(s)
    }
}
