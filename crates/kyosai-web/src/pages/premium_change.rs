//! The premium change, `/portal/contracts/{number}/premium`: the amount now and the rule set's
//! range and step, one amount field (and the decrease grounds for 倒産防止), a confirmation with
//! the effective month, the first debit and the next debits (`App::quote_premium_change`,
//! nothing stored), and the done page (`App::change_premium`). Staff reach it from the contract
//! view and file a paper form for the member; the use case decides who may see it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::premium_change::{PremiumChangeForm, PremiumChangeStatus, PremiumQuote};
use kyosai_domain::FieldError;
use kyosai_domain::safety_net::premium_change::DecreaseReason;

use super::FormData;
use super::view::{Layout, app_error, ja_date, render, yen};
use crate::AppState;
use crate::session::SignedIn;

/// One planned debit as the confirmation lists it.
struct DebitRow {
    month: String,
    date: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "premium_change.html")]
struct PremiumPage {
    layout: Layout,
    number: String,
    program_name: &'static str,
    /// `form`, `confirm` or `done`.
    mode: &'static str,
    current: String,
    range: String,
    amount: String,
    amount_error: String,
    reason: String,
    reason_error: String,
    /// (value, label) of the 倒産防止 decrease grounds; empty for 小規模.
    reasons: Vec<(&'static str, &'static str)>,
    reason_label: String,
    new_amount: String,
    effective: String,
    first_debit: String,
    notes: Vec<String>,
    debits: Vec<DebitRow>,
    in_review: bool,
    unchanged: bool,
    application_id: String,
}

fn form_of(form: &FormData) -> PremiumChangeForm {
    let v = |n: &str| {
        form.get(n)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    PremiumChangeForm {
        monthly_premium_yen: v("monthly_premium_yen"),
        decrease_reason: v("decrease_reason"),
    }
}

async fn page(
    state: &AppState,
    signed: &SignedIn,
    number: &str,
    mode: &'static str,
    form: &PremiumChangeForm,
    errors: &[FieldError],
) -> Result<PremiumPage, AppError> {
    let ctx = state
        .app
        .premium_change_context(&signed.actor, number)
        .await?;
    let error = |f: &str| {
        errors
            .iter()
            .filter(|e| e.field == f)
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let title = match mode {
        "confirm" => "掛金月額の変更の確認",
        "done" => "掛金月額の変更",
        _ => "掛金月額を変更する",
    };
    let reason = form.decrease_reason.clone().unwrap_or_default();
    Ok(PremiumPage {
        layout: Layout::user(title, &signed.user),
        number: ctx.contract_number,
        program_name: ctx.program.name_ja(),
        mode,
        current: yen(ctx.current_premium_yen),
        range: format!(
            "{}から{}まで、{}単位",
            yen(ctx.min_yen),
            yen(ctx.max_yen),
            yen(ctx.step_yen)
        ),
        amount: form.monthly_premium_yen.clone().unwrap_or_default(),
        amount_error: error("monthly_premium_yen"),
        reason_label: DecreaseReason::parse(&reason)
            .map(DecreaseReason::name_ja)
            .unwrap_or("")
            .to_string(),
        reason,
        reason_error: error("decrease_reason"),
        reasons: ctx
            .decrease_reasons
            .iter()
            .map(|r| (r.as_str(), r.name_ja()))
            .collect(),
        new_amount: String::new(),
        effective: String::new(),
        first_debit: String::new(),
        notes: Vec::new(),
        debits: Vec::new(),
        in_review: false,
        unchanged: false,
        application_id: String::new(),
    })
}

fn with_quote(p: &mut PremiumPage, q: &PremiumQuote) {
    p.new_amount = yen(q.monthly_premium_yen);
    p.effective = kyosai_app::ja_text::ja_month(q.effective_month);
    p.first_debit = match (q.first_debit_date, q.first_debit_amount_yen) {
        (Some(d), Some(a)) => format!("{}（{}）", ja_date(d), yen(a)),
        _ => "引落しの予定はありません".into(),
    };
    p.notes = q.notes.clone();
    p.debits = q
        .next_debits
        .iter()
        .map(|d| DebitRow {
            month: kyosai_app::ja_text::ja_month(d.month),
            date: d
                .debit_date
                .parse()
                .map(ja_date)
                .unwrap_or_else(|_| d.debit_date.clone()),
            amount: yen(d.amount_yen),
        })
        .collect();
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    match page(
        &state,
        &signed,
        &number,
        "form",
        &PremiumChangeForm::default(),
        &[],
    )
    .await
    {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    form: FormData,
) -> Response {
    match handle_post(&state, &signed, &number, &form).await {
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
    let form = form_of(data);
    let app = &state.app;
    let invalid = |errors: Vec<FieldError>| async move {
        let p = page(state, signed, number, "form", &form_of(data), &errors).await?;
        Ok::<_, AppError>(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
    };
    match data.get("action").unwrap_or("confirm") {
        "edit" => Ok(render(
            StatusCode::OK,
            &page(state, signed, number, "form", &form, &[]).await?,
        )),
        "submit" => match app.change_premium(&signed.actor, number, &form).await {
            Ok(done) => {
                let mut p = page(state, signed, number, "done", &form, &[]).await?;
                with_quote(&mut p, &done.quote);
                p.in_review = done.status == PremiumChangeStatus::InReview;
                p.unchanged = done.status == PremiumChangeStatus::Unchanged;
                p.application_id = done
                    .application_id
                    .map(|i| i.to_string())
                    .unwrap_or_default();
                Ok(render(StatusCode::OK, &p))
            }
            Err(AppError::Invalid(errors)) => invalid(errors).await,
            Err(e) => Err(e),
        },
        _ => match app.quote_premium_change(&signed.actor, number, &form).await {
            Ok(q) => {
                let mut p = page(state, signed, number, "confirm", &form, &[]).await?;
                with_quote(&mut p, &q);
                Ok(render(StatusCode::OK, &p))
            }
            Err(AppError::Invalid(errors)) => invalid(errors).await,
            Err(e) => Err(e),
        },
    }
}
