//! The JSON API, `/api/v1`. Bearer-token authentication; one error envelope; OpenAPI 3.1 at
//! `/api/v1/openapi.json` with a browsable UI at `/api/v1/docs`.

mod auth;
mod bankruptcy_loans;
mod billing;
mod cancellation;
pub(crate) mod certificates;
mod claims;
mod contracts;
mod details;
mod enrollment;
mod loans;
mod mandate;
mod notices;
mod payment;
mod payouts;
mod premium;
mod refdata;
mod scorecard;
mod simulations;
mod staff;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use kyosai_app::Actor;
use kyosai_app::procedure::{Answer, Outcome, answer_status};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;
use crate::error::ApiError;

/// A procedure's answer: `201` when completed, `202` when it waits for staff; a replayed
/// `Idempotency-Key` answer is sent byte for byte with `Idempotent-Replayed: true`.
fn procedure_answer<T: Outcome>(answer: Answer<T>) -> Response {
    let json = [(header::CONTENT_TYPE, "application/json")];
    match answer {
        Answer::New(t) => {
            let status = StatusCode::from_u16(answer_status(t.status())).unwrap_or(StatusCode::OK);
            (status, json, serde_json::to_string(&t).unwrap_or_default()).into_response()
        }
        Answer::Replayed { status, body } => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            json,
            [("idempotent-replayed", "true")],
            body,
        )
            .into_response(),
    }
}

/// Login, sign-up and TOTP endpoints (rate-limited by the caller).
pub fn auth_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/signup", post(auth::signup))
        .route("/api/v1/auth/verify", post(auth::verify))
        .route("/api/v1/auth/totp/setup", post(auth::totp_setup))
        .route("/api/v1/auth/totp/confirm", post(auth::totp_confirm))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/password-reset", post(auth::password_reset))
        .route(
            "/api/v1/auth/password-reset/confirm",
            post(auth::password_reset_confirm),
        )
}

/// Public simulations and the debit-date calendar: no login; rate-limited per client by the caller.
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/simulations/small-enterprise/benefit",
            post(simulations::benefit),
        )
        .route(
            "/api/v1/simulations/small-enterprise/payout-options",
            post(simulations::payout_options),
        )
        .route(
            "/api/v1/simulations/safety-net/cancellation-refund",
            post(simulations::cancellation_refund),
        )
        .route(
            "/api/v1/simulations/safety-net/bankruptcy-loan",
            post(simulations::bankruptcy_loan),
        )
        .route(
            "/api/v1/simulations/safety-net/temporary-loan",
            post(simulations::temporary_loan),
        )
        .route(
            "/api/v1/simulations/safety-net/prepayment-discount",
            post(simulations::prepayment_discount),
        )
        .route("/api/v1/calendar/debit-date", get(simulations::debit_date))
        .route(
            "/api/v1/signing-certificate.pem",
            get(certificates::signing_certificate),
        )
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/recovery-codes", post(auth::recovery_codes))
        .route("/api/v1/staff/tokens", get(staff::tokens))
        .route("/api/v1/overview", get(enrollment::overview))
        .route("/api/v1/enrollments", post(enrollment::submit))
        .route("/api/v1/applications/{id}", get(enrollment::application))
        .route("/api/v1/contracts/{number}", get(contracts::contract))
        .route("/api/v1/notices", get(notices::list))
        .route("/api/v1/notices/{id}/read", post(notices::read))
        .route(
            "/api/v1/contracts/{number}/billing",
            get(billing::contract_billing),
        )
        .route(
            "/api/v1/contracts/{number}/certificates/{year}",
            get(certificates::certificate),
        )
        .route(
            "/api/v1/contracts/{number}/documents",
            get(certificates::documents),
        )
        .route(
            "/api/v1/documents/{document_number}/xml",
            get(certificates::certificate_xml),
        )
        .route(
            "/api/v1/documents/{document_number}/pdf",
            get(certificates::certificate_pdf),
        )
        .route(
            "/api/v1/contracts/{number}/mandate",
            put(mandate::change_mandate),
        )
        .route(
            "/api/v1/contracts/{number}/cancellation-quote",
            get(cancellation::quote),
        )
        .route(
            "/api/v1/contracts/{number}/cancellation",
            post(cancellation::cancel),
        )
        .route(
            "/api/v1/contracts/{number}/frequency-change",
            post(payment::frequency_change),
        )
        .route(
            "/api/v1/contracts/{number}/prepayments",
            post(payment::prepayment),
        )
        .route(
            "/api/v1/contracts/{number}/suspension",
            post(payment::suspension),
        )
        .route(
            "/api/v1/contracts/{number}/resumption",
            post(payment::resumption),
        )
        .route(
            "/api/v1/contracts/{number}/premium-deferral",
            post(payment::premium_deferral),
        )
        .route(
            "/api/v1/contracts/{number}/details-changes",
            post(details::submit).layer(axum::extract::DefaultBodyLimit::max(
                crate::upload::MAX_UPLOAD_BODY_BYTES,
            )),
        )
        .route("/api/v1/contracts/{number}/details", get(details::current))
        .route("/api/v1/contracts/{number}/loan-limits", get(loans::limits))
        .route("/api/v1/contracts/{number}/loans", get(loans::list))
        .route(
            "/api/v1/contracts/{number}/loans/{id}/early-repayment",
            post(loans::early_repayment),
        )
        .route(
            "/api/v1/contracts/{number}/member-loans",
            post(loans::member),
        )
        .route(
            "/api/v1/contracts/{number}/member-loans/evidence",
            post(loans::upload_evidence).layer(axum::extract::DefaultBodyLimit::max(
                crate::upload::MAX_UPLOAD_BODY_BYTES,
            )),
        )
        .route("/api/v1/contracts/{number}/payouts", get(payouts::list))
        .route(
            "/api/v1/contracts/{number}/payouts/{payout_id}/account",
            put(payouts::give_account),
        )
        .route("/api/v1/contracts/{number}/claims", post(claims::submit))
        .route(
            "/api/v1/contracts/{number}/claims/evidence",
            post(claims::upload_evidence).layer(axum::extract::DefaultBodyLimit::max(
                crate::upload::MAX_UPLOAD_BODY_BYTES,
            )),
        )
        .route(
            "/api/v1/contracts/{number}/temporary-loans",
            post(loans::temporary),
        )
        .route(
            "/api/v1/contracts/{number}/bankruptcy-loans",
            post(bankruptcy_loans::request),
        )
        .route(
            "/api/v1/contracts/{number}/bankruptcy-loans/evidence",
            post(bankruptcy_loans::upload_evidence).layer(axum::extract::DefaultBodyLimit::max(
                crate::upload::MAX_UPLOAD_BODY_BYTES,
            )),
        )
        .route(
            "/api/v1/staff/bankruptcy-loans/{id}/proposal",
            post(bankruptcy_loans::propose),
        )
        .route("/api/v1/evidence/{token}", get(details::download))
        .route(
            "/api/v1/contracts/{number}/premium-changes",
            post(premium::change_premium),
        )
        .route(
            "/api/v1/contracts/{number}/premium-changes/quote",
            get(premium::quote),
        )
        .route("/api/v1/staff/applications", get(staff::queue))
        .route(
            "/api/v1/staff/applications/{id}",
            axum::routing::put(staff::edit),
        )
        .route(
            "/api/v1/staff/applications/{id}/approve",
            post(staff::approve),
        )
        .route(
            "/api/v1/staff/applications/{id}/reject",
            post(staff::reject),
        )
        .route("/api/v1/staff/scorecard", get(scorecard::scorecard))
        .route("/api/v1/postcodes/{code}", get(refdata::postcode))
        .route("/api/v1/banks", get(refdata::banks))
        .route("/api/v1/banks/{code}/branches", get(refdata::branches))
        // The UI serves the document itself and is told where it is; without a URL it shows
        // "No API definition provided".
        .merge(SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", ApiDoc::openapi()))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Kyosai API", version = "1", description = "小規模企業共済・経営セーフティ共済のオンライン手続きAPI。エラーはすべて {code, message, fields[]} の形式です。"),
    paths(
        auth::signup, auth::verify, auth::totp_setup, auth::totp_confirm, auth::login, auth::me,
        enrollment::submit, enrollment::overview, enrollment::application, billing::contract_billing, mandate::change_mandate,
        contracts::contract, notices::list, notices::read,
        cancellation::quote, cancellation::cancel,
        payment::frequency_change, payment::prepayment, payment::suspension, payment::resumption,
        payment::premium_deferral,
        details::submit, details::current, details::download,
        premium::change_premium, premium::quote,
        staff::queue, staff::approve, staff::reject, staff::edit,
        refdata::postcode, refdata::banks, refdata::branches,
        simulations::benefit, simulations::payout_options, simulations::cancellation_refund,
        simulations::bankruptcy_loan, simulations::temporary_loan, simulations::prepayment_discount,
        simulations::debit_date,
        auth::logout, staff::tokens, auth::password_reset, auth::password_reset_confirm,
        auth::recovery_codes,
        scorecard::scorecard,
        loans::limits, loans::list, loans::temporary, loans::early_repayment, loans::member,
        loans::upload_evidence,
        payouts::list, payouts::give_account,
        certificates::certificate, certificates::certificate_xml, certificates::certificate_pdf, certificates::signing_certificate,
        certificates::documents,
        claims::submit, claims::upload_evidence,
        bankruptcy_loans::request, bankruptcy_loans::upload_evidence, bankruptcy_loans::propose,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::FieldErrorBody)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The `Idempotency-Key` of a request about contract `number` with body `form`: the key is bound
/// to the contract and the body, so the same key with another request is refused.
pub(super) fn contract_key<T: serde::Serialize>(
    headers: &axum::http::HeaderMap,
    number: &str,
    form: &T,
) -> Result<Option<kyosai_app::procedure::IdempotencyKey>, ApiError> {
    Ok(headers
        .get("idempotency-key")
        .map(|v| {
            let request = format!(
                "{number}:{}",
                serde_json::to_string(form).unwrap_or_default()
            );
            kyosai_app::procedure::IdempotencyKey::new(v.to_str().unwrap_or_default(), &request)
        })
        .transpose()?)
}

/// The caller of an API endpoint, from `Authorization: Bearer <token>`.
pub struct ApiActor(pub Actor);

/// The bearer token of a request, if any.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauth = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "有効なアクセストークンが必要です。",
            )
        };
        let token = bearer(&parts.headers).ok_or_else(unauth)?;
        state
            .app
            .token_actor(token)
            .await?
            .map(ApiActor)
            .ok_or_else(unauth)
    }
}
