//! The access log the personal-information rules expect (個人情報保護法 安全管理措置; issue #15
//! item 3): every time someone other than the member reads a member's personal data (staff on
//! a screen, a service through the API), who looked at whom, what and when goes into the audit
//! log, in its own transaction before the data is returned.

use kyosai_domain::UserId;
use serde_json::json;

use crate::{Actor, App, AppError, Role};

impl App {
    /// Records that `actor` read `view` (`application`, `contract`, `billing`, `details`) of
    /// member `member_id`'s `subject` (an application id, a contract number). A member reading
    /// their own data is not logged.
    pub(crate) async fn log_personal_data_view(
        &self,
        actor: &Actor,
        member_id: UserId,
        view: &str,
        subject: &str,
    ) -> Result<(), AppError> {
        if actor.role == Role::Member && actor.user_id == member_id {
            return Ok(());
        }
        let mut tx = self.store.begin_write().await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "personal_data.viewed",
            &format!("user:{member_id}"),
            None,
            Some(&json!({ "view": view, "subject": subject, "role": actor.role.as_str() })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
