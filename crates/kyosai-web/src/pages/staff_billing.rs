//! Staff billing screens: the billing runs and result imports, with forms to start a run and to
//! upload a bank result file; one run (its progress and history, request files for download,
//! the month's reconciliation, the contracts it could not bill); the contracts whose debits
//! failed. Staff only, like the review queue; the use cases check the role again. Forms are
//! protected from other sites by [`crate::csrf`] like every staff form.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::AppError;
use kyosai_app::billing::staff::{exception_reason_ja, run_status_ja};
use kyosai_app::billing::{ImportError, ImportOutcome, Refusal, Tally};
use kyosai_app::ja_text::ja_month;
use kyosai_domain::billing::RunStatus;
use kyosai_domain::{BillingRunId, FieldError, Program, YearMonth};
use kyosai_zengin::debit::ResultCode;
use serde::Deserialize;

use super::FormData;
use super::staff::refuse_non_staff;
use super::view::{Layout, app_error, ja_date, ja_time, message, not_found_page, render, yen};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, summary};
use crate::session::SignedIn;

/// A result file is 120 bytes a record: 32 MiB holds about 280,000 debits. Larger files (a
/// national month per bank) go through `kyosai billing import-results`.
pub const MAX_RESULT_FILE_BYTES: usize = 32 * 1024 * 1024;

/// Seconds between reloads of a run page while the run is held.
const REFRESH_SECONDS: u32 = 5;

/// `2026-11` → `2026年11月分`.
fn month_text(m: YearMonth) -> String {
    format!("{}分", ja_month(m))
}

struct RunItem {
    id: BillingRunId,
    month: String,
    program_name: &'static str,
    status: &'static str,
    debit_date: String,
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
    /// Runs can be started here (a billing output folder is configured).
    can_start: bool,
    summary: Vec<SummaryItem>,
    program: Field,
    month: Field,
    /// Why the last start was refused (a run held or completed).
    refusal: String,
}

fn start_fields(values: &BTreeMap<String, String>, errors: &[FieldError]) -> (Field, Field) {
    let program = Field::text("program", "共済")
        .kind("select")
        .choices(Program::ALL.iter().map(|p| (p.as_str(), p.name_ja())))
        .fill(values, errors);
    let month = Field::text("month", "対象月（引落しの月）")
        .input_type("month")
        .hint("「2026-11」のように年と月を入力します。")
        .width("w-8")
        .maxlength(7)
        .fill(values, errors);
    (program, month)
}

fn count_yen(count: i64, yen_amount: i64) -> String {
    format!("{count}件 {}", yen(yen_amount))
}

pub async fn overview(State(state): State<AppState>, signed: SignedIn) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    overview_page(&state, &signed, StatusCode::OK, &BTreeMap::new(), &[], "").await
}

async fn overview_page(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
    refusal: &str,
) -> Response {
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
    let (program, month) = start_fields(values, errors);
    render(
        status,
        &OverviewPage {
            layout: Layout::user("請求・収納", &signed.user),
            runs,
            imports,
            can_start: state.billing_out.is_some(),
            summary: summary([&program, &month]),
            program,
            month,
            refusal: refusal.to_string(),
        },
    )
}

/// Starts (or resumes) a run in the background and shows its page; field messages or the
/// refusal (run held, completed) on the overview otherwise.
pub async fn start(State(state): State<AppState>, signed: SignedIn, form: FormData) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let Some(out) = state.billing_out.clone() else {
        return message(
            StatusCode::CONFLICT,
            Layout::user("請求処理を開始できません", &signed.user),
            "請求ファイルの出力先が設定されていないため、この画面からは請求処理を開始できません。",
            &[("/staff/billing", "請求・収納へ戻る")],
        );
    };
    let values: BTreeMap<String, String> = ["program", "month"]
        .into_iter()
        .map(|n| (n.to_string(), form.text(n)))
        .collect();
    match state
        .app
        .start_billing_run(&signed.actor, &values["program"], &values["month"], out)
        .await
    {
        Ok(id) => Redirect::to(&format!("/staff/billing/runs/{id}?started=1")).into_response(),
        Err(AppError::Invalid(errors)) => {
            overview_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                &values,
                &errors,
                "",
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            overview_page(
                &state,
                &signed,
                StatusCode::CONFLICT,
                &values,
                &[],
                &message,
            )
            .await
        }
        Err(e) => app_error(e, Some(&signed.user)),
    }
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
    run_id: BillingRunId,
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
    /// Shown after a start from the overview.
    started: bool,
    progress: Option<ProgressView>,
    events: Vec<EventItem>,
    /// For resuming a stopped run.
    program: &'static str,
    month: String,
    refresh_seconds: u32,
}

struct ProgressView {
    done: i64,
    total: i64,
    held: bool,
}

struct EventItem {
    at: String,
    actor: String,
    what: &'static str,
    detail: String,
}

#[derive(Deserialize)]
pub struct RunQuery {
    started: Option<String>,
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
    Query(q): Query<RunQuery>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let Ok(id) = id.parse::<BillingRunId>() else {
        return not_found_page();
    };
    let d = match state.app.billing_run_detail(&signed.actor, id).await {
        Ok(d) => d,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let activity = match state.app.billing_run_activity(&signed.actor, id).await {
        Ok(a) => a,
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
            started: q.started.is_some(),
            progress: activity.progress.map(|p| ProgressView {
                done: p.done,
                total: p.total,
                held: p.held,
            }),
            events: activity
                .events
                .into_iter()
                .map(|e| EventItem {
                    at: ja_time(&e.at),
                    actor: e.actor,
                    what: e.what_ja,
                    detail: e.detail,
                })
                .collect(),
            program: d.run.program.as_str(),
            month: d.run.month.to_string(),
            refresh_seconds: REFRESH_SECONDS,
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
    let Ok(id) = id.parse::<BillingRunId>() else {
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

struct ProblemItem {
    /// 「3件目のレコード」 or empty for the whole file.
    place: String,
    code: String,
    message: String,
}

#[derive(Template)]
#[template(path = "staff_billing_import.html")]
struct ImportPage {
    layout: Layout,
    file_name: String,
    /// Accepted: the reconciliation of the file.
    report: Vec<ReportRow>,
    balances: bool,
    mandates_unusable: i64,
    arrears_notices: usize,
    /// Refused: what was wrong and where.
    problems: Vec<ProblemItem>,
    omitted: usize,
}

fn import_report(signed: &SignedIn, o: &ImportOutcome) -> ImportPage {
    let rec = &o.reconciliation;
    let mut report = vec![
        report_row("明細", rec.billed),
        report_row("振替済", rec.collected),
        report_row("振替不能", rec.failed),
    ];
    for (code, t) in &rec.failed_by_code {
        let label = ResultCode::from_code(*code).map_or("不明", ResultCode::label_ja);
        report.push(report_row(format!("　うち {code} {label}"), *t));
    }
    ImportPage {
        layout: Layout::user("振替結果を取り込みました", &signed.user),
        file_name: o.file_name.clone(),
        report,
        balances: rec.balances(),
        mandates_unusable: o.mandates_unusable,
        arrears_notices: o.arrears_notices,
        problems: Vec::new(),
        omitted: 0,
    }
}

fn refused_page(signed: &SignedIn, r: &Refusal) -> ImportPage {
    ImportPage {
        layout: Layout::user("振替結果を取り込めませんでした", &signed.user),
        file_name: r.file_name.clone(),
        report: Vec::new(),
        balances: false,
        mandates_unusable: 0,
        arrears_notices: 0,
        problems: r
            .problems
            .iter()
            .map(|p| ProblemItem {
                place: if p.record > 0 {
                    format!("{}件目のレコード", p.record)
                } else {
                    "ファイル全体".into()
                },
                code: p.code.clone(),
                message: p.message.clone(),
            })
            .collect(),
        omitted: r.omitted,
    }
}

/// The uploaded file of the form's `field`: its name and bytes, or why it cannot be used
/// (`what` names the file in the message, e.g. 振替結果ファイル). Shared by the staff upload screens.
pub(super) async fn uploaded_file(
    mut form: Multipart,
    field: &str,
    what: &str,
) -> Result<(String, Vec<u8>), String> {
    const UNREADABLE: &str = "送信された内容を読み取れませんでした。ファイルが大きすぎないか（32MBまで）確認して、もう一度お試しください。";
    let missing = format!("{what}を選んでください。");
    while let Some(part) = form
        .next_field()
        .await
        .map_err(|_| UNREADABLE.to_string())?
    {
        if part.name() != Some(field) {
            continue;
        }
        let name = part
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{field}.dat"));
        let bytes = part.bytes().await.map_err(|_| UNREADABLE.to_string())?;
        if bytes.is_empty() {
            return Err(missing);
        }
        return Ok((name, bytes.to_vec()));
    }
    Err(missing)
}

/// Imports an uploaded result file as the CLI does, then shows its report (or everything that
/// was wrong with it; nothing is posted then).
pub async fn import(State(state): State<AppState>, signed: SignedIn, form: Multipart) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let (name, bytes) = match uploaded_file(form, "result_file", "振替結果ファイル").await {
        Ok(f) => f,
        Err(problem) => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                Layout::user("振替結果を取り込めませんでした", &signed.user),
                &problem,
                &[("/staff/billing#import-title", "請求・収納へ戻る")],
            );
        }
    };
    match state
        .app
        .import_result_file_by_staff(&signed.actor, &name, &bytes)
        .await
    {
        Ok(o) => render(StatusCode::OK, &import_report(&signed, &o)),
        Err(ImportError::Refused(r)) => {
            render(StatusCode::UNPROCESSABLE_ENTITY, &refused_page(&signed, &r))
        }
        Err(ImportError::App(e)) => app_error(e, Some(&signed.user)),
    }
}

struct FailedItem {
    number: String,
    program_name: &'static str,
    holder: String,
    months: String,
    total: String,
    last_month: String,
    reason: &'static str,
    unusable: bool,
}

#[derive(Template)]
#[template(path = "staff_billing_failed.html")]
struct FailedPage {
    layout: Layout,
    month: Field,
    program: Field,
    summary: Vec<SummaryItem>,
    items: Vec<FailedItem>,
    truncated: bool,
    shown: i64,
}

#[derive(Deserialize)]
pub struct FailedQuery {
    month: Option<String>,
    program: Option<String>,
}

/// Contracts whose debits failed, filterable by billing month and program.
pub async fn failed(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<FailedQuery>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let month_text = q.month.unwrap_or_default().trim().to_string();
    let program_text = q.program.unwrap_or_default().trim().to_string();
    let mut errors = Vec::new();
    let month = if month_text.is_empty() {
        None
    } else {
        let m = month_text.parse::<YearMonth>().ok();
        if m.is_none() {
            errors.push(FieldError::new(
                "month",
                "invalid_month",
                "対象月を「2026-11」のように年と月で入力してください。",
            ));
        }
        m
    };
    let program = if program_text.is_empty() {
        None
    } else {
        let p = Program::parse(&program_text);
        if p.is_none() {
            errors.push(FieldError::new(
                "program",
                "invalid",
                "共済を一覧から選択してください。",
            ));
        }
        p
    };
    let values: BTreeMap<String, String> = [
        ("month".to_string(), month_text),
        ("program".to_string(), program_text),
    ]
    .into();
    let month_field = Field::text("month", "対象月")
        .input_type("month")
        .hint("「2026-11」のように入力します。空欄ならすべての月です。")
        .width("w-8")
        .maxlength(7)
        .optional()
        .fill(&values, &errors);
    let program_field = Field::text("program", "共済")
        .kind("select")
        .hint("選ばなければ両方の共済です。")
        .choices(Program::ALL.iter().map(|p| (p.as_str(), p.name_ja())))
        .optional()
        .fill(&values, &errors);
    let (status, found) = if errors.is_empty() {
        match state.app.failed_debits(&signed.actor, month, program).await {
            Ok(f) => (StatusCode::OK, Some(f)),
            Err(e) => return app_error(e, Some(&signed.user)),
        }
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, None)
    };
    let (items, truncated) = found.map_or((Vec::new(), false), |f| {
        let items = f
            .contracts
            .into_iter()
            .map(|c| FailedItem {
                program_name: c.program.name_ja(),
                holder: c.holder_name,
                months: c
                    .months
                    .iter()
                    .map(|m| ja_month(*m))
                    .collect::<Vec<_>>()
                    .join("、"),
                total: c.failed_total.to_string(),
                last_month: ja_month(c.last_month),
                reason: c.last_reason_ja,
                unusable: c.account_unusable,
                number: c.contract_number,
            })
            .collect();
        (items, f.truncated)
    });
    render(
        status,
        &FailedPage {
            layout: Layout::user("振替不能の契約", &signed.user),
            summary: summary([&month_field, &program_field]),
            month: month_field,
            program: program_field,
            items,
            truncated,
            shown: kyosai_app::billing::screen::FAILED_DEBITS_SHOWN,
        },
    )
}
