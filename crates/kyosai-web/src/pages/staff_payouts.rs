//! Staff payouts screen, `/staff/payouts`: every payout run (transfer date, payouts, total) with
//! its 総合振込 files to download (written again from the recorded transfers and checked against
//! the hash recorded at delivery), and the exceptions: payouts held because the bank returned
//! them or no account is registered. Runs themselves are started by `kyosai payouts run` (the
//! transfer date is agreed with the bank); returns are imported by `kyosai payouts
//! import-returns`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyosai_app::AppError;
use kyosai_domain::PayoutRunId;

use super::staff::refuse_non_staff;
use super::view::{Layout, app_error, ja_date, ja_time, not_found_page, render, yen};
use crate::AppState;
use crate::session::SignedIn;

struct FileItem {
    name: String,
    program: &'static str,
    records: i64,
    total: String,
    sha256: String,
}

struct RunItem {
    id: PayoutRunId,
    date: String,
    seq: i64,
    count: i64,
    total: String,
    at: String,
    files: Vec<FileItem>,
}

struct HeldItem {
    contract: String,
    kind: String,
    amount: String,
    date: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "staff_payouts.html")]
struct PayoutsPage {
    layout: Layout,
    runs: Vec<RunItem>,
    held: Vec<HeldItem>,
}

pub async fn overview(State(state): State<AppState>, signed: SignedIn) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let page = async {
        let runs = state.app.payout_runs(&signed.actor).await?;
        let held = state.app.held_payouts(&signed.actor).await?;
        Ok::<_, AppError>(PayoutsPage {
            layout: Layout::user("支払（振込）", &signed.user),
            runs: runs
                .into_iter()
                .map(|r| RunItem {
                    id: r.run.id,
                    date: ja_date(r.run.transfer_date),
                    seq: r.run.seq,
                    count: r.run.payout_count,
                    total: yen(r.run.total.get()),
                    at: ja_time(&r.run.created_at),
                    files: r
                        .files
                        .into_iter()
                        .map(|f| FileItem {
                            program: kyosai_domain::Program::parse(&f.program)
                                .map_or("", |p| p.name_ja()),
                            name: f.name,
                            records: f.records,
                            total: yen(f.total.get()),
                            sha256: f.sha256,
                        })
                        .collect(),
                })
                .collect(),
            held: held
                .into_iter()
                .map(|h| HeldItem {
                    contract: h.contract_number,
                    kind: h.payout.kind_ja,
                    amount: yen(h.payout.yen),
                    date: ja_date(h.payout.date),
                    reason: h.payout.hold_reason.unwrap_or_default(),
                })
                .collect(),
        })
    };
    match page.await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

/// A delivered transfer file, written again and checked against its recorded SHA-256.
pub async fn file(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let Ok(id) = id.parse::<PayoutRunId>() else {
        return not_found_page();
    };
    let f = match state.app.payout_run_file(&signed.actor, id, &name).await {
        Ok(f) => f,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", f.name))
    else {
        return not_found_page();
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
