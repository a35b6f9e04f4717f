//! What staff see of billing: the runs and result imports, one run's files, reconciliation and
//! exceptions, and a run's request file regenerated for download.
//!
//! A download is never read from the run's output directory (which may be on another machine or
//! cleaned up): it rebuilds the bytes from the stored bill lines with the same code the run wrote
//! them with, and is refused unless the digest equals the one recorded when the run wrote the
//! file (a changed line or code would otherwise go unnoticed).

use kyosai_domain::BillingRunId;
use kyosai_domain::billing::RunStatus;
use kyosai_store::billing::{self as store, FileContent, FileRow, ImportRow, Run, RunListRow};
use kyosai_store::loan_billing;
use kyosai_store::sha256_hex;
use kyosai_zengin::debit::RequestWriter;

use crate::billing::{Reconciliation, internal, run_reconciliation};
use crate::review::require_staff;
use crate::zengin_files::{NameCache, debit_header, write_options, zengin_date};
use crate::{Actor, App, AppError};

/// How many runs and imports the overview lists (two programs × two years of months).
const LIST_LIMIT: i64 = 48;

/// Exceptions listed on a run's page; a page of tens of thousands of rows helps no one (the
/// count is always shown).
pub const EXCEPTIONS_SHOWN: i64 = 1_000;

/// The billing overview for staff.
#[derive(Debug, Clone)]
pub struct BillingOverview {
    pub runs: Vec<RunListRow>,
    pub imports: Vec<ImportRow>,
}

/// One run as staff see it.
#[derive(Debug, Clone)]
pub struct RunDetail {
    pub run: Run,
    pub files: Vec<FileRow>,
    /// The run's month reconciled against posted results.
    pub reconciliation: Reconciliation,
    /// Contracts the run could not bill: (contract number, reason code), the first
    /// [`EXCEPTIONS_SHOWN`] by number.
    pub exceptions: Vec<(String, String)>,
    pub exception_count: i64,
}

/// A regenerated request file.
#[derive(Debug, Clone)]
pub struct RequestFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Japanese for an exception reason code (see `billing_run`).
pub fn exception_reason_ja(reason: &str) -> &'static str {
    match reason {
        "no_usable_mandate" => "使える引落口座がありません（口座の再登録待ち）",
        "invalid_bank_code" => "金融機関コードまたは支店コードが正しくありません",
        "invalid_account_number" => "口座番号が正しくありません",
        "invalid_holder_kana" => "口座名義（カナ）を全銀の文字で表せません",
        "no_originator_for_bank" => "この金融機関を扱う委託者（収納口座）が設定されていません",
        _ => "その他の理由で請求できませんでした",
    }
}

/// Japanese for a run status.
pub fn run_status_ja(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Billing => "請求明細を作成中",
        RunStatus::WritingFiles => "ファイルを作成中",
        RunStatus::Completed => "完了",
    }
}

impl App {
    /// The newest billing runs and result imports (staff only).
    pub async fn billing_overview(&self, actor: &Actor) -> Result<BillingOverview, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        Ok(BillingOverview {
            runs: store::recent_runs(&mut conn, LIST_LIMIT).await?,
            imports: store::recent_imports(&mut conn, LIST_LIMIT).await?,
        })
    }

    /// One run with its files, its month's reconciliation and its exceptions (staff only).
    pub async fn billing_run_detail(
        &self,
        actor: &Actor,
        run_id: BillingRunId,
    ) -> Result<RunDetail, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let run = store::run_by_id(&mut conn, run_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(RunDetail {
            files: store::files(&mut conn, run.id).await?,
            reconciliation: run_reconciliation(&mut conn, run.id).await?,
            exception_count: store::exception_count(&mut conn, run.id).await?,
            exceptions: store::exceptions_by_number(&mut conn, run.id, EXCEPTIONS_SHOWN).await?,
            run,
        })
    }

    /// Rebuilds a run's request file `name` from its bill lines, byte for byte as the run wrote
    /// it (staff only). Refused when the digest differs from the recorded one.
    pub async fn billing_request_file(
        &self,
        actor: &Actor,
        run_id: BillingRunId,
        name: &str,
    ) -> Result<RequestFile, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let run = store::run_by_id(&mut conn, run_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let file = store::files(&mut conn, run.id)
            .await?
            .into_iter()
            .find(|f| f.name == name)
            .ok_or(AppError::NotFound)?;
        let originator = store::originators(&mut conn, run.program.as_str())
            .await?
            .into_iter()
            .find(|o| o.id == file.originator_id)
            .ok_or_else(|| {
                internal(format!("{name}: originator {} is gone", file.originator_id))
            })?;
        // The debit date the run used is stored with the run: rules or holidays loaded since
        // must not change an old file.
        let mut writer = RequestWriter::new(
            &debit_header(&originator, zengin_date(run.debit_date)?)?,
            &write_options(&originator),
            usize::try_from(file.record_count).unwrap_or(0),
        )
        .map_err(internal)?;
        let mut names = NameCache::default();
        let mut after = file.first_line_id - 1;
        'pages: loop {
            let page = match file.content {
                FileContent::Premiums => {
                    store::file_lines(&mut conn, run.id, originator.id, after, 50_000).await?
                }
                FileContent::Loans => {
                    loan_billing::file_lines(&mut conn, run.id, originator.id, after, 50_000)
                        .await?
                }
            };
            let Some(last) = page.last() else { break };
            after = last.id;
            for l in &page {
                if l.id > file.last_line_id {
                    break 'pages;
                }
                writer
                    .push(&names.record(l, file.content)?)
                    .map_err(internal)?;
            }
        }
        drop(conn);
        let bytes = writer.finish();
        let sha = sha256_hex(&bytes);
        if sha != file.sha256 {
            tracing::error!(file = name, recorded = %file.sha256, rebuilt = %sha, run_id = run_id.get(),
                "regenerated request file differs from the recorded one; download refused");
            return Err(internal(format!(
                "{name}: rebuilt file differs from the one recorded ({} ≠ {sha})",
                file.sha256
            )));
        }
        Ok(RequestFile {
            name: file.name,
            bytes,
        })
    }
}
