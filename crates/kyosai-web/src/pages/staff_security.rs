//! The staff security screen (`/staff/security`, issue #15): the second-factor reset of a
//! member who lost their authenticator (one staff user records the identity checklist, another
//! confirms it), and the API tokens with a revoke button for approvers. The same use cases as the
//! API and `kyosai token`; every action is audited there.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::AppError;
use kyosai_app::account_recovery::IdentityChecklist;
use kyosai_app::token_admin::TokenView;
use kyosai_domain::{FactorResetId, FieldError};
use serde::Deserialize;

use super::FormData;
use super::staff::refuse_non_staff;
use super::view::{Layout, app_error, ja_time, render};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, is_on, summary};
use crate::session::SignedIn;

/// A pending reset as listed.
struct ResetRow {
    id: FactorResetId,
    member: String,
    requested: String,
    /// The signed-in user asked for it: someone else must confirm.
    own: bool,
}

struct TokenRow {
    id: String,
    cells: Vec<String>,
    live: bool,
}

#[derive(Template)]
#[template(path = "staff_security.html")]
struct SecurityPage {
    layout: Layout,
    notice: String,
    problem: String,
    summary: Vec<SummaryItem>,
    reset_fields: Vec<Field>,
    resets: Vec<ResetRow>,
    /// None: the signed-in user may not manage tokens.
    tokens: Option<Vec<TokenRow>>,
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

const CHECKLIST: [(&str, &str); 3] = [
    (
        "identity_document",
        "本人確認書類を確認し、登録の氏名・住所と一致した",
    ),
    (
        "called_back_registered_phone",
        "登録の電話番号に折り返し電話をして本人と話した",
    ),
    (
        "contract_details_confirmed",
        "共済契約者番号と引落口座の番号の一部を本人が答えた",
    ),
];

fn reset_fields(values: &BTreeMap<String, String>, errors: &[FieldError]) -> Vec<Field> {
    std::iter::once(
        Field::text("member_email", "会員のメールアドレス")
            .input_type("email")
            .autocomplete("off")
            .maxlength(254)
            .fill(values, errors),
    )
    .chain(
        CHECKLIST
            .iter()
            .map(|(name, label)| Field::checkbox(name, *label).fill(values, errors)),
    )
    .collect()
}

fn token_row(t: &TokenView) -> TokenRow {
    TokenRow {
        id: t.id.clone(),
        live: t.revoked_at.is_none(),
        cells: vec![
            t.id.clone(),
            format!("{}（{}）", t.email, t.role),
            t.name.clone(),
            ja_time(&t.created_at),
            t.expires_at
                .as_deref()
                .map(ja_time)
                .unwrap_or_else(|| "なし".into()),
            t.revoked_at
                .as_deref()
                .map(|r| format!("失効 {}", ja_time(r)))
                .unwrap_or_else(|| "有効".into()),
        ],
    }
}

async fn page(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    notice: String,
    problem: String,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> Response {
    let resets = match state.app.pending_factor_resets(&signed.actor).await {
        Ok(r) => r,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let tokens = match state.app.list_tokens(&signed.actor).await {
        Ok(t) => Some(t.iter().map(token_row).collect()),
        Err(AppError::Forbidden(_)) => None,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let reset_fields = reset_fields(values, errors);
    render(
        status,
        &SecurityPage {
            layout: Layout::user("アカウントの保護", &signed.user),
            notice,
            problem,
            summary: summary(reset_fields.iter()),
            reset_fields,
            resets: resets
                .into_iter()
                .map(|r| ResetRow {
                    id: r.id,
                    member: r.member_email,
                    requested: format!("{}（{}）", ja_time(&r.requested_at), r.requested_by_email),
                    own: r.requested_by == signed.actor.user_id,
                })
                .collect(),
            tokens,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<Done>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let notice = match q.done.as_deref() {
        Some("requested") => {
            "本人確認を記録しました。別の職員（承認者）が確認するとリセットされます。"
        }
        Some("reset") => "二段階認証をリセットし、会員にメールでお知らせしました。",
        Some("revoked") => "トークンを失効させました。",
        _ => "",
    };
    page(
        &state,
        &signed,
        StatusCode::OK,
        notice.into(),
        String::new(),
        &BTreeMap::new(),
        &[],
    )
    .await
}

pub async fn request_reset(
    State(state): State<AppState>,
    signed: SignedIn,
    form: FormData,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let values: BTreeMap<String, String> = std::iter::once("member_email")
        .chain(CHECKLIST.iter().map(|(n, _)| *n))
        .map(|n| (n.to_string(), form.text(n)))
        .collect();
    let on = |n: &str| values.get(n).is_some_and(|v| is_on(v));
    let checklist = IdentityChecklist {
        identity_document: on("identity_document"),
        called_back_registered_phone: on("called_back_registered_phone"),
        contract_details_confirmed: on("contract_details_confirmed"),
    };
    let email = values.get("member_email").cloned().unwrap_or_default();
    let errors = match state
        .app
        .request_second_factor_reset(&signed.actor, &email, &checklist)
        .await
    {
        Ok(_) => return Redirect::to("/staff/security?done=requested").into_response(),
        Err(AppError::Invalid(errors)) => errors
            .into_iter()
            .map(|e| FieldError {
                // The checklist's error belongs next to its first box.
                field: if e.field == "checklist" {
                    CHECKLIST[0].0.into()
                } else {
                    e.field
                },
                ..e
            })
            .collect(),
        Err(AppError::NotFound) => vec![FieldError::new(
            "member_email",
            "not_found",
            "このメールアドレスの会員は見つかりません。",
        )],
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    page(
        &state,
        &signed,
        StatusCode::UNPROCESSABLE_ENTITY,
        String::new(),
        String::new(),
        &values,
        &errors,
    )
    .await
}

pub async fn confirm_reset(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<FactorResetId>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    match state
        .app
        .confirm_second_factor_reset(&signed.actor, id)
        .await
    {
        Ok(()) => Redirect::to("/staff/security?done=reset").into_response(),
        Err(AppError::Conflict { message, .. }) => {
            page(
                &state,
                &signed,
                StatusCode::CONFLICT,
                String::new(),
                message,
                &BTreeMap::new(),
                &[],
            )
            .await
        }
        Err(AppError::Forbidden(_)) => {
            page(
                &state,
                &signed,
                StatusCode::FORBIDDEN,
                String::new(),
                "二段階認証のリセットの確認は、承認者の権限を持つ職員が行います。".into(),
                &BTreeMap::new(),
                &[],
            )
            .await
        }
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    match state.app.revoke_token_as(&signed.actor, &id).await {
        Ok(true) => Redirect::to("/staff/security?done=revoked").into_response(),
        Ok(false) => {
            page(
                &state,
                &signed,
                StatusCode::CONFLICT,
                String::new(),
                "このトークンはすでに失効しているか、見つかりません。".into(),
                &BTreeMap::new(),
                &[],
            )
            .await
        }
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
