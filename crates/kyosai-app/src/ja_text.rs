//! How dates and months read in Japanese text (mails, explanations, messages): one format
//! everywhere, so a member sees the same date written the same way.

use jiff::civil::Date;
use kyosai_domain::YearMonth;

/// `2026年11月`.
pub fn ja_month(m: YearMonth) -> String {
    format!("{}年{}月", m.year(), m.month())
}

/// `2026年11月18日`.
pub fn ja_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}
