//! Billing notices (sent once per contract and kind) and whom to write to about a contract.

use kyosai_domain::{ContractId, UserId};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::bulk::{ROWS_PER_INSERT, is_sqlite, push_placeholders};
use crate::{Result, col};

/// Records notices (contract id, kind) once per contract and kind, with multi-row INSERTs;
/// returns the ones that are new (send them), by contract id.
pub async fn record_notices(
    conn: &mut AnyConnection,
    notices: &[(ContractId, &str)],
    month: &str,
    now: &str,
) -> Result<Vec<(ContractId, String)>> {
    let anonymous = is_sqlite(conn);
    let mut out = Vec::new();
    for batch in notices.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO billing_notices (contract_id, kind, month, created_at) VALUES ",
        );
        push_placeholders(&mut sql, batch.len(), 4, anonymous);
        sql.push_str(" ON CONFLICT (contract_id, kind) DO NOTHING RETURNING contract_id, kind");
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (cid, kind) in batch {
            q = q.bind(*cid).bind(*kind).bind(month).bind(now);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push((col(&r, "contract_id")?, col(&r, "kind")?));
        }
    }
    out.sort();
    Ok(out)
}

/// Who to write to about a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The member, whose portal inbox keeps a copy of every mail.
    pub member_id: UserId,
    pub number: String,
    pub email: String,
    pub program: String,
    /// False once the contract has ended (cancelled, claimed): nothing is debited any more.
    pub active: bool,
}

/// The contact of several contracts, by contract id.
pub async fn contacts(
    conn: &mut AnyConnection,
    contract_ids: &[ContractId],
) -> Result<std::collections::HashMap<ContractId, Contact>> {
    let anonymous = is_sqlite(conn);
    let mut out = std::collections::HashMap::with_capacity(contract_ids.len());
    for batch in contract_ids.chunks(1_000) {
        let mut sql = String::from(
            "SELECT c.id, c.member_id, c.number, c.program, c.status, u.email FROM contracts c JOIN users u ON u.id = c.member_id WHERE c.id IN ",
        );
        let mut ph = String::new();
        push_placeholders(&mut ph, 1, batch.len(), anonymous);
        sql.push_str(&ph);
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in batch {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(
                col(&r, "id")?,
                Contact {
                    member_id: col(&r, "member_id")?,
                    number: col(&r, "number")?,
                    email: col(&r, "email")?,
                    program: col(&r, "program")?,
                    active: col::<String>(&r, "status")? == "active",
                },
            );
        }
    }
    Ok(out)
}

/// Whom to write to about one contract: (member id, member e-mail).
pub async fn contact(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Option<(UserId, String)>> {
    let row = sqlx::query(
        "SELECT c.member_id, u.email FROM contracts c JOIN users u ON u.id = c.member_id WHERE c.id = $1",
    )
    .bind(contract_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref()
        .map(|r| Ok((col(r, "member_id")?, col(r, "email")?)))
        .transpose()
}
