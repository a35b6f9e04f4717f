//! What the online-usage scorecard reads: applications counted by day and kind, lead times of
//! those a person decided (both from the rollup that triggers keep as applications are written,
//! migration 0029), and online journeys (started procedures).

use sqlx::{AnyConnection, AssertSqlSafe};

use crate::{Result, col};

/// Applications received on one UTC day (and half of it: `late` is received at or after 15:00
/// UTC, which is already the next day in Japan), of one kind, with how many there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub program: String,
    pub procedure: String,
    pub channel: String,
    pub status: String,
    /// Completed with no person deciding (`decided_by` empty).
    pub automatic: bool,
    /// A premium change carrying the decrease check.
    pub decrease: bool,
    /// `YYYY-MM-DD` in UTC.
    pub day: String,
    pub late: bool,
    pub count: i64,
}

/// The rollup rows of the applications received in `[from, to)`, where both are 15:00 UTC
/// (midnight in Japan, as the scorecard's months start): the rows of a UTC day count from its
/// `late` half at `from` and up to its early half at `to`. `AND (…)` for a rollup table.
const IN_RANGE: &str =
    "((day > $1 OR (day = $1 AND late = 1)) AND (day < $2 OR (day = $2 AND late = 0)))";

/// The UTC day of a stored timestamp at 15:00 UTC (a month start in Japan).
fn boundary_day(at: &str) -> Result<&str> {
    match (at.get(..10), at.get(10..)) {
        (Some(day), Some("T15:00:00Z")) => Ok(day),
        _ => Err(crate::StoreError::Corrupt(format!(
            "scorecard range {at:?}: not midnight in Japan"
        ))),
    }
}

/// Counts of the applications received in `[from, to)` (midnight in Japan, stored form),
/// grouped, from the rollup the `applications` triggers keep (migration 0029).
pub async fn day_counts(conn: &mut AnyConnection, from: &str, to: &str) -> Result<Vec<DayCount>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT program, procedure, channel, status, automatic, decrease, day, late, \
         CAST(SUM(n) AS BIGINT) AS n FROM scorecard_day_counts WHERE {IN_RANGE} \
         GROUP BY program, procedure, channel, status, automatic, decrease, day, late \
         HAVING SUM(n) > 0"
    )))
    .bind(boundary_day(from)?)
    .bind(boundary_day(to)?)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DayCount {
                program: col(r, "program")?,
                procedure: col(r, "procedure")?,
                channel: col(r, "channel")?,
                status: col(r, "status")?,
                automatic: col::<i64>(r, "automatic")? == 1,
                decrease: col::<i64>(r, "decrease")? == 1,
                day: col(r, "day")?,
                late: col::<i64>(r, "late")? == 1,
                count: col(r, "n")?,
            })
        })
        .collect()
}

/// The completed applications received in `[from, to)` that took any time (those decided at
/// once take none and are in [`day_counts`]): (channel, seconds, how many), from the rollup.
pub async fn lead_times(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT channel, seconds, CAST(SUM(n) AS BIGINT) AS n FROM scorecard_lead_times \
         WHERE {IN_RANGE} GROUP BY channel, seconds HAVING SUM(n) > 0"
    )))
    .bind(boundary_day(from)?)
    .bind(boundary_day(to)?)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "channel")?, col(r, "seconds")?, col(r, "n")?)))
        .collect()
}

/// Records a step of an online procedure: continues the member's open journey (one not yet
/// followed by an online application of the same procedure), or starts one.
pub async fn journey_step(
    conn: &mut AnyConnection,
    user_id: i64,
    program: &str,
    procedure: &str,
    step: i64,
    now: &str,
) -> Result<()> {
    let open = sqlx::query(
        "SELECT j.id FROM online_journeys j WHERE j.user_id = $1 AND j.program = $2 AND j.procedure = $3 \
         AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.member_id = j.user_id AND a.program = j.program \
         AND a.procedure = j.procedure AND a.channel = 'online' AND a.received_at >= j.started_at) \
         ORDER BY j.id DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(program)
    .bind(procedure)
    .fetch_optional(&mut *conn)
    .await?;
    match open {
        Some(r) => {
            let id: i64 = col(&r, "id")?;
            sqlx::query(
                "UPDATE online_journeys SET updated_at = $1, \
                 last_step = CASE WHEN last_step < $2 THEN $2 ELSE last_step END WHERE id = $3",
            )
            .bind(now)
            .bind(step)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO online_journeys (user_id, program, procedure, started_at, updated_at, last_step) \
                 VALUES ($1, $2, $3, $4, $4, $5)",
            )
            .bind(user_id)
            .bind(program)
            .bind(procedure)
            .bind(now)
            .bind(step)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Journeys started in `[from, to)`, by program, procedure, furthest step and whether an online
/// application followed: (program, procedure, last_step, finished, count).
pub async fn journeys(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, i64, bool, i64)>> {
    let rows = sqlx::query(
        "SELECT program, procedure, last_step, finished, COUNT(*) AS n FROM ( \
         SELECT j.program, j.procedure, j.last_step, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM applications a WHERE a.member_id = j.user_id \
         AND a.program = j.program AND a.procedure = j.procedure AND a.channel = 'online' \
         AND a.received_at >= j.started_at) THEN 1 ELSE 0 END AS BIGINT) AS finished \
         FROM online_journeys j WHERE j.started_at >= $1 AND j.started_at < $2) t \
         GROUP BY program, procedure, last_step, finished ORDER BY program, procedure, last_step",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "program")?,
                col(r, "procedure")?,
                col(r, "last_step")?,
                col::<i64>(r, "finished")? == 1,
                col(r, "n")?,
            ))
        })
        .collect()
}

/// Staff seconds on the review and data-entry screens submitted in `[from, to)`, per procedure
/// and channel of the application worked on: (procedure, channel, seconds).
pub async fn staff_seconds(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT procedure, channel, CAST(SUM(seconds) AS BIGINT) AS s FROM data_entry_time \
         WHERE submitted_at >= $1 AND submitted_at < $2 GROUP BY procedure, channel \
         ORDER BY procedure, channel",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "procedure")?, col(r, "channel")?, col(r, "s")?)))
        .collect()
}
