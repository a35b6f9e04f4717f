//! The survey after a procedure (issue #14): one per application, reached by a short code.

use kyosai_domain::ApplicationId;
use sqlx::AnyConnection;

use crate::{Result, col};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub application_id: ApplicationId,
    pub code: String,
    pub procedure: String,
    pub program: String,
    pub answered: bool,
}

/// The survey code of an application, if one was issued.
pub async fn code_for(
    conn: &mut AnyConnection,
    application_id: ApplicationId,
) -> Result<Option<String>> {
    let row = sqlx::query("SELECT code FROM surveys WHERE application_id = $1")
        .bind(application_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| col(&r, "code")).transpose()
}

/// Issues `code` for an application; false when the code is taken (the caller draws another).
pub async fn insert(
    conn: &mut AnyConnection,
    application_id: ApplicationId,
    code: &str,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO surveys (application_id, code, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(application_id)
    .bind(code)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<Survey>> {
    let row = sqlx::query(
        "SELECT s.application_id, s.code, s.answered_at, a.procedure, a.program FROM surveys s \
         JOIN applications a ON a.id = s.application_id WHERE s.code = $1",
    )
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Survey {
            application_id: col(&r, "application_id")?,
            code: col(&r, "code")?,
            procedure: col(&r, "procedure")?,
            program: col(&r, "program")?,
            answered: col::<Option<String>>(&r, "answered_at")?.is_some(),
        })
    })
    .transpose()
}

/// Records the answer once; false when it was already answered.
pub async fn answer(
    conn: &mut AnyConnection,
    code: &str,
    satisfaction: i64,
    comment: Option<&str>,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE surveys SET satisfaction = $1, comment = $2, answered_at = $3 \
         WHERE code = $4 AND answered_at IS NULL",
    )
    .bind(satisfaction)
    .bind(comment)
    .bind(now)
    .bind(code)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Answers to the surveys of applications received in `[from, to)`, by whether the application
/// came online and by score: (online, satisfaction, count).
pub async fn results(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> Result<Vec<(bool, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT CAST(CASE WHEN a.channel = 'online' THEN 1 ELSE 0 END AS BIGINT) AS online, \
         s.satisfaction, COUNT(*) AS n FROM surveys s JOIN applications a ON a.id = s.application_id \
         WHERE a.received_at >= $1 AND a.received_at < $2 AND s.answered_at IS NOT NULL \
         GROUP BY 1, 2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col::<i64>(r, "online")? == 1,
                col(r, "satisfaction")?,
                col(r, "n")?,
            ))
        })
        .collect()
}
