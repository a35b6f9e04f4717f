//! Japanese era dates (和暦): every letter and certificate of the Organization prints dates as
//! 令和N年M月D日 next to the Western date, because members, tax offices and the 確定申告 forms
//! reckon in eras. The first year of an era is 元年, as on official documents.
//!
//! Era start days are the days the era name took effect (元号法 and the government notices):
//! 大正 1912-07-30, 昭和 1926-12-25, 平成 1989-01-08, 令和 2019-05-01. Dates before 大正 are
//! not needed (no member was born before it) and give `None`.

use jiff::civil::{Date, date};

/// One era and the first day it was in force.
struct Era {
    name: &'static str,
    first_day: Date,
}

/// Newest first, so the first era that started on or before a date is its era.
const ERAS: [Era; 4] = [
    Era {
        name: "令和",
        first_day: date(2019, 5, 1),
    },
    Era {
        name: "平成",
        first_day: date(1989, 1, 8),
    },
    Era {
        name: "昭和",
        first_day: date(1926, 12, 25),
    },
    Era {
        name: "大正",
        first_day: date(1912, 7, 30),
    },
];

/// The era and year-of-era of a date, e.g. 2026-11-28 → ("令和", 8).
pub fn era_year(day: Date) -> Option<(&'static str, i16)> {
    let era = ERAS.iter().find(|e| e.first_day <= day)?;
    Some((era.name, day.year() - era.first_day.year() + 1))
}

/// `令和8年11月28日` (元年 for the first year).
pub fn format_date(day: Date) -> Option<String> {
    let (era, year) = era_year(day)?;
    Some(format!(
        "{era}{}年{}月{}日",
        year_label(year),
        day.month(),
        day.day()
    ))
}

/// A calendar year as a tax year is named, e.g. `令和8年` for 2026: the era in force on
/// 31 December, because the 年分 of a tax return is named after the year's end (2019 is 令和元年分,
/// though it began in 平成).
pub fn format_year(year: i16) -> Option<String> {
    let (era, n) = era_year(Date::new(year, 12, 31).ok()?)?;
    Some(format!("{era}{}年", year_label(n)))
}

fn year_label(n: i16) -> String {
    if n == 1 {
        "元".to_string()
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_each_era_and_at_the_boundaries() {
        let cases = [
            (date(2026, 11, 28), "令和8年11月28日"),
            (date(2019, 5, 1), "令和元年5月1日"),
            (date(2019, 4, 30), "平成31年4月30日"),
            (date(1989, 1, 8), "平成元年1月8日"),
            (date(1989, 1, 7), "昭和64年1月7日"),
            (date(1926, 12, 25), "昭和元年12月25日"),
            (date(1926, 12, 24), "大正15年12月24日"),
            (date(1912, 7, 30), "大正元年7月30日"),
        ];
        for (day, want) in cases {
            assert_eq!(format_date(day).as_deref(), Some(want), "{day}");
        }
        assert_eq!(format_date(date(1912, 7, 29)), None);
    }

    #[test]
    fn tax_years_are_named_after_their_last_day() {
        assert_eq!(format_year(2026).as_deref(), Some("令和8年"));
        assert_eq!(format_year(2019).as_deref(), Some("令和元年"));
        assert_eq!(format_year(2018).as_deref(), Some("平成30年"));
        assert_eq!(format_year(1989).as_deref(), Some("平成元年"));
    }
}
