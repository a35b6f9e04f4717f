//! 掛金区分: premium tranches from a chronological premium history (REFERENCE §2.4, §3.2).
//!
//! Each month's premium is made of 500-yen units. An increase adds units on top, and those units
//! count their own months paid from the increase on. A decrease stops the top units: they keep
//! the months they had and are valued on their own at the end. Units added by a later increase
//! form a new tranche (months from zero), never reopen a stopped one.

use crate::money::Yen;

/// One stretch of the history: `months` months at `monthly_premium`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PremiumSegment {
    pub monthly_premium: Yen,
    pub months: u32,
}

/// A group of units with the same months paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tranche {
    /// Number of 500-yen units.
    pub units: u32,
    pub months_paid: u32,
    /// Of `months_paid`, the months whose premiums were for months before the 表1 cut-over
    /// (H16-4): a 解約手当金 values those at 表2 (REFERENCE §3.4). Zero for an undated history.
    pub legacy_months: u32,
    /// False when a decrease stopped these units.
    pub active: bool,
}

impl Tranche {
    /// The premiums paid into this tranche: units × unit × months.
    pub fn premiums(&self, unit: Yen) -> Yen {
        Yen::new(
            unit.get()
                .saturating_mul(i64::from(self.units))
                .saturating_mul(i64::from(self.months_paid)),
        )
    }

    /// The premiums paid into this tranche for months before the 表1 cut-over.
    pub fn legacy_premiums(&self, unit: Yen) -> Yen {
        Yen::new(
            unit.get()
                .saturating_mul(i64::from(self.units))
                .saturating_mul(i64::from(self.legacy_months)),
        )
    }
}

/// The tranches of a history plus its totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tranches {
    /// Active tranches bottom (oldest) to top, then stopped tranches in the order they stopped.
    pub tranches: Vec<Tranche>,
    /// 掛金納付月数 of the contract.
    pub months_paid: u32,
    /// 掛金合計額.
    pub total_paid: Yen,
}

/// Why a history cannot be split into tranches; `index` is the segment's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryError {
    NotPositive { index: usize },
    NotAMultipleOfUnit { index: usize },
    TooLarge { index: usize },
}

/// Splits a chronological history into tranches. Segments of zero months change nothing (a
/// premium never paid creates and stops no unit), so splitting or merging segments at the same
/// premium never changes the result.
pub fn tranches(history: &[PremiumSegment], unit: Yen) -> Result<Tranches, HistoryError> {
    tranches_dated(history, unit, 0)
}

/// [`tranches`] of a history whose first `legacy_segments` segments are for premium months
/// before the 表1 cut-over (the caller splits a segment that straddles it): each tranche also
/// counts its `legacy_months`.
pub fn tranches_dated(
    history: &[PremiumSegment],
    unit: Yen,
    legacy_segments: usize,
) -> Result<Tranches, HistoryError> {
    let mut active: Vec<Tranche> = Vec::with_capacity(8);
    let mut stopped: Vec<Tranche> = Vec::new();
    let mut active_units: u32 = 0;
    let mut months_paid: u32 = 0;
    let mut total_paid: i64 = 0;
    for (index, seg) in history.iter().enumerate() {
        let p = seg.monthly_premium.get();
        if p <= 0 || unit.get() <= 0 {
            return Err(HistoryError::NotPositive { index });
        }
        if p % unit.get() != 0 {
            return Err(HistoryError::NotAMultipleOfUnit { index });
        }
        let units = u32::try_from(p / unit.get()).map_err(|_| HistoryError::TooLarge { index })?;
        if seg.months == 0 {
            continue;
        }
        if units > active_units {
            active.push(Tranche {
                units: units - active_units,
                months_paid: 0,
                legacy_months: 0,
                active: true,
            });
        } else {
            let mut excess = active_units - units;
            while excess > 0 {
                let Some(top) = active.last_mut() else { break };
                if top.units <= excess {
                    excess -= top.units;
                    let mut t = *top;
                    t.active = false;
                    stopped.push(t);
                    active.pop();
                } else {
                    top.units -= excess;
                    stopped.push(Tranche {
                        units: excess,
                        months_paid: top.months_paid,
                        legacy_months: top.legacy_months,
                        active: false,
                    });
                    excess = 0;
                }
            }
        }
        active_units = units;
        for t in &mut active {
            t.months_paid = t
                .months_paid
                .checked_add(seg.months)
                .ok_or(HistoryError::TooLarge { index })?;
            if index < legacy_segments {
                t.legacy_months += seg.months;
            }
        }
        months_paid = months_paid
            .checked_add(seg.months)
            .ok_or(HistoryError::TooLarge { index })?;
        total_paid = p
            .checked_mul(i64::from(seg.months))
            .and_then(|x| total_paid.checked_add(x))
            .ok_or(HistoryError::TooLarge { index })?;
    }
    active.extend(stopped);
    Ok(Tranches {
        tranches: active,
        months_paid,
        total_paid: Yen::new(total_paid),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(p: i64, months: u32) -> PremiumSegment {
        PremiumSegment {
            monthly_premium: Yen::new(p),
            months,
        }
    }

    fn t(units: u32, months_paid: u32, active: bool) -> Tranche {
        Tranche {
            units,
            months_paid,
            legacy_months: 0,
            active,
        }
    }

    const UNIT: Yen = Yen::new(500);

    #[test]
    fn single_premium_is_one_tranche() {
        let r = tranches(&[seg(10_000, 60)], UNIT).unwrap();
        assert_eq!(r.tranches, vec![t(20, 60, true)]);
        assert_eq!((r.months_paid, r.total_paid), (60, Yen::new(600_000)));
    }

    #[test]
    fn increase_adds_units_with_their_own_months() {
        let r = tranches(&[seg(10_000, 60), seg(15_000, 24)], UNIT).unwrap();
        assert_eq!(r.tranches, vec![t(20, 84, true), t(10, 24, true)]);
        assert_eq!(r.total_paid, Yen::new(600_000 + 360_000));
    }

    #[test]
    fn decrease_stops_the_top_units() {
        let r = tranches(&[seg(10_000, 60), seg(15_000, 24), seg(12_000, 12)], UNIT).unwrap();
        assert_eq!(
            r.tranches,
            vec![t(20, 96, true), t(4, 36, true), t(6, 24, false)]
        );
        // Down to 5,000 stops the whole increase and part of the base.
        let r = tranches(&[seg(10_000, 60), seg(15_000, 24), seg(5_000, 12)], UNIT).unwrap();
        assert_eq!(
            r.tranches,
            vec![t(10, 96, true), t(10, 24, false), t(10, 84, false)]
        );
    }

    #[test]
    fn increase_after_decrease_is_a_new_tranche() {
        let r = tranches(&[seg(10_000, 12), seg(5_000, 12), seg(10_000, 12)], UNIT).unwrap();
        assert_eq!(
            r.tranches,
            vec![t(10, 36, true), t(10, 12, true), t(10, 12, false)]
        );
    }

    #[test]
    fn legacy_months_follow_each_tranche() {
        // 24 months at 10,000 before the cut-over, 12 after, then an increase for 12 months.
        let r = tranches_dated(
            &[seg(10_000, 24), seg(10_000, 12), seg(15_000, 12)],
            UNIT,
            1,
        )
        .unwrap();
        assert_eq!(
            r.tranches
                .iter()
                .map(|t| (t.units, t.months_paid, t.legacy_months))
                .collect::<Vec<_>>(),
            [(20, 48, 24), (10, 12, 0)]
        );
        assert_eq!(r.tranches[0].legacy_premiums(UNIT), Yen::new(240_000));
    }

    #[test]
    fn bad_segments_are_reported_by_index() {
        assert_eq!(
            tranches(&[seg(10_000, 1), seg(10_250, 1)], UNIT),
            Err(HistoryError::NotAMultipleOfUnit { index: 1 })
        );
        assert_eq!(
            tranches(&[seg(0, 1)], UNIT),
            Err(HistoryError::NotPositive { index: 0 })
        );
    }
}
