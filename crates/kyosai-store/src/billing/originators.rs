//! The originators (委託者): the accounts premiums are collected into, and which member banks
//! each collects from.

use kyosai_domain::OriginatorId;
use sqlx::AnyConnection;

use crate::{Result, col};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originator {
    pub id: OriginatorId,
    pub program: String,
    pub code: String,
    pub name_kana: String,
    pub bank_code: String,
    pub bank_name_kana: String,
    pub branch_code: String,
    pub branch_name_kana: String,
    pub account_type: String,
    pub account_number: String,
    /// `*` or comma-separated member bank codes.
    pub member_banks: String,
    pub line_ending: String,
}

pub async fn originators(conn: &mut AnyConnection, program: &str) -> Result<Vec<Originator>> {
    let rows = sqlx::query(
        "SELECT id, program, code, name_kana, bank_code, bank_name_kana, branch_code, branch_name_kana, \
         account_type, account_number, member_banks, line_ending FROM billing_originators WHERE program = $1 ORDER BY id",
    )
    .bind(program)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Originator {
                id: col(r, "id")?,
                program: col(r, "program")?,
                code: col(r, "code")?,
                name_kana: col(r, "name_kana")?,
                bank_code: col(r, "bank_code")?,
                bank_name_kana: col(r, "bank_name_kana")?,
                branch_code: col(r, "branch_code")?,
                branch_name_kana: col(r, "branch_name_kana")?,
                account_type: col(r, "account_type")?,
                account_number: col(r, "account_number")?,
                member_banks: col(r, "member_banks")?,
                line_ending: col(r, "line_ending")?,
            })
        })
        .collect()
}
