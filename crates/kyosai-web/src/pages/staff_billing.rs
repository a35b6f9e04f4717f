//! Staff billing screens: the billing runs and result imports, one run (its request files for
//! download, the month's reconciliation, the contracts it could not bill). Staff only, like the
//! review queue; the use cases check the role again.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyosai_app::AppError;
use kyosai_app::billing::Tally;
use kyosai_app::billing::staff::{exception_reason_ja, run_status_ja};
use kyosai_app::ja_text::ja_month;
use kyosai_domain::YearMonth;
use kyosai_domain::billing::RunStatus;
use kyosai_zengin::debit::ResultCode;

use super::staff::refuse_non_staff;
use super::view::{Layout, app_error, ja_date, ja_time, not_found_page, render, yen};
use crate::AppState;
use crate::session::SignedIn;

/// `2026-11` → `2026年11月分`.
fn month_text(m: YearMonth) -> String {
    format!("{}分", ja_month(m))
}

struct RunItem {
    id: i64,
    month: String,
    program_name: &'static str,
    status: &'static str,
    debit_date: String,
    rule_set: String,
    started_at: String,
    finished_at: String,
    lines: i64,
    total: String,
    exceptions: i64,
}

struct ImportItem {
    file_name: String,
    imported_at: String,
    actor: String,
    records: String,
    collected: String,
    failed: String,
}

#[derive(Template)]
#[template(path = "staff_billing.html")]
struct OverviewPage {
    layout: Layout,
    runs: Vec<RunItem>,
    imports: Vec<ImportItem>,
}

fn count_yen(count: i64, yen_amount: i64) -> String {
    format!("{count}件 {}", yen(yen_amount))
}

pub async fn overview(State(state): State<AppState>, signed: SignedIn) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let o = match state.app.billing_overview(&signed.actor).await {
        Ok(o) => o,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let runs = o
        .runs
        .iter()
        .map(|r| RunItem {
            id: r.run.id,
            month: month_text(r.run.month),
            program_name: r.run.program.name_ja(),
            status: run_status_ja(r.run.status),
            debit_date: ja_date(r.run.debit_date),
            rule_set: r.run.rule_set.clone(),
            started_at: ja_time(&r.run.started_at),
            finished_at: r
                .run
                .finished_at
                .as_deref()
                .map(ja_time)
                .unwrap_or_default(),
            lines: r.line_count,
            total: yen(r.line_yen),
            exceptions: r.exception_count,
        })
        .collect();
    let imports = o
        .imports
        .iter()
        .map(|i| ImportItem {
            file_name: i.file_name.clone(),
            imported_at: ja_time(&i.imported_at),
            actor: i.actor.clone(),
            records: count_yen(i.record_count, i.total_yen),
            collected: count_yen(i.collected_count, i.collected_yen),
            failed: count_yen(i.failed_count, i.failed_yen),
        })
        .collect();
    render(
        StatusCode::OK,
        &OverviewPage {
            layout: Layout::user("請求・収納", &signed.user),
            runs,
            imports,
        },
    )
}

struct FileItem {
    name: String,
    records: i64,
    total: String,
    sha256: String,
}

struct ReportRow {
    label: String,
    count: i64,
    yen: String,
}

struct ExceptionItem {
    number: String,
    reason: &'static str,
}

#[derive(Template)]
#[template(path = "staff_billing_run.html")]
struct RunPage {
    layout: Layout,
    run_id: i64,
    status: &'static str,
    debit_date: String,
    rule_set: String,
    started_at: String,
    finished_at: String,
    lock: String,
    files: Vec<FileItem>,
    /// Why there is no file: none written yet, or nothing to bill.
    no_files: &'static str,
    report: Vec<ReportRow>,
    balances: bool,
    balance_text: &'static str,
    exceptions: Vec<ExceptionItem>,
    exception_count: i64,
}

fn report_row(label: impl Into<String>, t: Tally) -> ReportRow {
    ReportRow {
        label: label.into(),
        count: t.count,
        yen: yen(t.yen),
    }
}

pub async fn run(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page();
    };
    let d = match state.app.billing_run_detail(&signed.actor, id).await {
        Ok(d) => d,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let rec = &d.reconciliation;
    let mut report = vec![
        report_row("請求", rec.billed),
        report_row("振替済", rec.collected),
        report_row("振替不能", rec.failed),
    ];
    for (code, t) in &rec.failed_by_code {
        let label = ResultCode::from_code(*code).map_or("不明", ResultCode::label_ja);
        report.push(report_row(format!("　うち {code} {label}"), *t));
    }
    report.push(report_row("結果未着", rec.unmatched));
    let balances = rec.balances();
    let lock = match (&d.run.lock_owner, &d.run.lock_until, d.run.status) {
        (Some(owner), Some(until), s) if s != RunStatus::Completed => {
            format!("{owner}（{}まで）", ja_time(until))
        }
        _ => String::new(),
    };
    let title = format!(
        "{} {}の請求処理",
        month_text(d.run.month),
        d.run.program.name_ja()
    );
    render(
        StatusCode::OK,
        &RunPage {
            layout: Layout::user(title, &signed.user),
            run_id: d.run.id,
            status: run_status_ja(d.run.status),
            debit_date: ja_date(d.run.debit_date),
            rule_set: d.run.rule_set.clone(),
            started_at: ja_time(&d.run.started_at),
            finished_at: d
                .run
                .finished_at
                .as_deref()
                .map(ja_time)
                .unwrap_or_default(),
            lock,
            files: d
                .files
                .iter()
                .map(|f| FileItem {
                    name: f.name.clone(),
                    records: f.record_count,
                    total: yen(f.total_yen),
                    sha256: f.sha256.clone(),
                })
                .collect(),
            no_files: if d.run.status == RunStatus::Completed {
                "請求する契約がなかったため、ファイルは作成していません。"
            } else {
                "ファイルはまだ作成されていません（請求処理の完了後に作成します）。"
            },
            report,
            balances,
            balance_text: if balances {
                "照合結果：一致（件数・金額とも円単位で一致しています）"
            } else {
                "照合結果：不一致（件数または金額が合いません。取込み内容を確認してください）"
            },
            exceptions: d
                .exceptions
                .iter()
                .map(|(number, reason)| ExceptionItem {
                    number: number.clone(),
                    reason: exception_reason_ja(reason),
                })
                .collect(),
            exception_count: d.exception_count,
        },
    )
}

/// A request file, rebuilt from the bill lines and checked against its recorded SHA-256.
pub async fn file(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page();
    };
    let f = match state
        .app
        .billing_request_file(&signed.actor, id, &name)
        .await
    {
        Ok(f) => f,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    // The name is a stored one (KYOSAI91_…dat), so it is a valid header value; refuse otherwise.
    let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", f.name))
    else {
        return app_error(
            AppError::Internal(format!("file name not usable in a header: {}", f.name).into()),
            Some(&signed.user),
        );
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        f.bytes,
    )
        .into_response()
}
