//! The member's billing page for one contract: each month's bill and what happened to it, the
//! unpaid months, whether the debit account still works, and the next debit (or why none).
//! Everything comes from `App::contract_billing`, which also decides who may see it (the
//! contract's member and staff; anyone else gets the 404 page, as over the API).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::billing::ContractBilling;
use kyosai_app::ja_text::ja_month;
use kyosai_domain::billing::BillItem;

use super::view::{Layout, app_error, ja_date_text, render, yen};
use crate::AppState;
use crate::session::SignedIn;

struct NextBox {
    date: String,
    amount: String,
    items: Vec<String>,
    explanation: String,
}

struct MonthCard {
    /// `2026-11`, for element ids.
    key: String,
    month: String,
    debit_date: String,
    amount: String,
    /// CSS modifier of the badge.
    status: &'static str,
    status_text: &'static str,
    items: Vec<String>,
    explanation: String,
    deductible: bool,
}

/// A 納付書 (REFERENCE §2.7) as the page shows it.
struct SlipCard {
    reference: String,
    amount: String,
    deadline: String,
    months: String,
    /// CSS modifier of the badge.
    status: &'static str,
    status_text: &'static str,
    explanation: String,
}

#[derive(Template)]
#[template(path = "contract_billing.html")]
struct BillingPage {
    layout: Layout,
    number: String,
    program_name: &'static str,
    /// 経営セーフティ共済: the 一時貸付金 is offered.
    safety_net: bool,
    /// 小規模: the years (latest two) with premiums collected, whose 控除証明書 can be downloaded.
    certificate_years: Vec<i16>,
    mandate_usable: bool,
    /// The first debit from a newly registered account, while it is ahead (else empty).
    new_account_from: String,
    next: Option<NextBox>,
    no_debit: String,
    tax_notice: Option<String>,
    unpaid: Vec<String>,
    unpaid_total: String,
    slips: Vec<SlipCard>,
    months: Vec<MonthCard>,
    /// Active contracts offer 「解約する」.
    active: bool,
    /// A cancelled contract's refund: (amount, 「決定済み・支払予定」, badge modifier, payment date).
    refund: Option<(String, String, &'static str, String)>,
}

fn item_text(i: &BillItem) -> String {
    if i.arrears {
        format!("{}分 {}（未納分）", ja_month(i.month), i.amount)
    } else {
        format!("{}分 {}", ja_month(i.month), i.amount)
    }
}

/// The badge of a month: 請求予定 / 引落済 / 引落不能.
fn status_badge(status: &str) -> (&'static str, &'static str) {
    match status {
        "collected" => ("completed", "引落済"),
        "failed" => ("rejected", "引落不能"),
        _ => ("pending", "請求予定"),
    }
}

fn page(b: ContractBilling, layout: Layout) -> BillingPage {
    let no_debit = match (&b.next_debit, &b.no_debit_reason) {
        (Some(_), _) => String::new(),
        (None, Some(reason)) => reason.clone(),
        (None, None) => "今後の引落しの予定はありません。".into(),
    };
    BillingPage {
        active: b.contract_status == kyosai_domain::ContractStatus::Active,
        refund: b.cancellation_refund.as_ref().map(|r| {
            (
                format!(
                    "{}{}",
                    yen(r.amount_yen),
                    if r.estimate { "（概算）" } else { "" }
                ),
                r.status_ja.clone(),
                if r.status == "paid" {
                    "completed"
                } else {
                    "pending"
                },
                r.payment_date
                    .as_deref()
                    .map(ja_date_text)
                    .unwrap_or_default(),
            )
        }),
        layout,
        number: b.contract_number.clone(),
        program_name: b.program.name_ja(),
        safety_net: b.program == kyosai_domain::Program::SafetyNet,
        certificate_years: certificate_years(&b),
        mandate_usable: b.mandate_usable,
        new_account_from: b
            .new_account_from
            .as_deref()
            .map(ja_date_text)
            .unwrap_or_default(),
        next: b.next_debit.as_ref().map(|n| NextBox {
            date: ja_date_text(&n.debit_date),
            amount: yen(n.amount_yen),
            items: n.items.iter().map(item_text).collect(),
            explanation: n.explanation.clone(),
        }),
        no_debit,
        tax_notice: b.tax_notice.clone(),
        unpaid: b
            .unpaid_months
            .iter()
            .map(|m| format!("{}分", ja_month(*m)))
            .collect(),
        unpaid_total: yen(b.unpaid_yen),
        // Newest first, like the months.
        slips: b
            .payment_slips
            .iter()
            .rev()
            .map(|p| {
                let (status, status_text) = match p.status.as_str() {
                    "paid" => ("completed", "納付済"),
                    "cancelled" => ("rejected", "無効"),
                    _ => ("pending", "未納付"),
                };
                SlipCard {
                    reference: p.reference.clone(),
                    amount: yen(p.amount_yen),
                    deadline: ja_date_text(&p.deadline),
                    months: p
                        .months
                        .iter()
                        .map(|m| ja_month(*m))
                        .collect::<Vec<_>>()
                        .join("、"),
                    status,
                    status_text,
                    explanation: p.explanation.clone(),
                }
            })
            .collect(),
        // Newest first: the month a member asks about is usually the last one.
        months: b
            .months
            .iter()
            .rev()
            .map(|m| {
                let (status, status_text) = status_badge(&m.status);
                MonthCard {
                    key: m.month.to_string(),
                    month: ja_month(m.month),
                    debit_date: ja_date_text(&m.debit_date),
                    amount: yen(m.amount_yen),
                    status,
                    status_text,
                    items: m.items.iter().map(item_text).collect(),
                    explanation: m.explanation.clone(),
                    deductible: m.deductible,
                }
            })
            .collect(),
    }
}

pub async fn contract_billing(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    match state.app.contract_billing(&signed.actor, &number).await {
        Ok(b) => render(
            StatusCode::OK,
            &page(b, Layout::user("掛金の請求と引落し", &signed.user)),
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

/// The latest two calendar years in which a 小規模 contract's premiums were collected.
fn certificate_years(b: &ContractBilling) -> Vec<i16> {
    if b.program != kyosai_domain::Program::SmallEnterprise {
        return Vec::new();
    }
    let mut years: Vec<i16> = b
        .months
        .iter()
        .filter(|m| m.status == "collected")
        .map(|m| m.month.year())
        .collect();
    years.sort_unstable();
    years.dedup();
    years.into_iter().rev().take(2).collect()
}

/// The 控除証明書 of a year as PDF (`/portal/contracts/{number}/certificates/{year}`): issued (or
/// found unchanged) under its document number and downloaded, for the member or staff.
pub async fn certificate_pdf(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((number, year)): Path<(String, i16)>,
) -> Response {
    let issued = match state
        .app
        .issue_certificate(&signed.actor, &number, year)
        .await
    {
        Ok(i) => i,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    match state
        .app
        .document_pdf(&signed.actor, &issued.document_number)
        .await
    {
        Ok(pdf) => crate::api::certificates::pdf_download(&issued.document_number, pdf),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
