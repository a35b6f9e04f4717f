//! Rows of the synthetic book of contracts (`kyosai dev generate`, benchmarks): its owner member
//! and application, and contracts with mandates and premium changes, written with multi-row
//! INSERTs of the batch the caller passes. Development only; opening balances go through
//! [`crate::ledger::append_openings`].

use kyosai_domain::{ApplicationId, ContractId, UserId};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::bulk::{is_sqlite, push_placeholders};
use crate::{Result, col};

/// Inserts the member and the completed paper application that own the book; returns
/// (member id, application id). `email` is also the application's person key.
pub async fn insert_owner(
    conn: &mut AnyConnection,
    email: &str,
    rule_set: &str,
    now: &str,
) -> Result<(UserId, ApplicationId)> {
    let row = sqlx::query(
        "INSERT INTO users (role, email, display_name, created_at) VALUES ('member', $1, '合成データ', $2) RETURNING id",
    )
    .bind(email)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let member_id: UserId = col(&row, "id")?;
    let row = sqlx::query(
        "INSERT INTO applications (program, procedure, channel, member_id, status, outcome, received_at, completed_at, \
         rule_set, payload, checks, person_key) VALUES ('small_enterprise', 'enrollment', 'paper', $1, 'completed', \
         'synthetic', $2, $2, $3, '{}', '[]', $4) RETURNING id",
    )
    .bind(member_id)
    .bind(now)
    .bind(rule_set)
    .bind(email)
    .fetch_one(&mut *conn)
    .await?;
    Ok((member_id, col(&row, "id")?))
}

/// Reserves `n` contract serials at once; returns the last one (the first is `last - n + 1`).
/// On PostgreSQL the block is taken from the sequence in one statement; an enrollment drawing a
/// serial at that very moment could get one of the block, and the book's insert would then
/// fail on the contract number's unique index (a synthetic book is made before serving).
pub async fn reserve_contract_serials(conn: &mut AnyConnection, n: i64) -> Result<i64> {
    let sql = if crate::bulk::is_sqlite(conn) {
        "UPDATE counters SET value = value + $1 WHERE name = 'contract_serial' RETURNING value"
    } else {
        "SELECT setval('contract_serial', nextval('contract_serial') + $1 - 1) AS value"
    };
    let row = sqlx::query(sql).bind(n).fetch_one(&mut *conn).await?;
    col(&row, "value")
}

/// A synthetic contract (active, held by 合成 契約者 of 合成商店, its number as person key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContract<'a> {
    pub number: &'a str,
    pub program: &'a str,
    pub member_id: UserId,
    pub application_id: ApplicationId,
    pub start_date: String,
    pub first_debit_month: String,
    pub monthly_premium: i64,
    pub frequency: &'a str,
    pub rule_set: &'a str,
    pub prepaid_until: Option<&'a str>,
    pub suspended_from: Option<&'a str>,
}

/// Inserts contracts in one statement; returns their ids in the order given.
pub async fn insert_contracts(
    conn: &mut AnyConnection,
    contracts: &[NewContract<'_>],
    now: &str,
) -> Result<Vec<ContractId>> {
    let mut sql = String::from(
        "INSERT INTO contracts (number, program, member_id, application_id, status, holder_name, business_name, \
         person_key, start_date, first_debit_month, monthly_premium, frequency, rule_set, created_at, prepaid_until, \
         suspended_from) VALUES ",
    );
    push_placeholders(&mut sql, contracts.len(), 16, is_sqlite(conn));
    sql.push_str(" RETURNING id");
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for c in contracts {
        q = q
            .bind(c.number.to_string())
            .bind(c.program)
            .bind(c.member_id)
            .bind(c.application_id)
            .bind("active")
            .bind("合成 契約者")
            .bind("合成商店")
            .bind(c.number.to_string())
            .bind(c.start_date.clone())
            .bind(c.first_debit_month.clone())
            .bind(c.monthly_premium)
            .bind(c.frequency)
            .bind(c.rule_set.to_string())
            .bind(now.to_string())
            .bind(c.prepaid_until.map(str::to_string))
            .bind(c.suspended_from.map(str::to_string));
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| col(r, "id"))
        .collect()
}

/// An active ordinary-account mandate of a synthetic contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMandate<'a> {
    pub contract_id: ContractId,
    pub bank_code: &'a str,
    pub branch_code: &'a str,
    pub account_number: &'a str,
    pub holder_kana: &'a str,
}

/// Inserts mandates in one statement.
pub async fn insert_mandates(
    conn: &mut AnyConnection,
    mandates: &[NewMandate<'_>],
    now: &str,
) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO mandates (contract_id, bank_code, branch_code, account_type, account_number, holder_kana, status, created_at) VALUES ",
    );
    push_placeholders(&mut sql, mandates.len(), 8, is_sqlite(conn));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for m in mandates {
        q = q
            .bind(m.contract_id)
            .bind(m.bank_code)
            .bind(m.branch_code)
            .bind("ordinary")
            .bind(m.account_number.to_string())
            .bind(m.holder_kana)
            .bind("active")
            .bind(now.to_string());
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Inserts premium changes (contract id, effective month, monthly premium) in one statement.
pub async fn insert_premium_changes(
    conn: &mut AnyConnection,
    changes: &[(ContractId, &str, i64)],
    now: &str,
) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO premium_changes (contract_id, effective_month, monthly_premium, created_at) VALUES ",
    );
    push_placeholders(&mut sql, changes.len(), 4, is_sqlite(conn));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (id, month, premium) in changes {
        q = q.bind(*id).bind(*month).bind(*premium).bind(now);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Brings the planner's statistics up to date after the book is written, as after any bulk
/// load. PostgreSQL only: its autovacuum analyses a table up to a minute after a load, and a
/// billing run planned before that sees empty tables and picks nested loops over whole tables
/// (measured: the first chunk of a 230,000-contract book ran for more than ten minutes instead
/// of 31 ms). SQLite's plans do not depend on statistics it was not given (the store never runs
/// ANALYZE there), so it has nothing to refresh.
pub async fn refresh_statistics(conn: &mut AnyConnection) -> Result<()> {
    if !is_sqlite(conn) {
        sqlx::query("ANALYZE contracts, mandates, premium_changes, billing_ledger, bill_lines")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
