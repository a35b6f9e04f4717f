//! What the staff security screen (`/staff/security`, issue #15) reads and does beyond the API
//! and CLI: revoking a token in the signed-in approver's name, and the pending second-factor
//! resets that wait for a second staff user.

use kyosai_store::recovery::{self, PendingFactorReset};

use crate::capability::Capability;
use crate::{Actor, App, AppError};

impl App {
    /// Revokes a live token (staff who manage tokens); false when no single live token has `id`.
    pub async fn revoke_token_as(&self, actor: &Actor, id: &str) -> Result<bool, AppError> {
        self.require(actor, Capability::ManageTokens).await?;
        self.revoke_token(&actor.audit_name(), id).await
    }

    /// Second-factor resets waiting for a second staff user, oldest first (staff reviewers).
    pub async fn pending_factor_resets(
        &self,
        actor: &Actor,
    ) -> Result<Vec<PendingFactorReset>, AppError> {
        self.require(actor, Capability::Review).await?;
        let mut conn = self.store.read().await?;
        Ok(recovery::pending_factor_resets(&mut conn).await?)
    }
}
