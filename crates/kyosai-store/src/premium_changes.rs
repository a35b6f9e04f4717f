//! 掛金月額変更 records made by the premium change procedure (REFERENCE §2.4). Billing reads
//! them through `billing::premium_changes_between` and [`late_settlements_between`].

use kyosai_domain::{ApplicationId, ContractId, YearMonth, Yen};
use sqlx::AnyConnection;

use crate::{Result, col};

/// A premium change to record.
#[derive(Debug, Clone)]
pub struct NewPremiumChange<'a> {
    pub contract_id: ContractId,
    pub effective_month: YearMonth,
    pub monthly_premium: Yen,
    /// The first month owed at the new premium while billed at the previous one, with that
    /// previous premium (see the 0008 migration).
    pub late: Option<(YearMonth, Yen)>,
    pub application_id: ApplicationId,
    pub now: &'a str,
}

/// Records a change. A later change with the same effective month replaces the earlier one (the
/// member changed their mind before the month was billed): one premium per month.
pub async fn upsert(conn: &mut AnyConnection, c: &NewPremiumChange<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO premium_changes (contract_id, effective_month, monthly_premium, created_at, \
         application_id, late_from, previous_premium) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (contract_id, effective_month) DO UPDATE SET \
         monthly_premium = excluded.monthly_premium, created_at = excluded.created_at, \
         application_id = excluded.application_id, late_from = excluded.late_from, \
         previous_premium = excluded.previous_premium",
    )
    .bind(c.contract_id)
    .bind(c.effective_month.to_string())
    .bind(c.monthly_premium.get())
    .bind(c.now)
    .bind(c.application_id)
    .bind(c.late.map(|(m, _)| m.to_string()))
    .bind(c.late.map(|(_, p)| p.get()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A change that settles late months, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLate {
    pub contract_id: ContractId,
    pub late_from: String,
    pub effective_month: String,
    pub previous_premium: i64,
    pub monthly_premium: i64,
}

/// The changes with late months to settle, for contracts in `from..=to`.
pub async fn late_settlements_between(
    conn: &mut AnyConnection,
    from: ContractId,
    to: ContractId,
) -> Result<Vec<StoredLate>> {
    let rows = sqlx::query(
        "SELECT contract_id, late_from, effective_month, previous_premium, monthly_premium \
         FROM premium_changes WHERE contract_id >= $1 AND contract_id <= $2 \
         AND late_from IS NOT NULL AND previous_premium IS NOT NULL",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredLate {
                contract_id: col(r, "contract_id")?,
                late_from: col(r, "late_from")?,
                effective_month: col(r, "effective_month")?,
                previous_premium: col(r, "previous_premium")?,
                monthly_premium: col(r, "monthly_premium")?,
            })
        })
        .collect()
}
