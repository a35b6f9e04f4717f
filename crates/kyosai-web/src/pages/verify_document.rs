//! `/verify/{document_number}`: the public check of an issued document (issue #13). Whoever holds
//! a document (a tax office, a bank) reads here what it said when it was issued, or that no
//! such document was issued. Only what the document carries is shown, and not the member's name
//! or address; the route is rate-limited per client like the other public endpoints.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::documents::{VerifiedContent, VerifiedDocument};
use kyosai_domain::Yen;

use super::view::{Layout, app_error, ja_date, render};
use crate::AppState;

pub struct Shown {
    pub number: String,
    pub issuer: String,
    pub rows: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "verify_document.html")]
pub struct VerifyPage {
    pub layout: Layout,
    pub document: Option<Shown>,
}

fn shown(d: VerifiedDocument, issuer: String) -> Shown {
    let yen = |v: i64| Yen::new(v).to_string();
    let row = |label: &str, value: String| (label.to_string(), value);
    let mut rows = Vec::new();
    match d.content {
        VerifiedContent::Certificate(c) => {
            rows.push(row("書類の種類", d.kind.name_ja().to_string()));
            rows.push(row("発行日", ja_date(d.issued_on)));
            rows.push(row("対象の年", format!("{}年分", c.year)));
            rows.push(row("共済契約者番号", d.contract_number));
            rows.push(row("掛金月額", yen(c.monthly_premium_yen)));
            rows.push(row("払込月数", format!("{}か月", c.months_paid_in_year)));
            rows.push(row("払込済掛金額", yen(c.paid_yen)));
            if let Some(e) = c.expected_by_december_yen {
                rows.push(row("年末までの払込見込額", yen(e)));
            }
            rows.push(row("前納減額金", yen(c.prepayment_discount_yen)));
            rows.push(row(
                "控除額",
                c.deductible_yen.map_or_else(|| "****".to_string(), yen),
            ));
        }
        VerifiedContent::Letter { title, lines } => {
            rows.push(row("書類の種類", title));
            rows.push(row("発行日", ja_date(d.issued_on)));
            // The letter's own lines (its contract number among them), as printed.
            rows.extend(lines);
        }
    }
    if let Some(sha) = d.xml_sha256 {
        rows.push(row("電子証明書（XML）のSHA-256", sha));
    }
    if let Some(sha) = d.pdf_sha256 {
        rows.push(row("PDFのSHA-256", sha));
    }
    Shown {
        number: d.document_number,
        issuer,
        rows,
    }
}

pub async fn show(State(s): State<AppState>, Path(number): Path<String>) -> Response {
    let found = match s.app.verify_document(&number).await {
        Ok(found) => found,
        Err(e) => return app_error(e, None),
    };
    let issuer = match kyosai_app::mail::Organization::embedded() {
        Ok(o) => o.name.value,
        Err(e) => return app_error(e, None),
    };
    let status = if found.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    render(
        status,
        &VerifyPage {
            layout: Layout::anonymous("書類の確認"),
            document: found.map(|d| shown(d, issuer)),
        },
    )
}
