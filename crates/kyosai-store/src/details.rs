//! A contract's registered details (届出事項), effective-dated: the newest row is in force, older
//! rows are the history. A contract without a row still has its enrollment details (the app
//! reads them from the enrollment application until the first change).

use kyosai_domain::{ApplicationId, ContractId, DetailsId};
use sqlx::AnyConnection;

use crate::{AnyRow, Result, col};

/// One set of registered details, every field (a change stores the whole set, so a row alone
/// says what was registered from its date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub holder_name: String,
    pub business_name: String,
    /// 代表者 (倒産防止 corporations); empty otherwise.
    pub representative: String,
    pub postcode: String,
    pub prefecture: String,
    pub city: String,
    pub address_line: String,
    /// 事業所所在地 when it differs from the address; empty otherwise.
    pub business_address: String,
    pub phone: String,
    pub email: String,
    pub capital_yen: Option<i64>,
    pub employees: i64,
    pub legal_form: String,
    pub industry: String,
}

/// A stored row: the details and from when, by which application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: DetailsId,
    pub details: Details,
    /// `YYYY-MM-DD`.
    pub effective_from: String,
    pub application_id: Option<ApplicationId>,
}

const COLUMNS: &str = "id, effective_from, application_id, holder_name, business_name, representative, postcode, \
    prefecture, city, address_line, business_address, phone, email, capital_yen, employees, legal_form, industry";

fn from_row(r: &AnyRow) -> Result<Recorded> {
    Ok(Recorded {
        id: col(r, "id")?,
        effective_from: col(r, "effective_from")?,
        application_id: col(r, "application_id")?,
        details: Details {
            holder_name: col(r, "holder_name")?,
            business_name: col(r, "business_name")?,
            representative: col(r, "representative")?,
            postcode: col(r, "postcode")?,
            prefecture: col(r, "prefecture")?,
            city: col(r, "city")?,
            address_line: col(r, "address_line")?,
            business_address: col(r, "business_address")?,
            phone: col(r, "phone")?,
            email: col(r, "email")?,
            capital_yen: col(r, "capital_yen")?,
            employees: col(r, "employees")?,
            legal_form: col(r, "legal_form")?,
            industry: col(r, "industry")?,
        },
    })
}

/// Every recorded set of the contract, oldest first.
pub async fn history(conn: &mut AnyConnection, contract_id: ContractId) -> Result<Vec<Recorded>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contract_details WHERE contract_id = $1 ORDER BY id"
    )))
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The set in force (the newest), if any change was recorded.
pub async fn current(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Option<Recorded>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contract_details WHERE contract_id = $1 ORDER BY id DESC LIMIT 1"
    )))
    .bind(contract_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records a new set in force from `effective_from`.
pub async fn insert(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    effective_from: &str,
    application_id: Option<ApplicationId>,
    d: &Details,
    now: &str,
) -> Result<DetailsId> {
    let row = sqlx::query(
        "INSERT INTO contract_details (contract_id, effective_from, application_id, holder_name, business_name, \
         representative, postcode, prefecture, city, address_line, business_address, phone, email, capital_yen, \
         employees, legal_form, industry, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
    )
    .bind(contract_id)
    .bind(effective_from)
    .bind(application_id)
    .bind(&d.holder_name)
    .bind(&d.business_name)
    .bind(&d.representative)
    .bind(&d.postcode)
    .bind(&d.prefecture)
    .bind(&d.city)
    .bind(&d.address_line)
    .bind(&d.business_address)
    .bind(&d.phone)
    .bind(&d.email)
    .bind(d.capital_yen)
    .bind(d.employees)
    .bind(&d.legal_form)
    .bind(&d.industry)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// Makes the contract's names (used by billing screens, searches and mails) follow the
/// registered details.
pub async fn set_contract_names(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    holder_name: &str,
    business_name: &str,
) -> Result<()> {
    sqlx::query("UPDATE contracts SET holder_name = $1, business_name = $2 WHERE id = $3")
        .bind(holder_name)
        .bind(business_name)
        .bind(contract_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
