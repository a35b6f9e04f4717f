//! Debit dates and the premium schedule a new contract starts with (REFERENCE §2.2).

use jiff::civil::Date;
use serde::Serialize;

use crate::calendar::{BusinessCalendar, YearMonth};
use crate::money::Yen;
use crate::rules::{CollectionRules, DebitCycle, PaymentFrequency};

/// The debit date of a month: the rule's debit day, moved to the next bank business day.
pub fn debit_date(rules: &CollectionRules, cal: &BusinessCalendar, month: YearMonth) -> Date {
    cal.on_or_after(month.day(rules.debit_day.value))
}

/// The month's cut-off: the day its debit file is made and delivered. Only what exists before
/// this day counts for the month (a contract made on the day itself is first debited the next
/// month), so the file made that day never misses anything that counts.
pub fn cutoff_date(rules: &CollectionRules, cal: &BusinessCalendar, month: YearMonth) -> Date {
    cal.business_days_before(
        debit_date(rules, cal, month),
        rules.cutoff_business_days.value,
    )
}

/// The month of the first debit of a contract that starts on `start`.
///
/// Legacy cycle: the month after next (翌々月). Renewed cycle: the first month whose cut-off is
/// still ahead on `start`, so a contract made early in the month is debited the same month.
pub fn first_debit_month(
    rules: &CollectionRules,
    cal: &BusinessCalendar,
    start: Date,
) -> YearMonth {
    let month = YearMonth::of(start);
    match rules.cycle.value {
        DebitCycle::Legacy => month.plus(2),
        DebitCycle::Renewed => first_open_month(rules, cal, start),
    }
}

/// The first month whose debit file is not made yet on `day`: the month itself before its
/// cut-off, else the next month (that month's file already went out, or goes out that day).
/// A new debit account registered on `day` is used from this month's debit on, whatever the
/// cycle: the cut-off is the file day in both.
pub fn first_open_month(rules: &CollectionRules, cal: &BusinessCalendar, day: Date) -> YearMonth {
    let month = YearMonth::of(day);
    if day < cutoff_date(rules, cal, month) {
        month
    } else {
        month.plus(1)
    }
}

/// One planned debit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduledDebit {
    pub month: YearMonth,
    pub date: Date,
    pub amount: Yen,
    /// Premium months this debit pays for (1, 6 or 12).
    pub months_covered: i32,
}

/// The next `count` debits from the first debit month, at the given premium and frequency.
pub fn premium_schedule(
    rules: &CollectionRules,
    cal: &BusinessCalendar,
    first_month: YearMonth,
    monthly_premium: Yen,
    frequency: PaymentFrequency,
    count: usize,
) -> Vec<ScheduledDebit> {
    let step = frequency.months_per_debit();
    (0..count)
        .map(|i| {
            let month = first_month.plus(step * i as i32);
            ScheduledDebit {
                month,
                date: debit_date(rules, cal, month),
                amount: monthly_premium
                    .checked_mul(i64::from(step))
                    .unwrap_or(monthly_premium),
                months_covered: step,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Program;
    use crate::rules::RuleBook;
    use jiff::civil::date;

    fn cal() -> BusinessCalendar {
        // Real 2026/2027 holidays near the dates used below.
        BusinessCalendar::new([
            date(2026, 1, 1),
            date(2026, 1, 12),
            date(2026, 11, 3),
            date(2026, 11, 23),
            date(2027, 1, 1),
            date(2027, 1, 11),
        ])
    }

    #[test]
    fn a_day_before_the_cut_off_is_still_in_the_month_and_the_cut_off_day_is_not() {
        let book = RuleBook::embedded().unwrap();
        let se = &book
            .in_force(Program::SmallEnterprise, date(2026, 11, 1))
            .unwrap()
            .collection;
        let nov = YearMonth::new(2026, 11).unwrap();
        let cutoff = cutoff_date(se, &cal(), nov);
        assert_eq!(cutoff, date(2026, 11, 11));
        assert_eq!(first_open_month(se, &cal(), date(2026, 11, 10)), nov);
        assert_eq!(first_open_month(se, &cal(), cutoff), nov.plus(1));
        assert_eq!(
            first_open_month(se, &cal(), date(2026, 11, 30)),
            nov.plus(1)
        );
    }

    #[test]
    fn debit_dates_move_to_business_days() {
        let book = RuleBook::embedded().unwrap();
        let se = &book
            .in_force(Program::SmallEnterprise, date(2026, 11, 1))
            .unwrap()
            .collection;
        let sn = &book
            .in_force(Program::SafetyNet, date(2026, 11, 1))
            .unwrap()
            .collection;
        // 2026-01-18 is a Sunday → Monday the 19th.
        assert_eq!(
            debit_date(se, &cal(), YearMonth::new(2026, 1).unwrap()),
            date(2026, 1, 19)
        );
        // 2026-12-18 is a Friday.
        assert_eq!(
            debit_date(se, &cal(), YearMonth::new(2026, 12).unwrap()),
            date(2026, 12, 18)
        );
        // 2026-12-27 is a Sunday → Monday the 28th.
        assert_eq!(
            debit_date(sn, &cal(), YearMonth::new(2026, 12).unwrap()),
            date(2026, 12, 28)
        );
        // 2027-03-27 is a Saturday → Monday the 29th.
        assert_eq!(
            debit_date(sn, &cal(), YearMonth::new(2027, 3).unwrap()),
            date(2027, 3, 29)
        );
    }

    #[test]
    fn first_debit_by_cycle() {
        let book = RuleBook::embedded().unwrap();
        let mut rules = book
            .in_force(Program::SmallEnterprise, date(2026, 11, 1))
            .unwrap()
            .collection
            .clone();
        // Renewed: debit 2026-11-18 (Wed); 5 business days before is 2026-11-11 (Wed).
        assert_eq!(
            cutoff_date(&rules, &cal(), YearMonth::new(2026, 11).unwrap()),
            date(2026, 11, 11)
        );
        assert_eq!(
            first_debit_month(&rules, &cal(), date(2026, 11, 10)).to_string(),
            "2026-11"
        );
        // The cut-off day itself is the file's day: too late for that month.
        assert_eq!(
            first_debit_month(&rules, &cal(), date(2026, 11, 11)).to_string(),
            "2026-12"
        );
        rules.cycle.value = DebitCycle::Legacy;
        assert_eq!(
            first_debit_month(&rules, &cal(), date(2026, 11, 2)).to_string(),
            "2027-01"
        );
    }

    #[test]
    fn schedule_by_frequency() {
        let book = RuleBook::embedded().unwrap();
        let rules = &book
            .in_force(Program::SmallEnterprise, date(2026, 11, 1))
            .unwrap()
            .collection;
        let first = YearMonth::new(2026, 12).unwrap();
        let s = premium_schedule(
            rules,
            &cal(),
            first,
            Yen::new(10_000),
            PaymentFrequency::SemiAnnual,
            3,
        );
        let months: Vec<String> = s.iter().map(|d| d.month.to_string()).collect();
        assert_eq!(months, ["2026-12", "2027-06", "2027-12"]);
        assert!(
            s.iter()
                .all(|d| d.amount == Yen::new(60_000) && d.months_covered == 6)
        );
        let m = premium_schedule(
            rules,
            &cal(),
            first,
            Yen::new(10_000),
            PaymentFrequency::Monthly,
            2,
        );
        assert_eq!(m[1].date, date(2027, 1, 18));
        assert_eq!(m[1].amount, Yen::new(10_000));
    }
}
