//! Agencies (委託機関): 商工会, 商工会議所, banks that help members apply.

use kyosai_domain::AgencyId;
use sqlx::AnyConnection;

use crate::{Result, col};

pub async fn insert(
    conn: &mut AnyConnection,
    code: &str,
    name: &str,
    now: &str,
) -> Result<AgencyId> {
    let row = sqlx::query(
        "INSERT INTO agencies (code, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(code)
    .bind(name)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}
