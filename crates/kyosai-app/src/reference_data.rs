//! The embedded reference data (holidays, banks and branches, postcodes), loaded before the
//! server accepts requests.
//!
//! Each dataset is decompressed and indexed on its first use. Left to the first request, that
//! cost (postcodes alone about 0.1 s, docs/BENCHMARKS.md) fell on the first enrollments after a
//! start and on every request queued behind them: the paced enrollment benchmark's first second
//! had a p99 of 223–287 ms against 26–49 ms for the following seconds.

use crate::AppError;

/// Loads every dataset now and returns how many rows were loaded. A dataset that cannot be read
/// is an error (a broken build): without it every bank, branch or postcode would be refused.
pub fn load() -> Result<usize, AppError> {
    let mut rows = 0;
    for d in kyosai_refdata::datasets() {
        if let Some(e) = d.error {
            return Err(AppError::Internal(
                format!("reference data {}: {e}", d.name).into(),
            ));
        }
        tracing::info!(
            dataset = d.name,
            rows = d.parsed_rows,
            source = d.source,
            "reference data loaded"
        );
        rows += d.parsed_rows;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_dataset_loads_with_its_rows() {
        let rows = super::load().expect("the embedded datasets load");
        let expected: usize = kyosai_refdata::datasets()
            .iter()
            .map(|d| d.expected_rows)
            .sum();
        assert_eq!(rows, expected);
        assert!(rows > 100_000, "postcodes alone have more rows: {rows}");
    }
}
