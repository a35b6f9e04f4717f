//! Decided 小規模 benefit claims, their staff sign-offs and the tax data of their payouts
//! (migration 0022). The payouts themselves are `payouts` rows (`source = 'claim:<id>'`).

use kyosai_domain::{ApplicationId, ClaimId, ContractId, PayoutId, UserId};
use sqlx::AnyConnection;

use crate::{Result, col};

/// A decided claim to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClaim<'a> {
    pub application_id: ApplicationId,
    pub contract_id: ContractId,
    pub event: &'a str,
    pub event_date: &'a str,
    pub benefit_kind: &'a str,
    pub months_paid: i64,
    pub total_paid: i64,
    pub base_yen: i64,
    pub bonus_yen: i64,
    pub gross_yen: i64,
    /// JSON `[{kind, yen}]`.
    pub deductions: &'a str,
    pub net_yen: i64,
    pub estimate: bool,
    pub payout_form: &'a str,
    pub instalment_years: Option<i64>,
    /// JSON (death claims), else None.
    pub claimant: Option<&'a str>,
    pub rule_set: &'a str,
    pub decided_by: &'a str,
    pub decided_at: &'a str,
}

/// Records a decided claim; returns its id. A second claim of the same contract or application
/// is refused by the database.
pub async fn insert(conn: &mut AnyConnection, c: &NewClaim<'_>) -> Result<ClaimId> {
    let row = sqlx::query(
        "INSERT INTO claims (application_id, contract_id, event, event_date, benefit_kind, months_paid, \
         total_paid, base_yen, bonus_yen, gross_yen, deductions, net_yen, estimate, payout_form, \
         instalment_years, claimant, rule_set, decided_by, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
         RETURNING id",
    )
    .bind(c.application_id)
    .bind(c.contract_id)
    .bind(c.event)
    .bind(c.event_date)
    .bind(c.benefit_kind)
    .bind(c.months_paid)
    .bind(c.total_paid)
    .bind(c.base_yen)
    .bind(c.bonus_yen)
    .bind(c.gross_yen)
    .bind(c.deductions)
    .bind(c.net_yen)
    .bind(i64::from(c.estimate))
    .bind(c.payout_form)
    .bind(c.instalment_years)
    .bind(c.claimant)
    .bind(c.rule_set)
    .bind(c.decided_by)
    .bind(c.decided_at)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// The id of the contract's decided claim, if it has one.
pub async fn for_contract(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Option<ClaimId>> {
    let row = sqlx::query("SELECT id FROM claims WHERE contract_id = $1")
        .bind(contract_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(|r| col(r, "id")).transpose()
}

/// The staff user who signed off a claim application first, if one did.
pub async fn signoff(
    conn: &mut AnyConnection,
    application_id: ApplicationId,
) -> Result<Option<UserId>> {
    let row = sqlx::query("SELECT staff_id FROM claim_signoffs WHERE application_id = $1")
        .bind(application_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(|r| col(r, "staff_id")).transpose()
}

/// Records the first staff sign-off of a claim application.
pub async fn sign_off(
    conn: &mut AnyConnection,
    application_id: ApplicationId,
    staff_id: UserId,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO claim_signoffs (application_id, staff_id, signed_at) VALUES ($1, $2, $3)",
    )
    .bind(application_id)
    .bind(staff_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The tax data of one payout of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutTax<'a> {
    pub payout_id: PayoutId,
    pub claim_id: ClaimId,
    pub income_class: &'a str,
    pub contract_years: i64,
    pub retirement_deduction: Option<i64>,
    /// The payment before withholding.
    pub gross_yen: i64,
    pub withholding_rate: &'a str,
    pub withholding_yen: i64,
    pub provisional: bool,
}

pub async fn insert_tax(conn: &mut AnyConnection, t: &PayoutTax<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO payout_tax (payout_id, claim_id, income_class, contract_years, retirement_deduction, \
         gross_yen, withholding_rate, withholding_yen, provisional) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(t.payout_id)
    .bind(t.claim_id)
    .bind(t.income_class)
    .bind(t.contract_years)
    .bind(t.retirement_deduction)
    .bind(t.gross_yen)
    .bind(t.withholding_rate)
    .bind(t.withholding_yen)
    .bind(i64::from(t.provisional))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
