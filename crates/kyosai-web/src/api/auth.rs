//! Accounts over the API. A member signs up, verifies the e-mail (token from the mail), sets up
//! TOTP with e-mail + password, then logs in with e-mail, password and TOTP code to get a token.

use axum::extract::State;
use axum::http::StatusCode;
use kyosai_domain::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiActor;
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

#[derive(Deserialize, ToSchema)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
/// The same answer whether or not the address was already registered (its owner is mailed).
pub struct SignedUp {
    pub message: String,
}

#[utoipa::path(post, path = "/api/v1/auth/signup", request_body = Credentials, tag = "auth",
    responses((status = 201, body = SignedUp), (status = 422, body = ErrorBody)))]
pub async fn signup(
    State(s): State<AppState>,
    ApiJson(c): ApiJson<Credentials>,
) -> Result<(StatusCode, ApiJson<SignedUp>), ApiError> {
    s.app.sign_up(&c.email, &c.password).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(SignedUp {
            message: "確認用のメールを送信しました。メール内のリンクを開いてください。".into(),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyRequest {
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

#[utoipa::path(post, path = "/api/v1/auth/verify", request_body = VerifyRequest, tag = "auth",
    responses((status = 200, body = Done), (status = 422, body = ErrorBody)))]
pub async fn verify(
    State(s): State<AppState>,
    ApiJson(v): ApiJson<VerifyRequest>,
) -> Result<ApiJson<Done>, ApiError> {
    s.app.verify_email(&v.token).await?;
    Ok(ApiJson(Done { ok: true }))
}

#[derive(Serialize, ToSchema)]
pub struct TotpSetupBody {
    pub secret: String,
    pub otpauth_url: String,
    pub qr_png_base64: String,
}

#[utoipa::path(post, path = "/api/v1/auth/totp/setup", request_body = Credentials, tag = "auth",
    responses((status = 200, body = TotpSetupBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn totp_setup(
    State(s): State<AppState>,
    ApiJson(c): ApiJson<Credentials>,
) -> Result<ApiJson<TotpSetupBody>, ApiError> {
    let user = s.app.check_credentials(&c.email, &c.password).await?;
    let t = s.app.begin_totp(user.id).await?;
    Ok(ApiJson(TotpSetupBody {
        secret: t.secret,
        otpauth_url: t.otpauth_url,
        qr_png_base64: t.qr_png_base64,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    pub totp_code: String,
}

#[utoipa::path(post, path = "/api/v1/auth/totp/confirm", request_body = LoginRequest, tag = "auth",
    responses((status = 200, body = Done), (status = 422, body = ErrorBody)))]
pub async fn totp_confirm(
    State(s): State<AppState>,
    ApiJson(l): ApiJson<LoginRequest>,
) -> Result<ApiJson<Done>, ApiError> {
    let user = s.app.check_credentials(&l.email, &l.password).await?;
    s.app.confirm_totp(user.id, &l.totp_code).await?;
    Ok(ApiJson(Done { ok: true }))
}

#[derive(Serialize, ToSchema)]
pub struct TokenBody {
    pub token: String,
    pub token_type: String,
    pub expires_in_hours: i64,
}

/// API tokens from a member login last as long as a web session.
const TOKEN_HOURS: i64 = kyosai_app::auth::SESSION_HOURS;

#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest, tag = "auth",
    responses((status = 200, body = TokenBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "too many attempts (per address, account or session)")))]
pub async fn login(
    State(s): State<AppState>,
    ApiJson(l): ApiJson<LoginRequest>,
) -> Result<ApiJson<TokenBody>, ApiError> {
    let user = s.app.check_credentials(&l.email, &l.password).await?;
    if !user.totp_enabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "totp_setup_required",
            "先に二段階認証（確認コードアプリ）を設定してください。",
        ));
    }
    s.app
        .login_second_factor(user.id, &l.totp_code, None)
        .await?;
    s.app.record_login(user.id, "api").await?;
    let token = s
        .app
        .issue_token(user.id, "api-login", Some(TOKEN_HOURS))
        .await?;
    Ok(ApiJson(TokenBody {
        token,
        token_type: "Bearer".into(),
        expires_in_hours: TOKEN_HOURS,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub role: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(ApiActor(a): ApiActor) -> ApiJson<Me> {
    ApiJson(Me {
        user_id: a.user_id,
        role: a.role.as_str().into(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct LoggedOut {
    /// Always true: the token is revoked.
    pub revoked: bool,
}

/// Ends the bearer token this request carries (API logout); the token answers 401 afterwards.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = LoggedOut), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: axum::http::HeaderMap,
) -> Result<ApiJson<LoggedOut>, ApiError> {
    let token = super::bearer(&headers).unwrap_or_default();
    s.app.end_token(&actor, token).await?;
    Ok(ApiJson(LoggedOut { revoked: true }))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Mails a password-reset link when the address has an account; the same answer either way.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", request_body = ResetRequest, tag = "auth",
    responses((status = 202, body = Done), (status = 429, body = ErrorBody)))]
pub async fn password_reset(
    State(s): State<AppState>,
    ApiJson(r): ApiJson<ResetRequest>,
) -> Result<(StatusCode, ApiJson<Done>), ApiError> {
    s.app.request_password_reset(&r.email).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(Done { ok: true })))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetConfirm {
    /// The token from the mailed link.
    pub token: String,
    pub password: String,
}

/// Sets a new password with the mailed token (once, within the hour); every session ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", request_body = ResetConfirm, tag = "auth",
    responses((status = 200, body = Done), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn password_reset_confirm(
    State(s): State<AppState>,
    ApiJson(r): ApiJson<ResetConfirm>,
) -> Result<ApiJson<Done>, ApiError> {
    s.app.reset_password(&r.token, &r.password).await?;
    Ok(ApiJson(Done { ok: true }))
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Shown this once: each can replace the TOTP code at one login. Earlier codes stop working.
    pub codes: Vec<String>,
}

/// New second-factor recovery codes for the logged-in user.
#[utoipa::path(post, path = "/api/v1/auth/recovery-codes", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn recovery_codes(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<ApiJson<RecoveryCodes>, ApiError> {
    Ok(ApiJson(RecoveryCodes {
        codes: s.app.new_recovery_codes(&actor).await?,
    }))
}
