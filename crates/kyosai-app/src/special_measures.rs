//! The disaster special measures (特例) in force for a contract: the measures shipped as rule
//! data (`rules/special_measures/`), looked up by the prefecture of the member's registered
//! address in force today (a member who moved is judged by the new address) and the date. Every
//! procedure a measure changes (小規模 掛止め, the 特例災害時貸付け, …) asks here, so a new measure
//! file changes them all.

use std::sync::OnceLock;

use jiff::civil::Date;
use kyosai_domain::prefecture::Prefecture;
use kyosai_domain::special_measures::{Effect, MeasureQuery, SpecialMeasure, SpecialMeasures};
use kyosai_store::contracts::Contract;
use sqlx::AnyConnection;

use crate::AppError;
use crate::details_change::current_details;

/// The special measures shipped with the code (parsed once).
fn measures() -> Result<&'static SpecialMeasures, AppError> {
    static MEASURES: OnceLock<Result<SpecialMeasures, String>> = OnceLock::new();
    MEASURES
        .get_or_init(|| SpecialMeasures::embedded().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::Internal(e.clone().into()))
}

/// The prefecture of the contract's registered address in force.
async fn prefecture_of(
    conn: &mut AnyConnection,
    c: &Contract,
) -> Result<Option<Prefecture>, AppError> {
    Ok(Prefecture::parse(
        &current_details(conn, c).await?.prefecture,
    ))
}

/// The first measure in force on `date` for the contract with an effect on its program that
/// `wanted` picks, with that effect.
pub(crate) async fn effect_for(
    conn: &mut AnyConnection,
    c: &Contract,
    date: Date,
    wanted: impl Fn(&Effect) -> bool,
) -> Result<Option<(&'static SpecialMeasure, &'static Effect)>, AppError> {
    let prefecture = prefecture_of(conn, c).await?;
    Ok(measures()?
        .applicable(&MeasureQuery {
            program: Some(c.program),
            prefecture,
            flags: &[],
            date,
        })
        .into_iter()
        .find_map(|m| m.effects_for(c.program).find(|e| wanted(e)).map(|e| (m, e))))
}
