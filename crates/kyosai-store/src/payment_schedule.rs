//! Payment frequency changes (払込区分, REFERENCE §2.5), 掛止め and 納付期限の延長 (REFERENCE §2.6)
//! of a contract: what billing reads on top of the contract's own frequency.

use sqlx::AnyConnection;

use kyosai_domain::billing::{Deferral, FrequencyChange};
use kyosai_domain::rules::PaymentFrequency;
use kyosai_domain::{ApplicationId, ContractId, YearMonth};

use crate::{Result, col, decode, month};

pub struct NewFrequencyChange<'a> {
    pub contract_id: ContractId,
    pub change: FrequencyChange,
    pub application_id: ApplicationId,
    pub now: &'a str,
}

/// Records a frequency change; a later change from the same month replaces it.
pub async fn insert_frequency_change(
    conn: &mut AnyConnection,
    c: &NewFrequencyChange<'_>,
) -> Result<()> {
    let from = c.change.from.to_string();
    sqlx::query("DELETE FROM frequency_changes WHERE contract_id = $1 AND effective_month >= $2")
        .bind(c.contract_id)
        .bind(&from)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO frequency_changes (contract_id, effective_month, frequency, designated_month, \
         application_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(c.contract_id)
    .bind(&from)
    .bind(c.change.frequency.as_str())
    .bind(c.change.designated_month.map(i64::from))
    .bind(c.application_id)
    .bind(c.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The frequency changes of the contracts with ids in `from..=to`, as (contract id, change).
pub async fn frequency_changes_between(
    conn: &mut AnyConnection,
    from: ContractId,
    to: ContractId,
) -> Result<Vec<(ContractId, FrequencyChange)>> {
    let rows = sqlx::query(
        "SELECT contract_id, effective_month, frequency, designated_month FROM frequency_changes \
         WHERE contract_id >= $1 AND contract_id <= $2 ORDER BY contract_id, effective_month",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let m: String = col(r, "effective_month")?;
            let f: String = col(r, "frequency")?;
            let d: Option<i64> = col(r, "designated_month")?;
            let change = FrequencyChange {
                from: decode::<YearMonth>("frequency_changes.effective_month", &m, month)?,
                frequency: decode("frequency_changes.frequency", &f, PaymentFrequency::parse)?,
                designated_month: d
                    .map(|d| {
                        decode("frequency_changes.designated_month", &d.to_string(), |s| {
                            s.parse::<i8>().ok().filter(|m| (1..=12).contains(m))
                        })
                    })
                    .transpose()?,
            };
            Ok((col(r, "contract_id")?, change))
        })
        .collect()
}

/// Records a contract's 掛止め: billing skips every month from `from` on (until a resumption).
pub async fn suspend(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    from: YearMonth,
) -> Result<()> {
    sqlx::query("UPDATE contracts SET suspended_from = $1, resumed_from = NULL WHERE id = $2")
        .bind(from.to_string())
        .bind(contract_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records a contract's 掛金の納付期限の延長 (replacing any earlier one, whose catch-up the
/// procedure has checked is over).
pub async fn defer(conn: &mut AnyConnection, contract_id: ContractId, d: &Deferral) -> Result<()> {
    sqlx::query(
        "UPDATE contracts SET deferred_from = $1, deferred_until = $2, deferral_extra_per_debit = $3 \
         WHERE id = $4",
    )
    .bind(d.from.to_string())
    .bind(d.until.to_string())
    .bind(i64::from(d.extra_per_debit))
    .bind(contract_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A contract's 掛金の納付期限の延長, if one was recorded.
pub async fn deferral(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Option<Deferral>> {
    let row = sqlx::query(
        "SELECT deferred_from, deferred_until, deferral_extra_per_debit FROM contracts WHERE id = $1",
    )
    .bind(contract_id)
    .fetch_one(&mut *conn)
    .await?;
    decode_deferral(
        col(&row, "deferred_from")?,
        col(&row, "deferred_until")?,
        col(&row, "deferral_extra_per_debit")?,
    )
}

/// A deferral from its three columns (all set, or none).
pub(crate) fn decode_deferral(
    from: Option<String>,
    until: Option<String>,
    extra: Option<i64>,
) -> Result<Option<Deferral>> {
    match (from, until, extra) {
        (Some(f), Some(u), Some(e)) => Ok(Some(Deferral {
            from: decode("contracts.deferred_from", &f, month)?,
            until: decode("contracts.deferred_until", &u, month)?,
            extra_per_debit: decode("contracts.deferral_extra_per_debit", &e.to_string(), |s| {
                s.parse::<u32>().ok().filter(|n| *n > 0)
            })?,
        })),
        (None, None, None) => Ok(None),
        _ => Err(crate::StoreError::Corrupt(
            "contracts.deferred_*: partly set".into(),
        )),
    }
}

/// Records the end of a 掛止め: billing debits again from `from` on, while a late run of an
/// earlier month still sees the suspension.
pub async fn resume(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    from: YearMonth,
) -> Result<()> {
    sqlx::query("UPDATE contracts SET resumed_from = $1 WHERE id = $2")
        .bind(from.to_string())
        .bind(contract_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
