//! Accounts, passwords (argon2id), e-mail verification, TOTP, sessions and bearer tokens.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use kyosai_domain::UserId;
use kyosai_store::{sessions, sha256_hex, timestamp_text, tokens, users};
use rand::RngCore;
use serde_json::json;
use totp_rs::{Builder, Secret, Totp};

use crate::mail::{self, Mail};
use crate::review::StaffPower;
use crate::{Actor, App, AppError, Role};

/// Sessions last 12 hours; an idle phone should not stay logged in for days.
pub const SESSION_HOURS: i64 = 12;
/// Verification links are valid for 24 hours.
pub const VERIFICATION_HOURS: i64 = 24;

/// A fresh random secret as URL-safe text (session ids, tokens, verification links).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn later(now: Timestamp, hours: i64) -> String {
    timestamp_text(now + SignedDuration::from_hours(hours))
}

/// Checks an e-mail address well enough to send a verification mail to it.
pub fn parse_email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::invalid(
            "email",
            "required",
            "メールアドレスを入力してください。",
        ));
    }
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains("..")
        })
        && email
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '<' && c != '>')
        && email.matches('@').count() == 1;
    if ok {
        Ok(email)
    } else {
        Err(AppError::invalid(
            "email",
            "format",
            "メールアドレスの形式が正しくありません。",
        ))
    }
}

pub use crate::password_policy::check_password;

pub fn hash_password(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}").into()))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a random password, verified against when the account does not exist so that
/// timing does not tell which e-mail addresses have accounts.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

impl App {
    /// Creates a member account and sends the verification link. The answer is the same
    /// whether or not the address is registered (issue #15 item 5): the owner of a verified
    /// account is mailed instead, and an unverified sign-up does not hold the address: a new
    /// sign-up replaces its password and gets a fresh link, so only who reads the mailbox gets in.
    pub async fn sign_up(&self, email: &str, password: &str) -> Result<(), AppError> {
        // Both fields are checked, so an empty form gets a message next to each.
        let email_checked = parse_email(email);
        let password_checked =
            check_password(password, email_checked.as_deref().unwrap_or(email.trim()));
        let email = match (email_checked, password_checked) {
            (Ok(email), Ok(())) => email,
            (email, password) => {
                let mut problems = Vec::new();
                for e in [email.err(), password.err()].into_iter().flatten() {
                    match e {
                        AppError::Invalid(fields) => problems.extend(fields),
                        other => return Err(other),
                    }
                }
                return Err(AppError::Invalid(problems));
            }
        };
        let hash = hash_password(password)?;
        let now = self.clock.now();
        let now_text = timestamp_text(now);
        let token = random_token();
        let mut tx = self.store.begin_write().await?;
        let id = match users::by_email(tx.conn(), &email).await? {
            Some(existing) if existing.email_verified => {
                mail::enqueue(
                    tx.conn(),
                    &Mail {
                        to: email.clone(),
                        subject: "【共済】このメールアドレスでの新規登録がありました".into(),
                        body: format!(
                            "このメールアドレスはすでに登録されているため、新しいアカウントは作成していません。\n\n\
                             ご本人のお手続きで、パスワードをお忘れの場合は、次のページから再設定できます。\n{}/password/forgot\n\n\
                             お心当たりのない場合は、このメールを破棄してください。アカウントは変更されていません。\n",
                            self.public_url
                        ),
                        attachments: Vec::new(),
                    },
                    &now_text,
                )
                .await?;
                self.audit(
                    tx.conn(),
                    "anonymous",
                    "user.signup_for_existing",
                    &format!("user:{}", existing.id),
                    None,
                    None,
                )
                .await?;
                tx.commit().await?;
                return Ok(());
            }
            Some(pending) => {
                users::replace_unverified_password(tx.conn(), pending.id, &hash).await?;
                pending.id
            }
            None => {
                users::insert(
                    tx.conn(),
                    &users::NewUser {
                        role: "member",
                        email: &email,
                        display_name: "",
                        password_hash: Some(&hash),
                        verified_at: None,
                        agency_id: None,
                        now: &now_text,
                    },
                )
                .await?
            }
        };
        users::insert_verification(
            tx.conn(),
            &sha256_hex(token.as_bytes()),
            id,
            &later(now, VERIFICATION_HOURS),
        )
        .await?;
        let link = format!("{}/verify?token={token}", self.public_url);
        mail::enqueue(
            tx.conn(),
            &Mail {
                to: email.clone(),
                subject: "【共済】メールアドレスの確認".into(),
                body: format!(
                    "共済オンライン手続きへのご登録ありがとうございます。\n\n\
                     次のリンクを開いて、メールアドレスの確認を完了してください（有効期限：{VERIFICATION_HOURS}時間）。\n\n{link}\n\n\
                     確認のあと、そのままご加入のお手続きに進めます（画面つきの説明：{}/help/enrollment）。\n\n\
                     お心当たりのない場合は、このメールを破棄してください。\n",
                    self.public_url
                ),
                attachments: Vec::new(),
            },
            &now_text,
        )
        .await?;
        self.audit(
            tx.conn(),
            &format!("user:{id}"),
            "user.signed_up",
            &format!("user:{id}"),
            None,
            Some(&json!({ "email": email })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Completes e-mail verification from the link.
    pub async fn verify_email(&self, token: &str) -> Result<UserId, AppError> {
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let Some(user_id) =
            users::consume_verification(tx.conn(), &sha256_hex(token.as_bytes()), &now).await?
        else {
            return Err(AppError::invalid(
                "token",
                "invalid",
                "確認用リンクが無効か、有効期限が切れています。もう一度登録してください。",
            ));
        };
        self.audit(
            tx.conn(),
            &format!("user:{user_id}"),
            "user.email_verified",
            &format!("user:{user_id}"),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// Checks e-mail and password. The same message for every failure, so it does not reveal
    /// which accounts exist.
    pub async fn check_credentials(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Principal, AppError> {
        let bad = || {
            AppError::invalid(
                "password",
                "credentials",
                "メールアドレスまたはパスワードが正しくありません。",
            )
        };
        let email = email.trim().to_lowercase();
        let mut conn = self.store.read().await?;
        let user = users::by_email(&mut conn, &email).await?;
        drop(conn);
        if let Some(u) = &user {
            self.guard_login(u.id).await?;
        }
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let ok = {
            let password = password.to_string();
            let hash = hash.clone();
            tokio::task::spawn_blocking(move || {
                verify_password(&password, hash.as_deref().unwrap_or(dummy_hash()))
            })
            .await
            .map_err(|e| AppError::Internal(e.into()))?
        };
        let Some(user) = user.as_ref().filter(|_| ok && hash.is_some()) else {
            match &user {
                Some(u) => {
                    self.record_login_failure(u.id, crate::login_guard::Failure::Password)
                        .await?
                }
                None => self.record_unknown_login(&email).await?,
            }
            return Err(bad());
        };
        if !user.email_verified {
            return Err(AppError::invalid(
                "email",
                "unverified",
                "メールアドレスの確認が済んでいません。届いたメールのリンクを開いてください。",
            ));
        }
        Ok(Principal::from(user))
    }

    /// The TOTP set-up to show: the secret already stored, so a page shown again (reload, wrong
    /// code) keeps the one the member may already have scanned, or else a new one.
    pub async fn totp_setup(&self, user_id: UserId) -> Result<TotpSetup, AppError> {
        let mut conn = self.store.read().await?;
        let user = users::by_id(&mut conn, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        drop(conn);
        match &user.totp_secret {
            Some(secret) => totp_setup_for(secret, &user.email),
            None => self.begin_totp(user_id).await,
        }
    }

    /// Starts (or restarts) TOTP set-up: a new secret to show as QR code and text.
    pub async fn begin_totp(&self, user_id: UserId) -> Result<TotpSetup, AppError> {
        let mut tx = self.store.begin_write().await?;
        let user = users::by_id(tx.conn(), user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if user.totp_enabled {
            return Err(AppError::conflict(
                "totp_enabled",
                "二段階認証はすでに設定済みです。",
            ));
        }
        let mut secret = [0u8; 20];
        rand::rng().fill_bytes(&mut secret);
        let totp = build_totp(Secret::from(secret.to_vec()), &user.email)?;
        let base32 = totp.secret().to_base32();
        users::set_totp_secret(tx.conn(), user_id, &base32).await?;
        tx.commit().await?;
        Ok(TotpSetup {
            secret: base32,
            otpauth_url: totp.to_url().map_err(|e| AppError::Internal(e.into()))?,
            qr_png_base64: totp
                .to_qr_base64()
                .map_err(|e| AppError::Internal(e.into()))?,
        })
    }

    /// Confirms TOTP set-up with a first code from the authenticator app.
    pub async fn confirm_totp(&self, user_id: UserId, code: &str) -> Result<(), AppError> {
        self.check_totp(user_id, code, true).await
    }

    /// Checks a TOTP code; each time step is accepted once (a replayed code is refused).
    pub async fn check_totp(
        &self,
        user_id: UserId,
        code: &str,
        enabling: bool,
    ) -> Result<(), AppError> {
        let bad = |m: &str| AppError::invalid("totp_code", "totp", m.to_string());
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("確認コードは6桁の数字で入力してください。"));
        }
        let mut tx = self.store.begin_write().await?;
        let user = users::by_id(tx.conn(), user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let Some(secret) = user.totp_secret.clone() else {
            return Err(bad("二段階認証が設定されていません。"));
        };
        if user.totp_enabled == enabling {
            return Err(bad(if enabling {
                "二段階認証はすでに設定済みです。"
            } else {
                "二段階認証が設定されていません。"
            }));
        }
        let secret = Secret::try_from_base32(&secret).map_err(|e| AppError::Internal(e.into()))?;
        let totp = build_totp(secret, &user.email)?;
        let now = u64::try_from(self.clock.now().as_second()).unwrap_or(0);
        let Some(step) = totp.check(&code, now) else {
            return Err(bad(
                "確認コードが正しくありません。アプリに表示されている最新のコードを入力してください。",
            ));
        };
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        if !users::use_totp_step(tx.conn(), user_id, step).await? {
            return Err(bad(
                "この確認コードはすでに使われています。次のコードが表示されるまでお待ちください。",
            ));
        }
        if enabling {
            users::enable_totp(tx.conn(), user_id).await?;
            self.audit(
                tx.conn(),
                &format!("user:{user_id}"),
                "user.totp_enabled",
                &format!("user:{user_id}"),
                None,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Creates a session and returns the cookie value (a new id on every login: rotation). A
    /// session without the second factor lives only minutes
    /// ([`crate::login_guard::HALF_SESSION_MINUTES`]).
    pub async fn create_session(
        &self,
        user_id: UserId,
        mfa_done: bool,
    ) -> Result<String, AppError> {
        let id = random_token();
        let now = self.clock.now();
        let expires = if mfa_done {
            later(now, SESSION_HOURS)
        } else {
            timestamp_text(
                now + SignedDuration::from_mins(crate::login_guard::HALF_SESSION_MINUTES),
            )
        };
        let mut tx = self.store.begin_write().await?;
        sessions::insert(
            tx.conn(),
            &sha256_hex(id.as_bytes()),
            sessions::Session { user_id, mfa_done },
            &timestamp_text(now),
            &expires,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The user of a session cookie, with whether the second factor was given.
    pub async fn session(&self, cookie: &str) -> Result<Option<(Principal, bool)>, AppError> {
        let mut conn = self.store.read().await?;
        let Some(s) = sessions::get(
            &mut conn,
            &sha256_hex(cookie.as_bytes()),
            &self.clock.now_text(),
        )
        .await?
        else {
            return Ok(None);
        };
        Ok(users::by_id(&mut conn, s.user_id)
            .await?
            .map(|u| (Principal::from(&u), s.mfa_done)))
    }

    /// Ends a session at the member's request (audited; [`App::end_session`] is the silent
    /// end of a rotated session).
    pub async fn logout(&self, cookie: &str) -> Result<(), AppError> {
        let hash = sha256_hex(cookie.as_bytes());
        let mut tx = self.store.begin_write().await?;
        if let Some(s) = sessions::get(tx.conn(), &hash, &self.clock.now_text()).await? {
            let target = format!("user:{}", s.user_id);
            self.audit(
                tx.conn(),
                &target,
                "user.logged_out",
                &target,
                None,
                Some(&json!({ "via": "pages" })),
            )
            .await?;
        }
        sessions::delete(tx.conn(), &hash).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn end_session(&self, cookie: &str) -> Result<(), AppError> {
        let mut tx = self.store.begin_write().await?;
        sessions::delete(tx.conn(), &sha256_hex(cookie.as_bytes())).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Issues a bearer token for a user (members after a full login; staff and service accounts
    /// from the CLI). Only the hash is stored. Every token expires: after `valid_hours`, or
    /// [`crate::token_admin::DEFAULT_TOKEN_HOURS`], at most
    /// [`crate::token_admin::MAX_TOKEN_HOURS`].
    pub async fn issue_token(
        &self,
        user_id: UserId,
        name: &str,
        valid_hours: Option<i64>,
    ) -> Result<String, AppError> {
        use crate::token_admin::{DEFAULT_TOKEN_HOURS, MAX_TOKEN_HOURS};
        let hours = valid_hours.unwrap_or(DEFAULT_TOKEN_HOURS);
        if !(1..=MAX_TOKEN_HOURS).contains(&hours) {
            return Err(AppError::invalid(
                "hours",
                "range",
                format!("トークンの有効期間は1〜{MAX_TOKEN_HOURS}時間で指定してください。"),
            ));
        }
        let valid_hours = Some(hours);
        let token = format!("ky_{}", random_token());
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        tokens::insert(
            tx.conn(),
            &sha256_hex(token.as_bytes()),
            user_id,
            name,
            &timestamp_text(now),
            valid_hours.map(|h| later(now, h)).as_deref(),
        )
        .await?;
        let target = format!("user:{user_id}");
        self.audit(
            tx.conn(),
            &target,
            "token.issued",
            &target,
            None,
            Some(&json!({ "name": name, "valid_hours": valid_hours })),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The actor behind a bearer token.
    pub async fn token_actor(&self, token: &str) -> Result<Option<Actor>, AppError> {
        let mut conn = self.store.read().await?;
        let Some(user_id) = tokens::user_for(
            &mut conn,
            &sha256_hex(token.as_bytes()),
            &self.clock.now_text(),
        )
        .await?
        else {
            return Ok(None);
        };
        let user = users::by_id(&mut conn, user_id).await?;
        Ok(user.and_then(|u| {
            Role::parse(&u.role).map(|role| Actor {
                user_id: u.id,
                role,
            })
        }))
    }

    /// Creates an account that needs no e-mail verification (staff, agency users, service
    /// accounts; created by an operator).
    pub async fn create_account(
        &self,
        role: Role,
        email: &str,
        display_name: &str,
        password: Option<&str>,
    ) -> Result<UserId, AppError> {
        let email = parse_email(email)?;
        let hash = match password {
            Some(p) => {
                check_password(p, &email)?;
                Some(hash_password(p)?)
            }
            None => None,
        };
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let id = users::insert(
            tx.conn(),
            &users::NewUser {
                role: role.as_str(),
                email: &email,
                display_name,
                password_hash: hash.as_deref(),
                verified_at: Some(&now),
                agency_id: None,
                now: &now,
            },
        )
        .await?;
        if role == Role::Staff {
            // Staff decide unless made reviewers (App::set_staff_power).
            users::set_staff_power(tx.conn(), id, StaffPower::Approver.as_str(), &now).await?;
        }
        self.audit(
            tx.conn(),
            "system",
            "user.created",
            &format!("user:{id}"),
            None,
            Some(&json!({ "email": email, "role": role.as_str() })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<Principal>, AppError> {
        let mut conn = self.store.read().await?;
        let user = users::by_email(&mut conn, &email.trim().to_lowercase()).await?;
        Ok(user.as_ref().map(Principal::from))
    }

    /// `email（display name）` of a user, for histories on staff screens (`利用者{id}` when the
    /// account is gone).
    pub async fn user_label(&self, id: UserId) -> Result<String, AppError> {
        let mut conn = self.store.read().await?;
        Ok(match users::by_id(&mut conn, id).await? {
            Some(u) if u.display_name.is_empty() => u.email,
            Some(u) => format!("{}（{}）", u.email, u.display_name),
            None => format!("利用者{id}"),
        })
    }

    /// Appends an audit row inside the caller's transaction.
    pub(crate) async fn audit(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &str,
        action: &str,
        target: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> Result<(), AppError> {
        let at = self.clock.now_text();
        kyosai_store::audit::append(
            conn,
            self.store.audit_key(),
            &kyosai_store::audit::Entry {
                actor,
                action,
                target,
                before,
                after,
                at: &at,
            },
        )
        .await?;
        Ok(())
    }
}

/// A user as the screens and the API see them: who, in which role, whether the second factor is
/// set up. No password hash and no TOTP secret leave the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: UserId,
    /// `member`, `staff`, … as stored (a session with an unknown role is not signed in).
    pub role: String,
    pub email: String,
    pub display_name: String,
    pub totp_enabled: bool,
}

impl From<&users::User> for Principal {
    fn from(u: &users::User) -> Principal {
        Principal {
            id: u.id,
            role: u.role.clone(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            totp_enabled: u.totp_enabled,
        }
    }
}

/// What a member needs to add Kyosai to an authenticator app.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TotpSetup {
    /// Base32 secret, for typing in by hand.
    pub secret: String,
    pub otpauth_url: String,
    /// PNG of the QR code, base64.
    pub qr_png_base64: String,
}

fn build_totp(secret: Secret, email: &str) -> Result<Totp, AppError> {
    Builder::new()
        .with_secret(secret)
        .with_account_name(email)
        .with_issuer(Some("Kyosai"))
        .build()
        .map_err(|e| AppError::Internal(e.into()))
}

/// The set-up view (QR code, URL) of a secret already stored by [`App::begin_totp`].
fn totp_setup_for(secret_base32: &str, email: &str) -> Result<TotpSetup, AppError> {
    let secret =
        Secret::try_from_base32(secret_base32).map_err(|e| AppError::Internal(e.into()))?;
    let totp = build_totp(secret, email)?;
    Ok(TotpSetup {
        secret: secret_base32.to_string(),
        otpauth_url: totp.to_url().map_err(|e| AppError::Internal(e.into()))?,
        qr_png_base64: totp
            .to_qr_base64()
            .map_err(|e| AppError::Internal(e.into()))?,
    })
}

/// The current TOTP code for a base32 secret (demo output and tests).
pub fn totp_code(secret_base32: &str, email: &str, at: Timestamp) -> Result<String, AppError> {
    let secret =
        Secret::try_from_base32(secret_base32).map_err(|e| AppError::Internal(e.into()))?;
    let totp = build_totp(secret, email)?;
    Ok(totp
        .generate(u64::try_from(at.as_second()).unwrap_or(0))
        .to_string())
}

impl App {
    /// Sets what a staff user may do (a reviewer prepares, an approver decides); audited.
    pub async fn set_staff_power(
        &self,
        granted_by: &str,
        user_id: UserId,
        power: StaffPower,
    ) -> Result<(), AppError> {
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let user = users::by_id(tx.conn(), user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if user.role != Role::Staff.as_str() {
            return Err(AppError::conflict("not_staff", "職員ではありません。"));
        }
        users::set_staff_power(tx.conn(), user_id, power.as_str(), &now).await?;
        self.audit(
            tx.conn(),
            granted_by,
            "staff.power_set",
            &format!("user:{user_id}"),
            None,
            Some(&json!({ "power": power.as_str() })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A staff user's power (None for anyone else), for screens that offer only what the user may do.
    pub async fn staff_power(&self, actor: &Actor) -> Result<Option<StaffPower>, AppError> {
        if actor.role != Role::Staff {
            return Ok(None);
        }
        let mut conn = self.store.read().await?;
        Ok(users::staff_power(&mut conn, actor.user_id)
            .await?
            .as_deref()
            .and_then(StaffPower::parse))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(parse_email(" Taro@Example.JP ").unwrap(), "taro@example.jp");
        for bad in [
            "",
            "a",
            "a@b",
            "@b.jp",
            "a@.jp",
            "a@b.jp.",
            "a b@c.jp",
            "a@@b.jp",
            "<a@b.jp>",
            "a..b@c.jp",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse 1").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse 1", &h));
        assert!(!verify_password("correct horse 2", &h));
    }
}
