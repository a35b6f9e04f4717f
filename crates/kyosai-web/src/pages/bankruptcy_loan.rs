//! The 共済金貸付 request (経営セーフティ共済, REFERENCE §5.1), `/portal/contracts/{number}/
//! bankruptcy-loan`, issue #12 item 1: the trading partner, the kind of event and its date, the
//! unrecoverable receivables and the monthly transactions; then the limit and what a loan does
//! to the premium rights (`App::bankruptcy_loan_preview`, nothing stored) with the evidence
//! upload; then the done page (always 審査中: staff look at the evidence). Every figure comes
//! from the app's answers; the form posts as multipart for the evidence file.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::bankruptcy_loan::{BankruptcyLoanForm, BankruptcyLoanPreview};
use kyosai_domain::FieldError;
use kyosai_domain::loan::BankruptcyEvent;

use super::view::{Layout, app_error, render, yen};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, summary};
use crate::session::SignedIn;
use crate::upload;

const FIELDS: [&str; 5] = [
    "event",
    "bankruptcy_date",
    "partner_name",
    "loss_yen",
    "monthly_transactions_yen",
];

#[derive(Template)]
#[template(path = "bankruptcy_loan.html")]
struct LoanPage {
    layout: Layout,
    number: String,
    /// `form`, `confirm` or `done`.
    mode: &'static str,
    summary: Vec<SummaryItem>,
    fields: Vec<Field>,
    carried: Vec<(&'static str, String)>,
    limit: String,
    terms: String,
    reduction: String,
    /// 「10分の1」, from the rule set.
    reduction_share: String,
    estimate: bool,
    evidence_error: String,
    general_errors: Vec<String>,
    application_id: String,
}

fn fields(values: &BTreeMap<String, String>, errors: &[FieldError]) -> Vec<Field> {
    vec![
        Field::text("event", "取引先に起きたこと")
            .kind("radio")
            .choices(
                BankruptcyEvent::ALL
                    .iter()
                    .map(|e| (e.as_str(), e.name_ja())),
            )
            .fill(values, errors),
        Field::date("bankruptcy_date", "倒産日（申立て・処分・通知の日）")
            .hint("例：2026-10-31。倒産日から6か月以内に請求できます。")
            .fill(values, errors),
        Field::text("partner_name", "倒産した取引先の名称")
            .maxlength(100)
            .fill(values, errors),
        Field::number("loss_yen", "回収が難しくなった売掛金などの額（円）").fill(values, errors),
        Field::number("monthly_transactions_yen", "月間の総取引額（円）")
            .hint("直前の決算期などの1か月あたりの取引額です。")
            .fill(values, errors),
    ]
}

fn loan_form(values: &BTreeMap<String, String>, evidence: Option<String>) -> BankruptcyLoanForm {
    let v = |k: &str| {
        values
            .get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    BankruptcyLoanForm {
        event: v("event"),
        bankruptcy_date: v("bankruptcy_date"),
        partner_name: v("partner_name"),
        loss_yen: v("loss_yen"),
        monthly_transactions_yen: v("monthly_transactions_yen"),
        evidence: evidence.into_iter().collect(),
    }
}

fn page(signed: &SignedIn, number: &str, mode: &'static str) -> LoanPage {
    let title = match mode {
        "confirm" => "共済金の借入れの確認",
        "done" => "共済金の借入れを受け付けました",
        _ => "共済金（倒産した取引先の売掛金）を借りる",
    };
    LoanPage {
        layout: Layout::user(title, &signed.user),
        number: number.to_string(),
        mode,
        summary: Vec::new(),
        fields: Vec::new(),
        carried: Vec::new(),
        limit: String::new(),
        terms: String::new(),
        reduction: String::new(),
        reduction_share: String::new(),
        estimate: false,
        evidence_error: String::new(),
        general_errors: Vec::new(),
        application_id: String::new(),
    }
}

fn form_page(
    signed: &SignedIn,
    number: &str,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> LoanPage {
    let mut p = page(signed, number, "form");
    p.fields = fields(values, errors);
    p.summary = summary(p.fields.iter());
    p.general_errors = errors
        .iter()
        .filter(|e| !FIELDS.contains(&e.field.as_str()))
        .map(|e| e.message.clone())
        .collect();
    p
}

fn confirm_page(
    signed: &SignedIn,
    number: &str,
    values: &BTreeMap<String, String>,
    preview: &BankruptcyLoanPreview,
    errors: &[FieldError],
) -> LoanPage {
    let mut p = page(signed, number, "confirm");
    p.carried = FIELDS
        .iter()
        .map(|k| (*k, values.get(*k).cloned().unwrap_or_default()))
        .collect();
    p.limit = yen(preview.limit_yen);
    p.terms = match (preview.repayment_years, preview.grace_months) {
        (Some(y), Some(g)) => format!(
            "据置期間{g}か月を含む{y}年の毎月均等返済（{}）",
            if preview.interest_rate == kyosai_domain::Rate::ZERO {
                "無利子".to_string()
            } else {
                format!("年{}", preview.interest_rate)
            }
        ),
        _ => String::new(),
    };
    p.reduction = yen(preview.premium_reduction_yen);
    p.reduction_share = super::loans::share_ja(preview.premium_reduction_share);
    p.estimate = preview.estimate;
    p.evidence_error = errors
        .iter()
        .filter(|e| e.field == "evidence")
        .map(|e| e.message.clone())
        .collect::<Vec<_>>()
        .join(" ");
    p.general_errors = errors
        .iter()
        .filter(|e| e.field != "evidence")
        .map(|e| e.message.clone())
        .collect();
    p
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    // Only a 倒産防止 contract the member may read opens the form.
    match state.app.loan_limits(&signed.actor, &number).await {
        Ok(l) if l.member_loan_limit.is_none() => render(
            StatusCode::OK,
            &form_page(&signed, &number, &BTreeMap::new(), &[]),
        ),
        Ok(_) => app_error(AppError::NotFound, Some(&signed.user)),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    multipart: Multipart,
) -> Response {
    match handle_post(&state, &signed, &number, multipart).await {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn handle_post(
    state: &AppState,
    signed: &SignedIn,
    number: &str,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let app = &state.app;
    let actor = &signed.actor;
    let parts = match upload::read(multipart, app.evidence.max_bytes).await {
        Ok(p) => p,
        Err(AppError::Invalid(errors)) => {
            let p = form_page(signed, number, &BTreeMap::new(), &errors);
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p));
        }
        Err(e) => return Err(e),
    };
    let mut values: BTreeMap<String, String> = parts
        .fields
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_string()))
        .collect();
    let action = values.remove("action").unwrap_or_else(|| "confirm".into());
    if action == "edit" {
        return Ok(render(
            StatusCode::OK,
            &form_page(signed, number, &values, &[]),
        ));
    }
    let preview = match app
        .bankruptcy_loan_preview(actor, number, &loan_form(&values, None))
        .await
    {
        Ok(p) => p,
        Err(AppError::Invalid(errors)) => {
            let p = form_page(signed, number, &values, &errors);
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p));
        }
        Err(e) => return Err(e),
    };
    if action != "submit" {
        return Ok(render(
            StatusCode::OK,
            &confirm_page(signed, number, &values, &preview, &[]),
        ));
    }
    let refused = |errors: Vec<FieldError>| {
        render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &confirm_page(signed, number, &values, &preview, &errors),
        )
    };
    let Some(file) = parts.file else {
        return Ok(refused(vec![FieldError::new(
            "evidence",
            "required",
            "取引先の倒産と回収が難しい売掛金などが分かる書類を添付してください。",
        )]));
    };
    let token = match app
        .upload_evidence(actor, number, &file.file_name, &file.bytes)
        .await
    {
        Ok(e) => e.token,
        Err(AppError::Invalid(errors)) => return Ok(refused(errors)),
        Err(e) => return Err(e),
    };
    let done = match app
        .request_bankruptcy_loan(actor, number, &loan_form(&values, Some(token)), None)
        .await
    {
        Ok(answer) => answer.fresh()?,
        Err(AppError::Invalid(errors)) => return Ok(refused(errors)),
        Err(e) => return Err(e),
    };
    let mut p = page(signed, number, "done");
    p.limit = yen(done.limit_yen);
    p.application_id = done.application_id.to_string();
    Ok(render(StatusCode::OK, &p))
}
