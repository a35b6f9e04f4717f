//! The portal inbox (お知らせ, issue #10 procedure 6): every mail Kyosai sent a member, readable
//! in the portal with the reference the mail carries and whether it was read. Mails get here
//! through [`crate::mail::send_to_members`], the one way Kyosai writes to members.

use kyosai_domain::NoticeId;
use kyosai_store::inbox;
use serde::Serialize;

use crate::{Actor, App, AppError};

/// Notices per page of `/portal/notices` and `GET /api/v1/notices`.
pub const NOTICES_PER_PAGE: i64 = 20;

/// One notice as the member reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeView {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: NoticeId,
    /// The mail's reference (お問い合わせ番号, e.g. `M00000042`), as printed in the mail.
    pub reference: String,
    pub subject: String,
    pub body: String,
    /// When it was sent (RFC 3339, UTC).
    pub sent_at: String,
    /// When the member first opened it; None while unread.
    pub read_at: Option<String>,
}

impl NoticeView {
    fn from_row(n: inbox::Notice) -> NoticeView {
        NoticeView {
            id: n.id,
            reference: crate::mail::reference(n.outbox_id),
            subject: n.subject,
            body: n.body,
            sent_at: n.created_at,
            read_at: n.read_at,
        }
    }

    pub fn unread(&self) -> bool {
        self.read_at.is_none()
    }
}

/// One page of a member's notices, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticePage {
    pub notices: Vec<NoticeView>,
    /// 1-based.
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub unread: i64,
}

impl App {
    /// Page `page` (1-based; out of range gives an empty page) of the actor's own notices.
    pub async fn inbox_page(&self, actor: &Actor, page: i64) -> Result<NoticePage, AppError> {
        let page = page.max(1);
        let mut conn = self.store.read().await?;
        let (total, unread) = inbox::counts(&mut conn, actor.user_id).await?;
        let rows = inbox::page(
            &mut conn,
            actor.user_id,
            NOTICES_PER_PAGE,
            (page - 1).saturating_mul(NOTICES_PER_PAGE),
        )
        .await?;
        Ok(NoticePage {
            notices: rows.into_iter().map(NoticeView::from_row).collect(),
            page,
            pages: ((total + NOTICES_PER_PAGE - 1) / NOTICES_PER_PAGE).max(1),
            total,
            unread,
        })
    }

    /// How many of the actor's notices are unread (the portal home shows it).
    pub async fn unread_notices(&self, actor: &Actor) -> Result<i64, AppError> {
        let mut conn = self.store.read().await?;
        Ok(inbox::counts(&mut conn, actor.user_id).await?.1)
    }

    /// Opens one of the actor's notices and marks it read. Another member's notice is not
    /// found (its existence is not revealed).
    pub async fn read_notice(&self, actor: &Actor, id: NoticeId) -> Result<NoticeView, AppError> {
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        if !inbox::mark_read(tx.conn(), actor.user_id, id, &now).await? {
            return Err(AppError::NotFound);
        }
        let n = inbox::get(tx.conn(), actor.user_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(NoticeView::from_row(n))
    }
}
