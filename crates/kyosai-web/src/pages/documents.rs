//! The member's documents, `/portal/contracts/{number}/documents`: every letter and certificate
//! issued for the contract (共済契約締結証書, 契約内容確認書, 解除通知書, 支払決定通知書, 掛金控除証明書…),
//! newest first, each downloadable as the PDF that was mailed
//! (`/portal/documents/{document_number}/pdf`). Who may see them is decided by the use case.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::view::{Layout, app_error, ja_date, render};
use crate::AppState;
use crate::session::SignedIn;

struct Row {
    number: String,
    title: String,
    issued_on: String,
}

#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsPage {
    layout: Layout,
    number: String,
    rows: Vec<Row>,
}

pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    match state.app.contract_documents(&signed.actor, &number).await {
        Ok(docs) => render(
            StatusCode::OK,
            &DocumentsPage {
                layout: Layout::user("書類（通知書・証明書）", &signed.user),
                number,
                rows: docs
                    .into_iter()
                    .map(|d| Row {
                        number: d.document_number,
                        title: d.title,
                        issued_on: ja_date(d.issued_on),
                    })
                    .collect(),
            },
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

/// One document's PDF, for the member holding its contract or staff (anyone else: 404).
pub async fn pdf(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(document_number): Path<String>,
) -> Response {
    match state
        .app
        .document_pdf(&signed.actor, &document_number)
        .await
    {
        Ok(pdf) => crate::api::certificates::pdf_download(&document_number, pdf),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
