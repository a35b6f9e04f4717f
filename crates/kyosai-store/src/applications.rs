//! Applications (申請) of every procedure and channel, with their timestamps and outcome, so the
//! online usage rate and lead times can be computed from the data.

use sqlx::{AnyConnection, AssertSqlSafe};

use kyosai_domain::{
    AgencyId, ApplicationId, ApplicationStatus, Channel, ContractId, Procedure, Program, UserId,
};

use crate::{AnyRow, Result, col, typed};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: ApplicationId,
    pub program: Program,
    pub procedure: Procedure,
    pub channel: Channel,
    pub member_id: UserId,
    pub agency_id: Option<AgencyId>,
    pub status: ApplicationStatus,
    /// `approved`, `rejected` once decided.
    pub outcome: Option<String>,
    pub received_at: String,
    pub completed_at: Option<String>,
    pub rule_set: String,
    /// The submitted data as JSON (the input of every check).
    pub payload: String,
    /// The automatic checks' results as JSON.
    pub checks: String,
    pub contract_id: Option<ContractId>,
    pub edited_by: Option<UserId>,
    pub decided_by: Option<UserId>,
    pub decision_reason: Option<String>,
    pub person_key: String,
    pub version: i64,
}

const COLUMNS: &str = "id, program, procedure, channel, member_id, agency_id, status, outcome, received_at, \
    completed_at, rule_set, payload, checks, contract_id, edited_by, decided_by, decision_reason, person_key, version";

fn from_row(r: &AnyRow) -> Result<Application> {
    const T: &str = "applications";
    Ok(Application {
        id: col(r, "id")?,
        program: typed(r, T, "program", Program::parse)?,
        procedure: typed(r, T, "procedure", Procedure::parse)?,
        channel: typed(r, T, "channel", Channel::parse)?,
        member_id: col(r, "member_id")?,
        agency_id: col(r, "agency_id")?,
        status: typed(r, T, "status", ApplicationStatus::parse)?,
        outcome: col(r, "outcome")?,
        received_at: col(r, "received_at")?,
        completed_at: col(r, "completed_at")?,
        rule_set: col(r, "rule_set")?,
        payload: col(r, "payload")?,
        checks: col(r, "checks")?,
        contract_id: col(r, "contract_id")?,
        edited_by: col(r, "edited_by")?,
        decided_by: col(r, "decided_by")?,
        decision_reason: col(r, "decision_reason")?,
        person_key: col(r, "person_key")?,
        version: col(r, "version")?,
    })
}

pub struct NewApplication<'a> {
    pub program: &'a str,
    pub procedure: &'a str,
    pub channel: &'a str,
    pub member_id: UserId,
    pub agency_id: Option<AgencyId>,
    pub status: &'a str,
    pub outcome: Option<&'a str>,
    pub received_at: &'a str,
    pub completed_at: Option<&'a str>,
    pub rule_set: &'a str,
    pub payload: &'a str,
    pub checks: &'a str,
    pub person_key: &'a str,
}

/// Applications of a contract still waiting for staff, oldest first: (id, procedure). A second
/// maintenance procedure is refused while one is pending, so two changes never cross.
pub async fn in_review_for_contract(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Vec<(ApplicationId, Procedure)>> {
    let rows = sqlx::query(
        "SELECT id, procedure FROM applications WHERE contract_id = $1 AND status = 'in_review' ORDER BY id",
    )
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "id")?,
                typed(r, "applications", "procedure", Procedure::parse)?,
            ))
        })
        .collect()
}

/// Records the contract an application made or changed.
pub async fn link_contract(
    conn: &mut AnyConnection,
    id: ApplicationId,
    contract_id: ContractId,
) -> Result<()> {
    sqlx::query("UPDATE applications SET contract_id = $1 WHERE id = $2")
        .bind(contract_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn insert(conn: &mut AnyConnection, a: &NewApplication<'_>) -> Result<ApplicationId> {
    let row = sqlx::query(
        "INSERT INTO applications (program, procedure, channel, member_id, agency_id, status, outcome, received_at, \
         completed_at, rule_set, payload, checks, person_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(a.program)
    .bind(a.procedure)
    .bind(a.channel)
    .bind(a.member_id)
    .bind(a.agency_id)
    .bind(a.status)
    .bind(a.outcome)
    .bind(a.received_at)
    .bind(a.completed_at)
    .bind(a.rule_set)
    .bind(a.payload)
    .bind(a.checks)
    .bind(a.person_key)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

pub async fn get(conn: &mut AnyConnection, id: ApplicationId) -> Result<Option<Application>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM applications WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn for_member(conn: &mut AnyConnection, member_id: UserId) -> Result<Vec<Application>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM applications WHERE member_id = $1 ORDER BY id DESC"
    )))
    .bind(member_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Applications with `status`, oldest first or newest first, at most `limit`.
pub async fn with_status(
    conn: &mut AnyConnection,
    status: &str,
    newest_first: bool,
    limit: i64,
) -> Result<Vec<Application>> {
    let order = if newest_first {
        "received_at DESC, id DESC"
    } else {
        "received_at, id"
    };
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM applications WHERE status = $1 ORDER BY {order} LIMIT $2"
    )))
    .bind(status)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// What the store knows that decides whether a member may enroll in a program now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrollmentStanding {
    /// An application of the member for the program waits for staff (a second one would be a
    /// duplicate submission).
    pub pending: bool,
    /// The member already holds an active contract of the program.
    pub already_member: bool,
    /// Another member's contract or waiting application for the same person (name + birth
    /// date): a possible duplicate.
    pub person_elsewhere: bool,
}

/// The member's [`EnrollmentStanding`] in `program`, in one statement: the checks run inside
/// the enrollment's write transaction, which every enrollment waits for.
pub async fn enrollment_standing(
    conn: &mut AnyConnection,
    member_id: UserId,
    program: &str,
    person_key: &str,
) -> Result<EnrollmentStanding> {
    let row = sqlx::query(
        "SELECT \
         (SELECT COUNT(*) FROM applications WHERE member_id = $1 AND program = $2 AND status = 'in_review') AS pending, \
         (SELECT COUNT(*) FROM contracts WHERE member_id = $1 AND program = $2 AND status = 'active') AS active, \
         (SELECT COUNT(*) FROM contracts WHERE person_key = $3 AND member_id <> $1 AND program = $2) \
         + (SELECT COUNT(*) FROM applications WHERE person_key = $3 AND member_id <> $1 AND program = $2 AND status = 'in_review') AS elsewhere",
    )
    .bind(member_id)
    .bind(program)
    .bind(person_key)
    .fetch_one(&mut *conn)
    .await?;
    Ok(EnrollmentStanding {
        pending: col::<i64>(&row, "pending")? > 0,
        already_member: col::<i64>(&row, "active")? > 0,
        person_elsewhere: col::<i64>(&row, "elsewhere")? > 0,
    })
}

/// Optimistic update of a decided or edited application: fails (returns false) when someone else
/// changed it since `version` was read.
pub struct Update<'a> {
    pub id: ApplicationId,
    pub version: i64,
    pub status: &'a str,
    pub outcome: Option<&'a str>,
    pub completed_at: Option<&'a str>,
    pub payload: &'a str,
    pub checks: &'a str,
    pub contract_id: Option<ContractId>,
    pub edited_by: Option<UserId>,
    pub decided_by: Option<UserId>,
    pub decision_reason: Option<&'a str>,
}

pub async fn update(conn: &mut AnyConnection, u: &Update<'_>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE applications SET status = $1, outcome = $2, completed_at = $3, payload = $4, checks = $5, \
         contract_id = $6, edited_by = $7, decided_by = $8, decision_reason = $9, version = version + 1 \
         WHERE id = $10 AND version = $11",
    )
    .bind(u.status)
    .bind(u.outcome)
    .bind(u.completed_at)
    .bind(u.payload)
    .bind(u.checks)
    .bind(u.contract_id)
    .bind(u.edited_by)
    .bind(u.decided_by)
    .bind(u.decision_reason)
    .bind(u.id)
    .bind(u.version)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM applications")
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "n")
}
