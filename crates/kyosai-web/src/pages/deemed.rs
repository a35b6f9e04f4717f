//! Staff record a deemed cancellation (みなし解約), `/staff/contracts/{number}/deemed-cancellation`:
//! the contract, the rule set's rates for each reason of its program, the reason (radio) and a
//! note (required), then the result with the refund recorded as payable. One step, by an
//! approver, audited (`App::record_deemed_cancellation`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::cancellation::{DeemedContext, DeemedDone, DeemedForm};
use kyosai_domain::FieldError;

use super::FormData;
use super::staff::refuse_non_staff;
use super::view::{Layout, app_error, ja_date, render, yen};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, summary};
use crate::session::SignedIn;

#[derive(Template)]
#[template(path = "staff_deemed.html")]
struct DeemedPage {
    layout: Layout,
    number: String,
    program_name: &'static str,
    holder: String,
    rates: Vec<String>,
    summary: Vec<SummaryItem>,
    reason: Field,
    note: Field,
    /// After recording: (label, value) rows.
    done: Vec<(String, String)>,
}

fn page(
    signed: &SignedIn,
    ctx: DeemedContext,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> DeemedPage {
    let reason = Field::text("reason", "解約の事由")
        .kind("radio")
        .choices(ctx.reasons.iter().map(|r| (r.as_str(), r.name_ja())))
        .fill(values, errors);
    let note = Field::text("note", "記録の理由（確認した書類・事実の日付など）")
        .kind("textarea")
        .maxlength(1000)
        .fill(values, errors);
    DeemedPage {
        layout: Layout::user("みなし解約の記録", &signed.user),
        number: ctx.contract_number,
        program_name: ctx.program.name_ja(),
        holder: format!("{}（{}）", ctx.holder_name, ctx.business_name),
        rates: ctx.rates,
        summary: summary([&reason, &note]),
        reason,
        note,
        done: Vec::new(),
    }
}

fn done_rows(d: &DeemedDone) -> Vec<(String, String)> {
    let mut rows = vec![
        ("事由".to_string(), d.reason.name_ja().to_string()),
        ("解約日".into(), ja_date(d.cancelled_on)),
        ("掛金納付月数".into(), format!("{}か月", d.months_paid)),
        ("掛金合計額".into(), yen(d.total_paid_yen)),
    ];
    if let Some(rate) = &d.rate {
        rows.push(("支給率（みなし解約）".into(), rate.clone()));
    }
    rows.push(("前納減額金".into(), yen(d.prepayment_discount_yen)));
    rows.push((
        "お支払い額（決定済み・支払予定）".into(),
        format!(
            "{}{}",
            yen(d.refund_yen),
            if d.estimate { "（概算）" } else { "" }
        ),
    ));
    rows.push(("お支払い予定日".into(), ja_date(d.payment_date)));
    rows
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    match state
        .app
        .deemed_cancellation_context(&signed.actor, &number)
        .await
    {
        Ok(ctx) => render(StatusCode::OK, &page(&signed, ctx, &BTreeMap::new(), &[])),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    form: FormData,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let values: BTreeMap<String, String> = ["reason", "note"]
        .into_iter()
        .map(|n| (n.to_string(), form.text(n)))
        .collect();
    let submitted = DeemedForm {
        reason: Some(form.text("reason")),
        note: Some(form.text("note")),
    };
    let app = &state.app;
    let ctx = match app
        .deemed_cancellation_context(&signed.actor, &number)
        .await
    {
        Ok(ctx) => ctx,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    match app
        .record_deemed_cancellation(&signed.actor, &number, &submitted)
        .await
    {
        Ok(d) => {
            let mut p = page(&signed, ctx, &BTreeMap::new(), &[]);
            p.layout = Layout::user("みなし解約を記録しました", &signed.user);
            p.done = done_rows(&d);
            render(StatusCode::OK, &p)
        }
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&signed, ctx, &values, &errors),
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
