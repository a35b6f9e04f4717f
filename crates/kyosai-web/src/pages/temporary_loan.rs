//! The 一時貸付金 request, `/portal/contracts/{number}/temporary-loan` (経営セーフティ共済, REFERENCE
//! §5.2): the limit today with the amount rules, one amount field, a confirmation with the
//! transfer date, the maturity and the repayment (`App::quote_temporary_loan`, nothing stored),
//! and the done page (`App::request_temporary_loan`). Every figure comes from the app's answer,
//! which reads the rule set in force.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::loans::{TemporaryLoanForm, TemporaryLoanQuote};
use kyosai_domain::{ApplicationStatus, FieldError};

use super::FormData;
use super::view::{Layout, app_error, ja_date, render, yen};
use crate::AppState;
use crate::session::SignedIn;

#[derive(Template)]
#[template(path = "temporary_loan.html")]
struct LoanPage {
    layout: Layout,
    number: String,
    /// `form`, `confirm` or `done`.
    mode: &'static str,
    limit: String,
    rules: String,
    amount: String,
    amount_error: String,
    /// Errors about the request as a whole (months paid, the contract's state).
    general_errors: Vec<String>,
    quote: Option<QuoteText>,
    in_review: bool,
    application_id: String,
}

/// A quote in the words the member reads.
struct QuoteText {
    amount: String,
    disbursement: String,
    maturity: String,
    interest: String,
    repayment: String,
    estimate: bool,
    in_review: bool,
}

fn quote_text(q: &TemporaryLoanQuote) -> QuoteText {
    QuoteText {
        amount: yen(q.amount_yen),
        disbursement: ja_date(q.disbursement_date),
        maturity: ja_date(q.maturity_date),
        interest: yen(q.interest_yen),
        repayment: yen(q.repayment_yen),
        estimate: q.estimate,
        in_review: q.in_review,
    }
}

async fn page(
    state: &AppState,
    signed: &SignedIn,
    number: &str,
    mode: &'static str,
    amount: &str,
    errors: &[FieldError],
) -> Result<LoanPage, AppError> {
    let terms = state
        .app
        .temporary_loan_terms(&signed.actor, number)
        .await?;
    let title = match mode {
        "confirm" => "一時貸付金の借入れの確認",
        "done" => "一時貸付金の借入れ",
        _ => "一時貸付金を借りる",
    };
    Ok(LoanPage {
        layout: Layout::user(title, &signed.user),
        number: number.to_string(),
        mode,
        limit: yen(terms.limit_yen),
        rules: format!(
            "{}以上、{}単位。借入期間は{}か月で、満期日に元金と利息をまとめて口座振替でお返しいただきます。",
            yen(terms.min_yen),
            yen(terms.unit_yen),
            terms.term_months
        ),
        amount: amount.to_string(),
        amount_error: errors
            .iter()
            .filter(|e| e.field == "amount_yen")
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join(" "),
        general_errors: errors
            .iter()
            .filter(|e| e.field != "amount_yen")
            .map(|e| e.message.clone())
            .collect(),
        quote: None,
        in_review: false,
        application_id: String::new(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    match page(&state, &signed, &number, "form", "", &[]).await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    data: FormData,
) -> Response {
    match handle_post(&state, &signed, &number, &data).await {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn handle_post(
    state: &AppState,
    signed: &SignedIn,
    number: &str,
    data: &FormData,
) -> Result<Response, AppError> {
    let amount = data.text("amount_yen");
    let form = TemporaryLoanForm {
        amount_yen: Some(amount.trim().to_string()).filter(|a| !a.is_empty()),
    };
    let app = &state.app;
    let refused = |errors: Vec<FieldError>| async move {
        let p = page(state, signed, number, "form", &amount, &errors).await?;
        Ok::<_, AppError>(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
    };
    match data.get("action").unwrap_or("confirm") {
        "edit" => Ok(render(
            StatusCode::OK,
            &page(state, signed, number, "form", &data.text("amount_yen"), &[]).await?,
        )),
        "submit" => {
            // The quote first: the done page repeats what was confirmed.
            let quote = match app.quote_temporary_loan(&signed.actor, number, &form).await {
                Ok(q) => q,
                Err(AppError::Invalid(errors)) => return refused(errors).await,
                Err(e) => return Err(e),
            };
            match app
                .request_temporary_loan(&signed.actor, number, &form, None)
                .await
            {
                Ok(answer) => {
                    let done = answer.fresh()?;
                    let mut p =
                        page(state, signed, number, "done", &data.text("amount_yen"), &[]).await?;
                    p.in_review = done.status == ApplicationStatus::InReview;
                    p.application_id = done.application_id.to_string();
                    p.quote = Some(quote_text(&quote));
                    Ok(render(StatusCode::OK, &p))
                }
                Err(AppError::Invalid(errors)) => refused(errors).await,
                Err(e) => Err(e),
            }
        }
        _ => match app.quote_temporary_loan(&signed.actor, number, &form).await {
            Ok(q) => {
                let mut p = page(
                    state,
                    signed,
                    number,
                    "confirm",
                    &data.text("amount_yen"),
                    &[],
                )
                .await?;
                p.quote = Some(quote_text(&q));
                Ok(render(StatusCode::OK, &p))
            }
            Err(AppError::Invalid(errors)) => refused(errors).await,
            Err(e) => Err(e),
        },
    }
}
