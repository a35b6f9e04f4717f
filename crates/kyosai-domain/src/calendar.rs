//! Civil dates in Japan: year-months and bank business days.
//!
//! Banks in Japan are closed on Saturdays, Sundays, national holidays (国民の祝日, including
//! 振替休日 and 国民の休日) and from December 31 to January 3 (銀行法施行令 §5). The holiday list is
//! data passed in by the caller (generated from public holiday data, see `refdata/`), so the
//! domain stays pure and a refreshed list needs no code change.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::Invalid;

/// A calendar month, e.g. 2026-11. Billing, premiums and months paid count in these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    year: i16,
    month: i8,
}

/// Serialized as text `YYYY-MM` (`try_from`/`into` String above).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for YearMonth {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\d{4}-\d{2}$"))
            .examples(["2026-11"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for YearMonth {}

impl YearMonth {
    pub fn new(year: i16, month: i8) -> Option<YearMonth> {
        ((1..=12).contains(&month) && (1900..=2999).contains(&year))
            .then_some(YearMonth { year, month })
    }

    pub fn of(date: Date) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn month(self) -> i8 {
        self.month
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> YearMonth {
        let index = i32::from(self.year) * 12 + i32::from(self.month) - 1 + n;
        YearMonth {
            year: index.div_euclid(12) as i16,
            month: (index.rem_euclid(12) + 1) as i8,
        }
    }

    /// Months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: YearMonth) -> i32 {
        (i32::from(later.year) - i32::from(self.year)) * 12 + i32::from(later.month)
            - i32::from(self.month)
    }

    /// The fiscal year (年度, April–March) the month belongs to: 2027-03 → 2026.
    pub fn fiscal_year(self) -> i16 {
        if self.month >= 4 {
            self.year
        } else {
            self.year - 1
        }
    }

    /// The given day of this month, clamped to the month's last day.
    pub fn day(self, day: i8) -> Date {
        let first = Date::new(self.year, self.month, 1).unwrap_or(Date::MIN);
        let last = first.last_of_month().day();
        Date::new(self.year, self.month, day.clamp(1, last)).unwrap_or(first)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Invalid> {
        let err = || {
            Invalid::one(
                "month",
                "format",
                "年月は YYYY-MM の形式で入力してください。",
            )
        };
        let (y, m) = s.split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(err());
        }
        let year: i16 = y.parse().map_err(|_| err())?;
        let month: i8 = m.parse().map_err(|_| err())?;
        YearMonth::new(year, month).ok_or_else(err)
    }
}

impl TryFrom<String> for YearMonth {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        s.parse()
    }
}

impl From<YearMonth> for String {
    fn from(ym: YearMonth) -> String {
        ym.to_string()
    }
}

/// Which days banks are open.
#[derive(Debug, Clone, Default)]
pub struct BusinessCalendar {
    holidays: BTreeSet<Date>,
}

impl BusinessCalendar {
    pub fn new(holidays: impl IntoIterator<Item = Date>) -> Self {
        BusinessCalendar {
            holidays: holidays.into_iter().collect(),
        }
    }

    pub fn is_holiday(&self, date: Date) -> bool {
        self.holidays.contains(&date)
    }

    /// Open for business: a weekday, not a holiday, not December 31 – January 3.
    pub fn is_business_day(&self, date: Date) -> bool {
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        let year_end =
            (date.month() == 12 && date.day() == 31) || (date.month() == 1 && date.day() <= 3);
        !weekend && !year_end && !self.is_holiday(date)
    }

    /// `date` itself when it is a business day, else the next one (翌営業日).
    pub fn on_or_after(&self, date: Date) -> Date {
        let mut d = date;
        while !self.is_business_day(d) {
            match d.tomorrow() {
                Ok(next) => d = next,
                Err(_) => return d,
            }
        }
        d
    }

    /// `date` itself when it is a business day, else the previous one (前営業日).
    pub fn on_or_before(&self, date: Date) -> Date {
        let mut d = date;
        while !self.is_business_day(d) {
            match d.yesterday() {
                Ok(prev) => d = prev,
                Err(_) => return d,
            }
        }
        d
    }

    /// The business day `n` business days before `date` (`n = 0` gives `on_or_before(date)`).
    pub fn business_days_before(&self, date: Date, n: u32) -> Date {
        let mut d = self.on_or_before(date);
        for _ in 0..n {
            match d.yesterday() {
                Ok(prev) => d = self.on_or_before(prev),
                Err(_) => return d,
            }
        }
        d
    }

    /// The business day `n` business days after `date` (`n = 0` gives `on_or_after(date)`):
    /// e.g. when a payment decided today reaches the member's account.
    pub fn business_days_after(&self, date: Date, n: u32) -> Date {
        let mut d = self.on_or_after(date);
        for _ in 0..n {
            match d.tomorrow() {
                Ok(next) => d = self.on_or_after(next),
                Err(_) => return d,
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cal() -> BusinessCalendar {
        // A few real 2026 holidays are enough to test the mechanics.
        BusinessCalendar::new([date(2026, 1, 12), date(2026, 5, 6), date(2026, 9, 21)])
    }

    #[test]
    fn year_month_arithmetic() {
        let ym: YearMonth = "2026-11".parse().unwrap();
        assert_eq!(ym.plus(2).to_string(), "2027-01");
        assert_eq!(ym.plus(-11).to_string(), "2025-12");
        assert_eq!(ym.months_until(ym.plus(25)), 25);
        assert_eq!(YearMonth::new(2026, 2).unwrap().day(31), date(2026, 2, 28));
        for bad in ["2026-13", "2026-1", "26-01", "2026/01", "", "abcd-ef"] {
            assert!(bad.parse::<YearMonth>().is_err(), "{bad}");
        }
    }

    #[test]
    fn business_days() {
        let c = cal();
        assert!(c.is_business_day(date(2026, 11, 26)));
        assert!(!c.is_business_day(date(2026, 11, 28)), "Saturday");
        assert!(!c.is_business_day(date(2026, 9, 21)), "holiday");
        assert!(!c.is_business_day(date(2026, 12, 31)), "bank year end");
        assert!(
            !c.is_business_day(date(2027, 1, 4).yesterday().unwrap()),
            "Jan 3"
        );
        // 2026-01-18 is a Sunday → Monday 19th.
        assert_eq!(c.on_or_after(date(2026, 1, 18)), date(2026, 1, 19));
        // 2026-12-31 (Thu) → Jan 1–3 closed → Mon 2027-01-04.
        assert_eq!(c.on_or_after(date(2026, 12, 31)), date(2027, 1, 4));
        // Two business days before Mon 2026-09-28 skipping Sat, Sun: Thu 24th… (21st is a holiday).
        assert_eq!(
            c.business_days_before(date(2026, 9, 28), 2),
            date(2026, 9, 24)
        );
        assert_eq!(
            c.business_days_before(date(2026, 9, 22), 1),
            date(2026, 9, 18)
        );
        // Fri 2026-09-18 + 2 business days: skips the weekend and Mon 21st (a holiday).
        assert_eq!(
            c.business_days_after(date(2026, 9, 18), 2),
            date(2026, 9, 23)
        );
        // From a Saturday, 0 days gives the next business day; the bank year end is skipped.
        assert_eq!(
            c.business_days_after(date(2026, 11, 28), 0),
            date(2026, 11, 30)
        );
        assert_eq!(
            c.business_days_after(date(2026, 12, 30), 1),
            date(2027, 1, 4)
        );
    }
}
