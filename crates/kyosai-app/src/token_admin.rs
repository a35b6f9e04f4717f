//! API tokens after issue (issue #15 item 4): staff see every token (never the secret), anyone
//! can end their own (API logout), and an operator revokes any from the CLI. Every revocation is
//! audited.

use kyosai_domain::UserId;
use kyosai_store::{sha256_hex, tokens};
use serde::Serialize;
use serde_json::json;

use crate::capability::Capability;
use crate::{Actor, App, AppError};

/// A token's lifetime when none is given: 30 days. A token that never expires outlives the
/// person or system it was made for.
pub const DEFAULT_TOKEN_HOURS: i64 = 24 * 30;
/// The longest lifetime a token may be given: one year.
pub const MAX_TOKEN_HOURS: i64 = 24 * 365;

/// A token in the staff list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenView {
    /// The first hex digits of the token's hash: its name for `kyosai token revoke`.
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub user_id: UserId,
    pub email: String,
    pub role: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl App {
    /// Every token, newest first (staff who manage tokens).
    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<TokenView>, AppError> {
        self.require(actor, Capability::ManageTokens).await?;
        self.all_tokens().await
    }

    /// Every token, for the operator's CLI (which has the database's rights anyway).
    pub async fn all_tokens(&self) -> Result<Vec<TokenView>, AppError> {
        let mut conn = self.store.read().await?;
        Ok(tokens::list(&mut conn)
            .await?
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                user_id: t.user_id,
                email: t.email,
                role: t.role,
                name: t.name,
                created_at: t.created_at,
                expires_at: t.expires_at,
                revoked_at: t.revoked_at,
            })
            .collect())
    }

    /// Revokes the live token named by `id` (a prefix of its hash, as listed); false when no
    /// single live token has it.
    pub async fn revoke_token(&self, by: &str, id: &str) -> Result<bool, AppError> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() < 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::invalid(
                "id",
                "format",
                "トークンIDは一覧に表示される16進数（8桁以上）で指定してください。",
            ));
        }
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let Some(user_id) = tokens::revoke_by_id(tx.conn(), &id, &now).await? else {
            return Ok(false);
        };
        self.audit(
            tx.conn(),
            by,
            "token.revoked",
            &format!("user:{user_id}"),
            None,
            Some(&json!({ "token": id })),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// API logout: ends the bearer token the request came with.
    pub async fn end_token(&self, actor: &Actor, token: &str) -> Result<(), AppError> {
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        if tokens::revoke(tx.conn(), &sha256_hex(token.as_bytes()), &now).await? {
            self.audit(
                tx.conn(),
                &actor.audit_name(),
                "user.logged_out",
                &actor.audit_name(),
                None,
                Some(&json!({ "via": "api" })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
