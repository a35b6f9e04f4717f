//! The portal inbox (table `notices`): a copy of every mail sent to a member, with its read state.

use kyosai_domain::{NoticeId, OutboxId, UserId};
use sqlx::AnyConnection;

use crate::bulk::{self, Cell};
use crate::{Result, col};

/// A notice to store: the mail `outbox_id` sent to `member_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice<'a> {
    pub member_id: UserId,
    pub outbox_id: OutboxId,
    pub subject: &'a str,
    pub body: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: NoticeId,
    pub member_id: UserId,
    pub outbox_id: OutboxId,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

const COLUMNS: &str = "id, member_id, outbox_id, subject, body, created_at, read_at";

fn notice(r: &sqlx::any::AnyRow) -> Result<Notice> {
    Ok(Notice {
        id: col(r, "id")?,
        member_id: col(r, "member_id")?,
        outbox_id: col(r, "outbox_id")?,
        subject: col(r, "subject")?,
        body: col(r, "body")?,
        created_at: col(r, "created_at")?,
        read_at: col(r, "read_at")?,
    })
}

/// Stores notices with multi-row INSERTs (a billing run or result import may send thousands).
pub async fn insert_many(
    conn: &mut AnyConnection,
    items: &[NewNotice<'_>],
    now: &str,
) -> Result<()> {
    bulk::insert(
        conn,
        "notices",
        &["member_id", "outbox_id", "subject", "body", "created_at"],
        items,
        |n| {
            vec![
                Cell::Int(n.member_id.get()),
                Cell::Int(n.outbox_id.get()),
                Cell::Text(n.subject),
                Cell::Text(n.body),
                Cell::Text(now),
            ]
        },
    )
    .await
}

/// One page of a member's notices, newest first.
pub async fn page(
    conn: &mut AnyConnection,
    member_id: UserId,
    limit: i64,
    offset: i64,
) -> Result<Vec<Notice>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notices WHERE member_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(member_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(notice).collect()
}

/// How many notices a member has, and how many of them are unread.
pub async fn counts(conn: &mut AnyConnection, member_id: UserId) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS total, CAST(COALESCE(SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS unread \
         FROM notices WHERE member_id = $1",
    )
    .bind(member_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((col(&row, "total")?, col(&row, "unread")?))
}

/// A member's notice; another member's is not found.
pub async fn get(
    conn: &mut AnyConnection,
    member_id: UserId,
    id: NoticeId,
) -> Result<Option<Notice>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notices WHERE id = $1 AND member_id = $2"
    )))
    .bind(id)
    .bind(member_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(notice).transpose()
}

/// Marks a member's notice read (the first reading time stays); false when it is not theirs.
pub async fn mark_read(
    conn: &mut AnyConnection,
    member_id: UserId,
    id: NoticeId,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE notices SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND member_id = $3",
    )
    .bind(now)
    .bind(id)
    .bind(member_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
