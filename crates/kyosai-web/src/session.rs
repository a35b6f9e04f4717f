//! Cookie sessions for the HTML screens. The cookie carries an opaque random id (HttpOnly,
//! SameSite=Lax); the session lives in the database and gets a new id at every login.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::auth::Principal;
use kyosai_app::{Actor, Role};

use crate::AppState;

pub const COOKIE: &str = "kyosai_session";

pub fn cookie_value(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

pub fn set_cookie(id: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        kyosai_app::auth::SESSION_HOURS * 3600
    )
}

pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The logged-in user of a page, if any (with whether the second factor was given).
pub struct MaybeUser(pub Option<(Principal, bool)>, pub Option<String>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(cookie) = cookie_value(parts) else {
            return Ok(MaybeUser(None, None));
        };
        if state.db.is_down() {
            // Pages that work from rule data alone (calculators, the top page) are shown
            // anonymously while the database is down; pages that need the user are guarded.
            return Ok(MaybeUser(None, None));
        }
        match state.app.session(&cookie).await {
            Ok(s) => Ok(MaybeUser(s, Some(cookie))),
            Err(kyosai_app::AppError::Store(_)) if state.db.probe(&state.app).await => {
                Ok(MaybeUser(None, None))
            }
            Err(e) => Err(crate::error::ApiError::from(e).into_response()),
        }
    }
}

/// A fully logged-in user (password and TOTP); others are sent to the login page.
pub struct SignedIn {
    pub user: Principal,
    pub actor: Actor,
    pub cookie: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let MaybeUser(user, cookie) = MaybeUser::from_request_parts(parts, state).await?;
        match (user, cookie) {
            (Some((user, true)), Some(cookie)) => {
                let role = Role::parse(&user.role)
                    .ok_or_else(|| Redirect::to("/login").into_response())?;
                let actor = Actor {
                    user_id: user.id,
                    role,
                };
                Ok(SignedIn {
                    user,
                    actor,
                    cookie,
                })
            }
            (Some((user, false)), Some(_)) if !user.totp_enabled => {
                Err(Redirect::to("/account/totp").into_response())
            }
            (Some((_, false)), Some(_)) => Err(Redirect::to("/login/totp").into_response()),
            _ => Err(Redirect::to("/login").into_response()),
        }
    }
}
