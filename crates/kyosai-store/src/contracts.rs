//! Contracts (共済契約) and their debit mandates (預金口座振替依頼).

use sqlx::{AnyConnection, AssertSqlSafe};

use jiff::civil::Date;
use kyosai_domain::rules::PaymentFrequency;
use kyosai_domain::{
    ApplicationId, ContractId, ContractStatus, MandateId, MandateStatus, Program, UserId,
    YearMonth, Yen,
};

use crate::{AnyRow, Result, col, month, typed, typed_opt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub id: ContractId,
    pub number: String,
    pub program: Program,
    pub member_id: UserId,
    pub application_id: ApplicationId,
    pub status: ContractStatus,
    pub holder_name: String,
    pub business_name: String,
    /// Identifies the person across accounts (kana name + birth date, hashed).
    pub person_key: String,
    pub start_date: Date,
    pub first_debit_month: YearMonth,
    pub monthly_premium: Yen,
    pub frequency: PaymentFrequency,
    pub rule_set: String,
}

const COLUMNS: &str = "id, number, program, member_id, application_id, status, holder_name, business_name, \
    person_key, start_date, first_debit_month, monthly_premium, frequency, rule_set";

fn from_row(r: &AnyRow) -> Result<Contract> {
    const T: &str = "contracts";
    Ok(Contract {
        id: col(r, "id")?,
        number: col(r, "number")?,
        program: typed(r, T, "program", Program::parse)?,
        member_id: col(r, "member_id")?,
        application_id: col(r, "application_id")?,
        status: typed(r, T, "status", ContractStatus::parse)?,
        holder_name: col(r, "holder_name")?,
        business_name: col(r, "business_name")?,
        person_key: col(r, "person_key")?,
        start_date: typed(r, T, "start_date", |s| s.parse().ok())?,
        first_debit_month: typed(r, T, "first_debit_month", month)?,
        monthly_premium: Yen::new(col(r, "monthly_premium")?),
        frequency: typed(r, T, "frequency", PaymentFrequency::parse)?,
        rule_set: col(r, "rule_set")?,
    })
}

pub struct NewContract<'a> {
    pub number: &'a str,
    pub program: Program,
    pub member_id: UserId,
    pub application_id: ApplicationId,
    pub holder_name: &'a str,
    pub business_name: &'a str,
    pub person_key: &'a str,
    pub start_date: Date,
    pub first_debit_month: YearMonth,
    pub monthly_premium: Yen,
    pub frequency: PaymentFrequency,
    pub rule_set: &'a str,
    pub now: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, c: &NewContract<'_>) -> Result<ContractId> {
    let row = sqlx::query(
        "INSERT INTO contracts (number, program, member_id, application_id, status, holder_name, business_name, \
         person_key, start_date, first_debit_month, monthly_premium, frequency, rule_set, created_at) \
         VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(c.number)
    .bind(c.program.as_str())
    .bind(c.member_id)
    .bind(c.application_id)
    .bind(c.holder_name)
    .bind(c.business_name)
    .bind(c.person_key)
    .bind(c.start_date.to_string())
    .bind(c.first_debit_month.to_string())
    .bind(c.monthly_premium.get())
    .bind(c.frequency.as_str())
    .bind(c.rule_set)
    .bind(c.now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

pub async fn get(conn: &mut AnyConnection, id: ContractId) -> Result<Option<Contract>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contracts WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_number(conn: &mut AnyConnection, number: &str) -> Result<Option<Contract>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contracts WHERE number = $1"
    )))
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A contract found by a staff search, with its member's e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub contract: Contract,
    pub email: String,
}

/// What a staff search looks for: the text as typed, and the forms it takes in the columns that
/// hold it differently (the app derives them: digits of a phone number, Zengin kana of a name).
#[derive(Debug, Clone, Copy, Default)]
pub struct Search<'a> {
    pub text: &'a str,
    /// Digits only, matched from the start (area code first) against the phone numbers the
    /// contract was enrolled with or later registered, hyphens and spaces removed; empty: not a
    /// phone search.
    pub phone_digits: &'a str,
    /// Half-width Zengin kana, matched against the debit accounts' holder kana (the only kana
    /// of a name Kyosai keeps); empty: not a kana search.
    pub kana: &'a str,
}

/// Contracts whose number is the text, or whose holder name, business name or member e-mail
/// contains it, or whose phone starts with the digits, or whose debit account holder
/// kana contains the kana (at most `limit`, newest first). `%` and `_` are taken literally.
pub async fn search(conn: &mut AnyConnection, q: Search<'_>, limit: i64) -> Result<Vec<Found>> {
    let text = q.text;
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("%{escaped}%");
    let columns: String = COLUMNS
        .split(", ")
        .map(|c| format!("c.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {columns}, u.email AS email FROM contracts c JOIN users u ON u.id = c.member_id \
         WHERE c.number = $1 OR c.holder_name LIKE $2 ESCAPE '\\' OR c.business_name LIKE $2 ESCAPE '\\' \
         OR LOWER(u.email) LIKE LOWER($2) ESCAPE '\\' \
         OR ($4 <> '' AND (EXISTS (SELECT 1 FROM contract_details d WHERE d.contract_id = c.id \
             AND REPLACE(REPLACE(d.phone, '-', ''), ' ', '') LIKE $5) \
           OR EXISTS (SELECT 1 FROM applications a WHERE a.id = c.application_id \
             AND REPLACE(REPLACE(a.payload, '-', ''), ' ', '') LIKE $8))) \
         OR ($6 <> '' AND EXISTS (SELECT 1 FROM mandates m WHERE m.contract_id = c.id \
             AND m.holder_kana LIKE $7)) \
         ORDER BY c.id DESC LIMIT $3"
    )))
    .bind(text)
    .bind(&pattern)
    .bind(limit)
    .bind(q.phone_digits)
    .bind(format!("{}%", q.phone_digits))
    .bind(q.kana)
    .bind(format!("%{}%", q.kana))
    .bind(format!("%\"phone\":\"{}%", q.phone_digits))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Found {
                contract: from_row(r)?,
                email: col(r, "email")?,
            })
        })
        .collect()
}

pub async fn for_member(conn: &mut AnyConnection, member_id: UserId) -> Result<Vec<Contract>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contracts WHERE member_id = $1 ORDER BY id"
    )))
    .bind(member_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// How many contracts are active.
pub async fn count_active(conn: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM contracts WHERE status = 'active'")
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "n")
}

/// Records the proprietor a co-manager's contract belongs to (REFERENCE §1.1 #6).
pub async fn set_proprietor_key(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    proprietor_key: &str,
) -> Result<()> {
    sqlx::query("UPDATE contracts SET proprietor_key = $1 WHERE id = $2")
        .bind(proprietor_key)
        .bind(contract_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Active co-manager contracts of the proprietor identified by `proprietor_key`.
pub async fn active_co_managers(conn: &mut AnyConnection, proprietor_key: &str) -> Result<u32> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM contracts WHERE proprietor_key = $1 AND status = 'active'",
    )
    .bind(proprietor_key)
    .fetch_one(&mut *conn)
    .await?;
    Ok(u32::try_from(col::<i64>(&row, "n")?).unwrap_or(u32::MAX))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mandate {
    pub id: MandateId,
    pub contract_id: ContractId,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    pub holder_kana: String,
    pub status: MandateStatus,
    /// The first debit month it is used for; None: from the contract's first debit.
    pub effective_month: Option<YearMonth>,
    /// The `mandate_change` application that registered it (None: made with the contract).
    pub application_id: Option<ApplicationId>,
    pub created_at: String,
}

impl Mandate {
    /// Whether billing may debit it when it is the one in force for a month.
    pub fn usable(&self) -> bool {
        self.status != MandateStatus::Unusable
    }
}

/// The mandate in force for a debit month: the newest whose effective month is not after it.
/// `billing::billable_chunk` applies the same rule in SQL. `mandates` are ordered by id.
pub fn in_force(mandates: &[Mandate], month: YearMonth) -> Option<&Mandate> {
    mandates
        .iter()
        .rev()
        .find(|m| m.effective_month.is_none_or(|from| from <= month))
}

pub struct NewMandate<'a> {
    pub contract_id: ContractId,
    pub bank_code: &'a str,
    pub branch_code: &'a str,
    pub account_type: &'a str,
    pub account_number: &'a str,
    pub holder_kana: &'a str,
    /// None for the contract's first mandate.
    pub effective_month: Option<YearMonth>,
    pub application_id: Option<ApplicationId>,
    pub now: &'a str,
}

pub async fn insert_mandate(conn: &mut AnyConnection, m: &NewMandate<'_>) -> Result<MandateId> {
    let row = sqlx::query(
        "INSERT INTO mandates (contract_id, bank_code, branch_code, account_type, account_number, holder_kana, status, \
         effective_month, application_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9) RETURNING id",
    )
    .bind(m.contract_id)
    .bind(m.bank_code)
    .bind(m.branch_code)
    .bind(m.account_type)
    .bind(m.account_number)
    .bind(m.holder_kana)
    .bind(m.effective_month.map(|month| month.to_string()))
    .bind(m.application_id)
    .bind(m.now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

pub async fn mandates_for(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Vec<Mandate>> {
    let rows = sqlx::query(
        "SELECT id, contract_id, bank_code, branch_code, account_type, account_number, holder_kana, status, \
         effective_month, application_id, created_at FROM mandates WHERE contract_id = $1 ORDER BY id",
    )
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    const T: &str = "mandates";
    rows.iter()
        .map(|r| {
            Ok(Mandate {
                id: col(r, "id")?,
                contract_id: col(r, "contract_id")?,
                bank_code: col(r, "bank_code")?,
                branch_code: col(r, "branch_code")?,
                account_type: col(r, "account_type")?,
                account_number: col(r, "account_number")?,
                holder_kana: col(r, "holder_kana")?,
                status: typed(r, T, "status", MandateStatus::parse)?,
                effective_month: typed_opt(r, T, "effective_month", month)?,
                application_id: col(r, "application_id")?,
                created_at: col(r, "created_at")?,
            })
        })
        .collect()
}

/// How a contract ended, with the refund computed for it (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// `YYYY-MM-DD`.
    pub cancelled_on: String,
    /// e.g. `by_organization`.
    pub kind: String,
    /// 解約手当金 plus any 前納減額金 paid with it.
    pub refund_yen: Option<i64>,
    pub estimate: bool,
    /// `payable` (決定済み・支払予定) or `paid`.
    pub refund_status: Option<String>,
    /// `YYYY-MM-DD`, when the refund is (or was) transferred.
    pub payment_date: Option<String>,
}

/// The ending of a cancelled contract; None while it is active.
pub async fn ending(conn: &mut AnyConnection, contract_id: ContractId) -> Result<Option<Ending>> {
    let row = sqlx::query(
        "SELECT c.cancelled_on, c.cancellation_kind, r.total_yen, r.estimate, r.status AS refund_status, r.payment_date \
         FROM contracts c \
         LEFT JOIN cancellation_refunds r ON r.contract_id = c.id \
         WHERE c.id = $1 AND c.cancelled_on IS NOT NULL",
    )
    .bind(contract_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Ending {
            cancelled_on: col(&r, "cancelled_on")?,
            kind: col::<Option<String>>(&r, "cancellation_kind")?.unwrap_or_default(),
            refund_yen: col(&r, "total_yen")?,
            estimate: col::<Option<i64>>(&r, "estimate")?.unwrap_or(0) != 0,
            refund_status: col(&r, "refund_status")?,
            payment_date: col(&r, "payment_date")?,
        })
    })
    .transpose()
}

/// The latest cancellation date of another contract of the same person (or business) in
/// `program`, for the tax rule on premiums of a re-made contract (REFERENCE §5.4).
pub async fn earlier_cancellation(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    program: Program,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT MAX(o.cancelled_on) AS cancelled_on FROM contracts c \
         JOIN contracts o ON o.person_key = c.person_key AND o.id <> c.id \
         WHERE c.id = $1 AND o.program = $2 AND o.cancelled_on IS NOT NULL AND o.cancelled_on <= c.start_date",
    )
    .bind(contract_id)
    .bind(program.as_str())
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "cancelled_on")
}

/// Marks the contract's active mandate `replaced` (a new one is about to be inserted); returns
/// the ids changed.
pub async fn replace_active_mandate(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Vec<MandateId>> {
    let rows = sqlx::query(
        "UPDATE mandates SET status = 'replaced' WHERE contract_id = $1 AND status = 'active' RETURNING id",
    )
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| col(r, "id")).collect()
}

/// Takes the contract's row lock for the rest of the transaction (PostgreSQL; SQLite writers are
/// already queued), so two changes of the same contract run one after the other and the second
/// sees the first: a double submit then finds its account already registered.
pub async fn lock(conn: &mut AnyConnection, contract_id: ContractId) -> Result<()> {
    sqlx::query("UPDATE contracts SET status = status WHERE id = $1")
        .bind(contract_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
