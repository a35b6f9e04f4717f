//! The contact center's inquiry log (issue #14).

use kyosai_domain::{InquiryId, UserId};
use sqlx::AnyConnection;

use crate::{Result, col};

pub struct NewInquiry<'a> {
    pub operator_id: UserId,
    pub member_id: Option<UserId>,
    pub category: &'a str,
    pub outcome: &'a str,
    pub note: &'a str,
    pub now: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, i: &NewInquiry<'_>) -> Result<InquiryId> {
    let row = sqlx::query(
        "INSERT INTO inquiries (operator_id, member_id, category, outcome, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(i.operator_id)
    .bind(i.member_id)
    .bind(i.category)
    .bind(i.outcome)
    .bind(i.note)
    .bind(i.now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// Inquiries logged in `[from, to)` by category: (category, count).
pub async fn by_category(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT category, COUNT(*) AS n FROM inquiries WHERE created_at >= $1 AND created_at < $2 \
         GROUP BY category ORDER BY category",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "category")?, col(r, "n")?)))
        .collect()
}

/// Members holding an active contract now.
pub async fn members(conn: &mut AnyConnection) -> Result<i64> {
    let row =
        sqlx::query("SELECT COUNT(DISTINCT member_id) AS n FROM contracts WHERE status = 'active'")
            .fetch_one(&mut *conn)
            .await?;
    col(&row, "n")
}
