//! What the online-usage scorecard reads: applications counted by month and kind, lead times of
//! those a person decided (both from the rollup that triggers keep as applications are written,
//! migration 0029), and online journeys (started procedures).

use kyosai_domain::UserId;
use sqlx::AnyConnection;

use crate::{Result, col};

/// Applications received in one month in Japan, of one kind, with how many there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCount {
    pub program: String,
    pub procedure: String,
    pub channel: String,
    pub status: String,
    /// Completed with no person deciding (`decided_by` empty).
    pub automatic: bool,
    /// A premium change carrying the decrease check.
    pub decrease: bool,
    /// `YYYY-MM`, the month in Japan of `received_at`.
    pub month: String,
    pub count: i64,
}

/// Counts of the applications received in the months `from..=to` (`YYYY-MM`, in Japan),
/// grouped, from the rollup the `applications` triggers keep (migration 0029).
pub async fn month_counts(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> Result<Vec<MonthCount>> {
    let rows = sqlx::query(
        "SELECT program, procedure, channel, status, automatic, decrease, month, \
         CAST(SUM(n) AS BIGINT) AS n FROM scorecard_month_counts WHERE month >= $1 AND month <= $2 \
         GROUP BY program, procedure, channel, status, automatic, decrease, month \
         HAVING SUM(n) > 0",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MonthCount {
                program: col(r, "program")?,
                procedure: col(r, "procedure")?,
                channel: col(r, "channel")?,
                status: col(r, "status")?,
                automatic: col::<i64>(r, "automatic")? == 1,
                decrease: col::<i64>(r, "decrease")? == 1,
                month: col(r, "month")?,
                count: col(r, "n")?,
            })
        })
        .collect()
}

/// The completed applications received in the months `from..=to` that took any time (those
/// decided at once take none and are in [`month_counts`]): (channel, seconds, how many).
pub async fn lead_times(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT channel, seconds, CAST(SUM(n) AS BIGINT) AS n FROM scorecard_lead_times \
         WHERE month >= $1 AND month <= $2 GROUP BY channel, seconds HAVING SUM(n) > 0",
    )
    .bind(from)
    .bind(to)
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
    user_id: UserId,
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
