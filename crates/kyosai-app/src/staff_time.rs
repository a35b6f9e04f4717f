//! Staff time on the review screen (issue #14 item 5: staff minutes per procedure by channel,
//! the scorecard's cost measure). The screen carries the moment it was opened; when the staff
//! user decides, the time from opening to deciding is recorded against the application's
//! procedure and channel, beside the data-entry screens' time (`data_entry_time`).

use kyosai_domain::ApplicationId;
use kyosai_store::{applications, paper};

use crate::{Actor, App, AppError};

/// A screen left open (lunch, the next morning) is not work: longer stretches count as this.
pub const MAX_SCREEN_SECONDS: i64 = 3600;

impl App {
    /// Records the staff time of a decision taken on the review screen opened at `opened_at`
    /// (the timestamp the screen carried). A value the screen did not make is ignored: the
    /// decision stands, only its time is not counted.
    pub async fn record_review_time(
        &self,
        actor: &Actor,
        application_id: ApplicationId,
        opened_at: &str,
    ) -> Result<(), AppError> {
        crate::review::require_staff(actor)?;
        let Ok(opened) = opened_at.parse::<jiff::Timestamp>() else {
            return Ok(());
        };
        let now = self.clock.now();
        let seconds = (now.as_second() - opened.as_second()).clamp(0, MAX_SCREEN_SECONDS);
        let mut tx = self.store.begin_write().await?;
        let a = applications::get(tx.conn(), application_id)
            .await?
            .ok_or(AppError::NotFound)?;
        paper::insert_entry_time(
            tx.conn(),
            &paper::EntryTime {
                screen: "review",
                paper_form_id: None,
                procedure: a.procedure.as_str(),
                channel: a.channel.as_str(),
                user_id: actor.user_id,
                opened_at: &kyosai_store::timestamp_text(opened),
                submitted_at: &self.clock.now_text(),
                seconds,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
