//! Japanese public holidays (国民の祝日, 振替休日, 国民の休日).

use std::sync::LazyLock;

use jiff::civil::Date;

use crate::table::{self, DatasetInfo};

static GZ: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../refdata/holidays.tsv.gz"
));

struct Holidays {
    dates: Vec<Date>,
    names: Vec<&'static str>,
    range: (Date, Date),
    info: DatasetInfo,
}

static HOLIDAYS: LazyLock<Holidays> = LazyLock::new(|| {
    let (rows, table, mut info) = table::load::<2, _>("holidays", GZ, |[date, name]| {
        Some((parse_date(date)?, *name))
    });
    let (dates, names): (Vec<Date>, Vec<&'static str>) = rows.into_iter().unzip();
    if !dates.is_sorted_by(|a, b| a < b) {
        info.error = Some("holidays: dates are not strictly increasing".to_owned());
    }
    let first = dates.first().copied().unwrap_or(Date::MIN);
    let last = dates.last().copied().unwrap_or(Date::MIN);
    let from = table.as_ref().and_then(|t| parse_date(t.get("from")?));
    let to = table.as_ref().and_then(|t| parse_date(t.get("to")?));
    Holidays {
        dates,
        names,
        range: (from.unwrap_or(first), to.unwrap_or(last)),
        info,
    }
});

pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = s.get(0..4)?.parse().ok()?;
    let month = s.get(5..7)?.parse().ok()?;
    let day = s.get(8..10)?.parse().ok()?;
    Date::new(year, month, day).ok()
}

/// All public holidays in [`holiday_range`], sorted ascending.
///
/// Dates outside the range are unknown, not "no holiday": callers doing
/// business-day arithmetic should check [`holiday_range`] first.
pub fn holidays() -> &'static [Date] {
    &HOLIDAYS.dates
}

/// The Japanese name of the holiday on `date` (e.g. `元日`, `振替休日`,
/// `国民の休日`), or `None` if it is not a public holiday.
pub fn holiday_name(date: Date) -> Option<&'static str> {
    let h = &*HOLIDAYS;
    h.dates
        .binary_search(&date)
        .ok()
        .and_then(|i| h.names.get(i).copied())
}

/// True if `date` is a public holiday (weekends are not holidays by
/// themselves).
pub fn is_holiday(date: Date) -> bool {
    HOLIDAYS.dates.binary_search(&date).is_ok()
}

/// Holidays `d` with `start <= d <= end`, sorted.
pub fn holidays_between(start: Date, end: Date) -> &'static [Date] {
    let dates = &HOLIDAYS.dates;
    let lo = dates.partition_point(|d| *d < start);
    let hi = dates.partition_point(|d| *d <= end).max(lo);
    dates.get(lo..hi).unwrap_or(&[])
}

/// First and last day covered by the data: 1 January of the first year and
/// 31 December of the last year (currently 1986-01-01 ..= 2035-12-31).
///
/// Years up to the one the Cabinet Office has published (the equinox days
/// are announced each February for the following year) are authoritative;
/// later years are computed from the current holiday law and may change.
pub fn holiday_range() -> (Date, Date) {
    HOLIDAYS.range
}

pub(crate) fn info() -> DatasetInfo {
    HOLIDAYS.info.clone()
}
