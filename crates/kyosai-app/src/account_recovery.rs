//! Getting back into an account without the phone line (issue #15 item 5; ASVS 2.5):
//! - a password reset by a one-time mailed link (the same answer whether or not the address
//!   has an account);
//! - second-factor recovery codes: shown once, stored hashed, each used once at login;
//! - a staff-assisted second-factor reset after an identity checklist, recorded by one staff
//!   user and confirmed by another (an approver), audited, with a mail to the member.

use jiff::SignedDuration;
use kyosai_domain::{FactorResetId, UserId};
use kyosai_store::{login_throttle, recovery, sha256_hex, timestamp_text, users};
use rand::RngCore;
use serde_json::json;

use crate::auth::{check_password, hash_password, random_token};
use crate::capability::Capability;
use crate::mail::{self, Mail};
use crate::{Actor, App, AppError};

/// A reset link is valid for an hour.
pub const RESET_MINUTES: i64 = 60;
/// How many recovery codes a member gets at a time.
pub const RECOVERY_CODES: usize = 10;

/// A recovery code as shown: `abcd-efgh-ijkl` (60 random bits, letters and digits without
/// look-alikes).
fn new_code() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed recovery code, normalised (case, spaces); None when it is not shaped like one.
pub fn recovery_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    (code.len() == 14 && code.matches('-').count() == 2).then_some(code)
}

/// What staff confirm before a second-factor reset (every item must be checked).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct IdentityChecklist {
    /// An identity document was seen and matches the registered name and address.
    pub identity_document: bool,
    /// The member was called back on the registered phone number.
    pub called_back_registered_phone: bool,
    /// The member gave the contract number and the registered bank account's last digits.
    pub contract_details_confirmed: bool,
}

impl IdentityChecklist {
    fn complete(&self) -> bool {
        self.identity_document
            && self.called_back_registered_phone
            && self.contract_details_confirmed
    }
}

impl App {
    /// Mails a reset link when the address has a verified account; the caller answers the same
    /// either way.
    pub async fn request_password_reset(&self, email: &str) -> Result<(), AppError> {
        let email = email.trim().to_lowercase();
        let now = self.clock.now();
        let now_text = timestamp_text(now);
        let mut tx = self.store.begin_write().await?;
        let Some(user) = users::by_email(tx.conn(), &email)
            .await?
            .filter(|u| u.email_verified)
        else {
            return Ok(());
        };
        let token = random_token();
        recovery::insert_reset(
            tx.conn(),
            &sha256_hex(token.as_bytes()),
            user.id,
            &timestamp_text(now + SignedDuration::from_mins(RESET_MINUTES)),
        )
        .await?;
        mail::enqueue(
            tx.conn(),
            &Mail {
                to: user.email.clone(),
                subject: "【共済】パスワードの再設定".into(),
                body: format!(
                    "パスワードの再設定のお申し出を受け付けました。\n\n次のリンクを{RESET_MINUTES}分以内に開いて、新しいパスワードを設定してください。\n{}/password/reset?token={token}\n\nお心当たりのない場合は、このメールを破棄してください。パスワードは変更されません。\n",
                    self.public_url
                ),
                attachments: Vec::new(),
            },
            &now_text,
        )
        .await?;
        let target = format!("user:{}", user.id);
        self.audit(
            tx.conn(),
            "anonymous",
            "user.password_reset_requested",
            &target,
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password from a reset link (once, within the hour): every session ends, the
    /// login limits are cleared, and the member is told by mail.
    pub async fn reset_password(&self, token: &str, password: &str) -> Result<(), AppError> {
        let invalid = || {
            AppError::invalid(
                "token",
                "invalid",
                "再設定用のリンクが無効か、有効期限が切れています。もう一度お申し込みください。",
            )
        };
        let now = self.clock.now_text();
        let hash_of_token = sha256_hex(token.trim().as_bytes());
        // The policy needs the address; look it up before spending the link.
        let user = {
            let mut tx = self.store.begin_write().await?;
            let Some(user_id) = recovery::consume_reset(tx.conn(), &hash_of_token, &now).await?
            else {
                return Err(invalid());
            };
            let user = users::by_id(tx.conn(), user_id)
                .await?
                .ok_or_else(invalid)?;
            // Not committed: the link stays usable until a valid password is given.
            drop(tx);
            user
        };
        check_password(password, &user.email)?;
        let hash = hash_password(password)?;
        let mut tx = self.store.begin_write().await?;
        if recovery::consume_reset(tx.conn(), &hash_of_token, &now)
            .await?
            .is_none()
        {
            return Err(invalid());
        }
        recovery::set_password(tx.conn(), user.id, &hash).await?;
        recovery::end_sessions(tx.conn(), user.id).await?;
        login_throttle::reset(tx.conn(), user.id).await?;
        mail::enqueue(
            tx.conn(),
            &Mail {
                to: user.email.clone(),
                subject: "【共済】パスワードを変更しました".into(),
                body: "パスワードの再設定が完了しました。すべての端末でログアウトしています。\n\nお心当たりのない場合は、至急機構までお問い合わせください。\n".into(),
                attachments: Vec::new(),
            },
            &now,
        )
        .await?;
        let target = format!("user:{}", user.id);
        self.audit(
            tx.conn(),
            &target,
            "user.password_reset",
            &target,
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// New recovery codes for a fully logged-in user, replacing any earlier ones. The codes are
    /// returned once, here; only their hashes are kept.
    pub async fn new_recovery_codes(&self, actor: &Actor) -> Result<Vec<String>, AppError> {
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(c.as_bytes())).collect();
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let user = users::by_id(tx.conn(), actor.user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !user.totp_enabled {
            return Err(AppError::conflict(
                "totp_not_enabled",
                "先に二段階認証を設定してください。",
            ));
        }
        recovery::replace_codes(tx.conn(), actor.user_id, &hashes, &now).await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "user.recovery_codes_issued",
            &actor.audit_name(),
            None,
            Some(&json!({ "count": RECOVERY_CODES })),
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Uses a recovery code as the second factor (once).
    pub(crate) async fn use_recovery_code(
        &self,
        user_id: UserId,
        code: &str,
    ) -> Result<bool, AppError> {
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let used =
            recovery::use_code(tx.conn(), user_id, &sha256_hex(code.as_bytes()), &now).await?;
        if used {
            let target = format!("user:{user_id}");
            self.audit(
                tx.conn(),
                &target,
                "user.recovery_code_used",
                &target,
                None,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(used)
    }

    /// A staff user records that a member proved who they are (every checklist item) and asks
    /// for their second factor to be reset; another staff user must confirm it.
    pub async fn request_second_factor_reset(
        &self,
        actor: &Actor,
        member_email: &str,
        checklist: &IdentityChecklist,
    ) -> Result<FactorResetId, AppError> {
        self.require(actor, Capability::Review).await?;
        if !checklist.complete() {
            return Err(AppError::invalid(
                "checklist",
                "incomplete",
                "本人確認の項目をすべて確認してください。",
            ));
        }
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let member = users::by_email(tx.conn(), &member_email.trim().to_lowercase())
            .await?
            .filter(|u| u.role == crate::Role::Member.as_str())
            .ok_or(AppError::NotFound)?;
        let text = serde_json::to_string(checklist).map_err(|e| AppError::Internal(e.into()))?;
        let id =
            recovery::insert_factor_reset(tx.conn(), member.id, actor.user_id, &text, &now).await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "user.second_factor_reset_requested",
            &format!("user:{}", member.id),
            None,
            Some(&json!({ "reset": id, "checklist": checklist })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A second staff user (an approver, not the one who asked) confirms the reset: the
    /// member's second factor and recovery codes are cleared, their sessions end, and they are
    /// mailed.
    pub async fn confirm_second_factor_reset(
        &self,
        actor: &Actor,
        id: FactorResetId,
    ) -> Result<(), AppError> {
        self.require(actor, Capability::Decide).await?;
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let reset = recovery::factor_reset(tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        if reset.requested_by == actor.user_id {
            return Err(AppError::conflict(
                "same_staff",
                "本人確認を記録した職員とは別の職員が確認してください。",
            ));
        }
        if !recovery::confirm_factor_reset(tx.conn(), id, actor.user_id, &now).await? {
            return Err(AppError::conflict(
                "already_confirmed",
                "この再設定はすでに確認済みです。",
            ));
        }
        recovery::clear_second_factor(tx.conn(), reset.user_id).await?;
        recovery::end_sessions(tx.conn(), reset.user_id).await?;
        let member = users::by_id(tx.conn(), reset.user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        mail::send_to_members(
            tx.conn(),
            &[(
                member.id,
                Mail {
                    to: member.email.clone(),
                    subject: "【共済】二段階認証をリセットしました".into(),
                    body: format!(
                        "ご本人確認のうえ、二段階認証（確認コードアプリ）の設定をリセットしました。\n次回ログイン時に、認証アプリの設定をやり直してください。\n{}/login\n\nお心当たりのない場合は、至急機構までお問い合わせください。\n",
                        self.public_url
                    ),
                    attachments: Vec::new(),
                },
            )],
            &now,
        )
        .await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "user.second_factor_reset",
            &format!("user:{}", reset.user_id),
            None,
            Some(&json!({ "reset": id, "requested_by": reset.requested_by })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_shaped_and_recognised() {
        let c = new_code();
        assert_eq!(recovery_code(&c.to_uppercase()), Some(c.clone()));
        assert_eq!(recovery_code("123456"), None);
        assert_ne!(new_code(), new_code());
    }
}
