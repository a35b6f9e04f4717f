//! Billing notices (sent once per contract and kind) and whom to write to about a contract.

use kyosai_domain::{ContractId, UserId};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::bulk::{
    Cell, POSTGRES_ROWS, ROWS_PER_INSERT, array_literal, is_sqlite, push_placeholders,
};
use crate::packed::Packing;
use crate::{Result, col};

/// Records notices (contract id, kind) once per contract and kind, with multi-row INSERTs;
/// returns the ones that are new (send them), by contract id.
///
/// On PostgreSQL one statement per 5,000 notices takes them as column arrays and answers the new
/// ones as one packed text (`crate::packed`): the first national run records 299,600 notices, which were 749
/// statements of 400 rows with a row decoded for each new notice (about 10 µs a row through the
/// `Any` driver).
pub async fn record_notices(
    conn: &mut AnyConnection,
    notices: &[(ContractId, &str)],
    month: &str,
    now: &str,
) -> Result<Vec<(ContractId, String)>> {
    let anonymous = is_sqlite(conn);
    let mut out = Vec::new();
    if !anonymous {
        let packing = Packing::of(conn);
        let sql = format!(
            "WITH n AS (INSERT INTO billing_notices (contract_id, kind, month, created_at) \
             SELECT c, k, $3, $4 FROM unnest($1::bigint[], $2::text[]) AS x(c, k) \
             ON CONFLICT (contract_id, kind) DO NOTHING RETURNING contract_id, kind) \
             SELECT {} AS j FROM n",
            packing.select("contract_id, kind")
        );
        for batch in notices.chunks(POSTGRES_ROWS) {
            let row = sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(array_literal(batch.iter().map(|(c, _)| Cell::Int(c.get()))))
                .bind(array_literal(batch.iter().map(|(_, k)| Cell::Text(k))))
                .bind(month)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?;
            let text: String = col(&row, "j")?;
            out.extend(packing.unpack::<(ContractId, String)>(&text, "billing notices")?);
        }
        out.sort();
        return Ok(out);
    }
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
///
/// A batch's contacts come back as one packed text (`crate::packed`; the first national run
/// writes to 341,000 members); PostgreSQL takes a batch's ids as one array.
pub async fn contacts(
    conn: &mut AnyConnection,
    contract_ids: &[ContractId],
) -> Result<std::collections::HashMap<ContractId, Contact>> {
    let anonymous = is_sqlite(conn);
    let packing = Packing::of(conn);
    let rows = packing.select("c.id, c.member_id, c.number, c.program, c.status, u.email");
    let mut out = std::collections::HashMap::with_capacity(contract_ids.len());
    let batch_size = if anonymous { 1_000 } else { POSTGRES_ROWS };
    for batch in contract_ids.chunks(batch_size) {
        let mut sql = format!(
            "SELECT {rows} AS j FROM contracts c JOIN users u ON u.id = c.member_id WHERE c.id "
        );
        let q = if anonymous {
            sql.push_str("IN ");
            push_placeholders(&mut sql, 1, batch.len(), anonymous);
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in batch {
                q = q.bind(*id);
            }
            q
        } else {
            sql.push_str("= ANY($1::bigint[])");
            sqlx::query(AssertSqlSafe(sql))
                .bind(array_literal(batch.iter().map(|c| Cell::Int(c.get()))))
        };
        let row = q.fetch_one(&mut *conn).await?;
        let text: String = col(&row, "j")?;
        type Packed = (ContractId, UserId, String, String, String, String);
        let packed: Vec<Packed> = packing.unpack(&text, "contacts")?;
        for (id, member_id, number, program, status, email) in packed {
            out.insert(
                id,
                Contact {
                    member_id,
                    number,
                    email,
                    program,
                    active: status == "active",
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
