//! Server-rendered Japanese pages for members and staff.
//!
//! Every page works without JavaScript: plain links and form posts, answered with a redirect
//! (post/redirect/get) or the same form again with messages next to the fields. Templates live
//! in `templates/` (askama); the view models here keep the templates free of logic.

mod account;
mod account_change;
mod bank_picker;
mod bankruptcy_loan;
mod billing;
mod cancel;
mod claim;
mod contact_caller;
mod contact_center;
mod deemed;
mod details_change;
mod documents;
mod enroll;
mod fields;
mod help;
mod loans;
mod member_loan;
mod notices;
mod paper;
mod payment;
mod payouts;
mod portal;
mod premium_change;
mod rule_sets;
mod staff;
mod staff_billing;
mod staff_loans;
mod staff_payments;
mod staff_payouts;
mod staff_scorecard;
mod staff_security;
mod survey;
mod temporary_loan;
mod terminations;
mod verify_document;
pub(crate) mod view;

use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

pub use view::{Layout, MessagePage, app_error, message, render};

/// Login, sign-up, e-mail verification and TOTP posts (rate-limited by the caller). The pages
/// themselves (GET) are in [`routes`], so reading a form does not use up the allowance.
pub fn auth_routes() -> Router<AppState> {
    Router::new()
        .route("/signup", post(account::signup_submit))
        .route("/verify", get(account::verify))
        .route("/login", post(account::login_submit))
        .route("/login/totp", post(account::login_totp_submit))
        .route("/account/totp", post(account::totp_setup_submit))
        .route("/password/forgot", post(account::forgot_submit))
        .route("/password/reset", post(account::reset_submit))
}

/// The public check of an issued document's number (rate-limited by the caller: anyone may
/// ask, so nobody may ask fast enough to walk through numbers).
pub fn verify_routes() -> Router<AppState> {
    Router::new().route("/verify/{document_number}", get(verify_document::show))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(account::landing))
        .route("/signup", get(account::signup_form))
        .route("/login", get(account::login_form))
        .route("/login/totp", get(account::login_totp_form))
        .route("/account/totp", get(account::totp_setup_form))
        .route("/password/forgot", get(account::forgot_form))
        .route("/password/reset", get(account::reset_form))
        .route("/logout", post(account::logout))
        .route("/portal", get(portal::portal))
        .route("/s/{code}", get(survey::show).post(survey::post))
        .route("/help", get(help::index))
        .route("/help/{procedure}", get(help::show))
        .route("/portal/notices", get(notices::list))
        .route("/portal/notices/{id}", get(notices::show))
        .route(
            "/portal/contracts/{number}/billing",
            get(billing::contract_billing),
        )
        .route(
            "/portal/contracts/{number}/account",
            get(account_change::show).post(account_change::post),
        )
        .route("/portal/contracts/{number}/payouts", get(payouts::list))
        .route("/portal/contracts/{number}/documents", get(documents::list))
        .route(
            "/portal/documents/{document_number}/pdf",
            get(documents::pdf),
        )
        .route(
            "/portal/contracts/{number}/certificates/{year}",
            get(billing::certificate_pdf),
        )
        .route(
            "/portal/contracts/{number}/payouts/{id}/account",
            get(payouts::account_form).post(payouts::account_post),
        )
        .route(
            "/portal/contracts/{number}/cancel",
            get(cancel::show).post(cancel::post),
        )
        .route(
            "/portal/contracts/{number}/frequency",
            get(payment::show_frequency).post(payment::post_frequency),
        )
        .route(
            "/portal/contracts/{number}/prepayment",
            get(payment::show_prepayment).post(payment::post_prepayment),
        )
        .route(
            "/portal/contracts/{number}/suspension",
            get(payment::show_suspension).post(payment::post_suspension),
        )
        .route(
            "/portal/contracts/{number}/resumption",
            get(payment::show_resumption).post(payment::post_resumption),
        )
        .route(
            "/portal/contracts/{number}/deferral",
            get(payment::show_deferral).post(payment::post_deferral),
        )
        .route(
            "/portal/contracts/{number}/details",
            get(details_change::show).post(details_change::post).layer(
                axum::extract::DefaultBodyLimit::max(crate::upload::MAX_UPLOAD_BODY_BYTES),
            ),
        )
        .route("/evidence/{token}", get(details_change::evidence))
        .route(
            "/portal/contracts/{number}/premium",
            get(premium_change::show).post(premium_change::post),
        )
        .route(
            "/portal/contracts/{number}/claim",
            get(claim::show)
                .post(claim::post)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::upload::MAX_UPLOAD_BODY_BYTES,
                )),
        )
        .route(
            "/portal/contracts/{number}/bankruptcy-loan",
            get(bankruptcy_loan::show)
                .post(bankruptcy_loan::post)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::upload::MAX_UPLOAD_BODY_BYTES,
                )),
        )
        .route(
            "/portal/contracts/{number}/temporary-loan",
            get(temporary_loan::show).post(temporary_loan::post),
        )
        .route(
            "/portal/contracts/{number}/loans",
            get(loans::show).post(loans::post),
        )
        .route(
            "/portal/contracts/{number}/member-loan",
            get(member_loan::show).post(member_loan::post).layer(
                axum::extract::DefaultBodyLimit::max(crate::upload::MAX_UPLOAD_BODY_BYTES),
            ),
        )
        .route("/applications/{id}", get(portal::application))
        .route("/enroll/{program}", get(enroll::start))
        .route(
            "/enroll/{program}/{step}",
            get(enroll::show_step).post(enroll::post),
        )
        .route("/staff", get(staff::queue))
        .route("/staff/search", get(staff::search))
        .route(
            "/staff/contracts/{number}/deemed-cancellation",
            get(deemed::show).post(deemed::post),
        )
        .route("/staff/scorecard", get(staff_scorecard::page))
        .route("/staff/contact", get(contact_center::show))
        .route("/staff/contact/inquiries", post(contact_center::log))
        .route("/staff/contact/callers/{number}", get(contact_caller::show))
        .route(
            "/staff/contact/callers/{number}/check",
            post(contact_caller::check),
        )
        .route(
            "/staff/contact/callers/{number}/links",
            post(contact_caller::send_link),
        )
        .route("/staff/scorecard.csv", get(staff_scorecard::csv_export))
        .route("/staff/scorecard.pdf", get(staff_scorecard::pdf_export))
        .route("/staff/security", get(staff_security::show))
        .route(
            "/staff/security/factor-resets",
            post(staff_security::request_reset),
        )
        .route(
            "/staff/security/factor-resets/{id}/confirm",
            post(staff_security::confirm_reset),
        )
        .route(
            "/staff/security/tokens/{id}/revoke",
            post(staff_security::revoke_token),
        )
        .route("/staff/payments", get(staff_payments::show))
        .route(
            "/staff/payments/import",
            post(staff_payments::import).layer(axum::extract::DefaultBodyLimit::max(
                staff_billing::MAX_RESULT_FILE_BYTES,
            )),
        )
        .route("/staff/payouts", get(staff_payouts::overview))
        .route("/staff/loans", get(staff_loans::book))
        .route("/staff/loans/{id}", get(staff_loans::history))
        .route(
            "/staff/payouts/runs/{id}/files/{name}",
            get(staff_payouts::file),
        )
        .route("/staff/billing", get(staff_billing::overview))
        .route("/staff/billing/runs", post(staff_billing::start))
        .route(
            "/staff/billing/imports",
            post(staff_billing::import).layer(axum::extract::DefaultBodyLimit::max(
                staff_billing::MAX_RESULT_FILE_BYTES,
            )),
        )
        .route("/staff/billing/failed", get(staff_billing::failed))
        .route("/staff/billing/runs/{id}", get(staff_billing::run))
        .route(
            "/staff/billing/runs/{id}/files/{name}",
            get(staff_billing::file),
        )
        .route("/staff/applications/{id}", get(staff::detail))
        .route(
            "/staff/applications/{id}/bankruptcy-proposal",
            post(staff::propose_loan),
        )
        .route("/staff/applications/{id}/approve", post(staff::approve))
        .route("/staff/applications/{id}/reject", post(staff::reject))
        .route("/staff/applications/{id}/edit", post(staff::edit))
        .route(
            "/staff/rules",
            get(rule_sets::list).post(rule_sets::upload).layer(
                axum::extract::DefaultBodyLimit::max(rule_sets::MAX_RULE_FILE_BYTES),
            ),
        )
        .route("/staff/rules/staged/{id}", post(rule_sets::decide))
        .route(
            "/staff/paper",
            get(paper::list)
                .post(paper::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    paper::MAX_BATCH_FILE_BYTES,
                )),
        )
        .route(
            "/staff/paper/forms/{id}",
            get(paper::show).post(paper::post),
        )
        .route("/staff/paper/forms/{id}/image", get(paper::image))
        .route("/staff/terminations", get(terminations::list))
        .route("/staff/terminations/prepare", post(terminations::prepare))
        .route(
            "/staff/terminations/{id}/confirm",
            post(terminations::confirm),
        )
        .route(
            "/staff/terminations/{id}/withdraw",
            post(terminations::withdraw),
        )
        .fallback(not_found)
}

/// Unknown paths: the Japanese 404 page (the API keeps its JSON envelope).
async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "見つかりません。")
            .into_response();
    }
    view::not_found_page()
}

/// The fields of a posted form, in order (`application/x-www-form-urlencoded`). A body that is
/// not a form gets a friendly page instead of a bare rejection text.
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_string()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(FormData(v)),
            Err(rejection) => {
                let status = rejection.status();
                let text = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "送信されたデータが大きすぎます。入力内容を短くしてもう一度お試しください。"
                } else {
                    "送信された内容を読み取れませんでした。ページを開き直してからもう一度お試しください。"
                };
                Err(message(
                    status,
                    Layout::anonymous("送信できませんでした"),
                    text,
                    &[],
                ))
            }
        }
    }
}
