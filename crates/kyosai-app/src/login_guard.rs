//! Per-account and per-session limits on logging in (issue #15 item 1; ASVS 2.2.1).
//!
//! The web layer limits requests per client address; that alone lets a script spread guesses
//! over many addresses, and lets one half-logged-in session try second-factor codes for hours.
//! So each account counts its consecutive failures (wrong password or wrong code):
//! - after [`FREE_FAILURES`] the next attempt must wait a delay that doubles with each further
//!   failure ([`delay_after`]), so a person who mistyped loses seconds and a script loses days;
//! - at [`LOCK_AFTER`] failures the account is locked for [`LOCK_MINUTES`] and its owner is
//!   mailed (someone may be guessing their password);
//! - a half-logged-in session (password given) lives [`HALF_SESSION_MINUTES`] and is ended after
//!   [`SESSION_TOTP_TRIES`] wrong codes, whatever address they come from.
//!
//! A complete login forgets the failures. Each failure is in the audit log.

use jiff::{SignedDuration, Timestamp};
use kyosai_domain::UserId;
use kyosai_store::{login_throttle, sha256_hex, timestamp_text};
use serde_json::json;

use crate::mail::{self, Mail};
use crate::{App, AppError};

/// Failures allowed without waiting (a person mistyping).
pub const FREE_FAILURES: i64 = 3;
/// Failures that lock the account.
pub const LOCK_AFTER: i64 = 10;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;
/// The longest growing delay between two attempts.
pub const MAX_DELAY_SECONDS: i64 = 300;
/// Wrong second-factor codes one half-logged-in session may send.
pub const SESSION_TOTP_TRIES: i64 = 5;
/// How long a session that has the password but not yet the second factor lives.
pub const HALF_SESSION_MINUTES: i64 = 10;

/// The wait after `failures` consecutive failures: none up to [`FREE_FAILURES`], then 1, 2, 4, …
/// seconds up to [`MAX_DELAY_SECONDS`].
pub fn delay_after(failures: i64) -> SignedDuration {
    if failures < FREE_FAILURES {
        return SignedDuration::ZERO;
    }
    let exp = u32::try_from((failures - FREE_FAILURES).min(16)).unwrap_or(16);
    SignedDuration::from_secs((1_i64 << exp).min(MAX_DELAY_SECONDS))
}

fn parse(ts: Option<&str>) -> Option<Timestamp> {
    ts.and_then(|t| t.parse::<Timestamp>().ok())
}

/// The answer while an account must wait: 429 with the seconds to wait.
fn wait(seconds: i64, locked: bool) -> AppError {
    AppError::TooManyAttempts {
        retry_after_seconds: seconds.max(1),
        message: if locked {
            format!(
                "ログインの失敗が続いたため、このアカウントへのログインを一時的に停止しています。{LOCK_MINUTES}分ほどしてからもう一度お試しください。"
            )
        } else {
            format!(
                "ログインの失敗が続いたため、{}秒ほど待ってからもう一度お試しください。",
                seconds.max(1)
            )
        },
    }
}

/// What a failure is: for the audit row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Password,
    SecondFactor,
}

impl Failure {
    fn as_str(self) -> &'static str {
        match self {
            Failure::Password => "password",
            Failure::SecondFactor => "totp",
        }
    }
}

impl App {
    /// Refuses an attempt on an account that is locked or still inside its growing delay.
    pub async fn guard_login(&self, user_id: UserId) -> Result<(), AppError> {
        let mut conn = self.store.read().await?;
        let Some(state) = login_throttle::account(&mut conn, user_id).await? else {
            return Ok(());
        };
        let now = self.clock.now();
        if let Some(until) = parse(state.locked_until.as_deref())
            && until > now
        {
            return Err(wait((until - now).as_secs(), true));
        }
        if let Some(last) = parse(state.last_failed_at.as_deref()) {
            let ready = last + delay_after(state.failed_logins);
            if ready > now {
                return Err(wait((ready - now).as_secs(), false));
            }
        }
        Ok(())
    }

    /// Counts a failed attempt on a known account (audited); at [`LOCK_AFTER`] locks it and
    /// mails the owner.
    pub async fn record_login_failure(
        &self,
        user_id: UserId,
        kind: Failure,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let now_text = timestamp_text(now);
        let mut tx = self.store.begin_write().await?;
        let failures = login_throttle::record_failure(tx.conn(), user_id, &now_text).await?;
        let target = format!("user:{user_id}");
        self.audit(
            tx.conn(),
            &target,
            "user.login_failed",
            &target,
            None,
            Some(&json!({ "factor": kind.as_str(), "consecutive": failures })),
        )
        .await?;
        if failures >= LOCK_AFTER {
            let until = timestamp_text(now + SignedDuration::from_mins(LOCK_MINUTES));
            login_throttle::lock(tx.conn(), user_id, &until).await?;
            self.audit(
                tx.conn(),
                "system",
                "user.locked",
                &target,
                None,
                Some(&json!({ "until": until, "failures": failures })),
            )
            .await?;
            if let Some(user) = kyosai_store::users::by_id(tx.conn(), user_id).await? {
                mail::enqueue(
                    tx.conn(),
                    &Mail {
                        to: user.email,
                        subject: "【共済】ログインを一時的に停止しました".into(),
                        body: format!(
                            "お客さまのアカウントで、ログインの失敗が{failures}回続きました。\
                             第三者がパスワードを試している可能性があるため、{LOCK_MINUTES}分間ログインを停止しました。\n\n\
                             お心当たりがない場合は、ログインできるようになってからパスワードを変更してください。\
                             お心当たりがある場合は、このメールへの対応は不要です。\n"
                        ),
                        attachments: Vec::new(),
                    },
                    &now_text,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// A failed login for an address without an account: audited (the address's hash only, so
    /// the log does not collect whatever people type into the field).
    pub async fn record_unknown_login(&self, email: &str) -> Result<(), AppError> {
        let mut tx = self.store.begin_write().await?;
        self.audit(
            tx.conn(),
            "anonymous",
            "user.login_failed",
            "user:unknown",
            None,
            Some(&json!({ "email_sha256": sha256_hex(email.trim().to_lowercase().as_bytes()) })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Both factors given: earlier failures are forgotten and the login is audited.
    pub async fn record_login(&self, user_id: UserId, via: &str) -> Result<(), AppError> {
        let mut tx = self.store.begin_write().await?;
        login_throttle::reset(tx.conn(), user_id).await?;
        let target = format!("user:{user_id}");
        self.audit(
            tx.conn(),
            &target,
            "user.logged_in",
            &target,
            None,
            Some(&json!({ "via": via })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The second factor of a login: the account's limits first, then the code (a TOTP code or
    /// a recovery code, see [`crate::account_recovery`]); a wrong code
    /// counts against the account and, for the pages, against the half-logged-in session
    /// (`session`: its cookie), which ends after [`SESSION_TOTP_TRIES`] wrong codes
    /// (`Unauthenticated`: log in again with the password).
    pub async fn login_second_factor(
        &self,
        user_id: UserId,
        code: &str,
        session: Option<&str>,
    ) -> Result<(), AppError> {
        self.guard_login(user_id).await?;
        let checked = match crate::account_recovery::recovery_code(code) {
            Some(rc) if self.use_recovery_code(user_id, &rc).await? => Ok(()),
            Some(_) => Err(AppError::invalid(
                "totp_code",
                "recovery_code",
                "回復用コードが正しくないか、すでに使われています。",
            )),
            None => self.check_totp(user_id, code, false).await,
        };
        match checked {
            Ok(()) => Ok(()),
            Err(AppError::Invalid(fields)) => {
                self.record_login_failure(user_id, Failure::SecondFactor)
                    .await?;
                if let Some(cookie) = session {
                    let hash = sha256_hex(cookie.as_bytes());
                    let mut tx = self.store.begin_write().await?;
                    let n = login_throttle::session_totp_failure(tx.conn(), &hash).await?;
                    if n >= SESSION_TOTP_TRIES {
                        kyosai_store::sessions::delete(tx.conn(), &hash).await?;
                        tx.commit().await?;
                        return Err(AppError::Unauthenticated);
                    }
                    tx.commit().await?;
                }
                Err(AppError::Invalid(fields))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_grows_and_is_capped() {
        assert_eq!(delay_after(0), SignedDuration::ZERO);
        assert_eq!(delay_after(FREE_FAILURES - 1), SignedDuration::ZERO);
        assert_eq!(delay_after(FREE_FAILURES), SignedDuration::from_secs(1));
        assert_eq!(delay_after(FREE_FAILURES + 3), SignedDuration::from_secs(8));
        assert_eq!(
            delay_after(1000),
            SignedDuration::from_secs(MAX_DELAY_SECONDS)
        );
    }
}
