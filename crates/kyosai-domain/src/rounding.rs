//! Every rounding the programs use, in one place.
//!
//! The published rules round once, at the end, down to the yen (円未満切捨て) unless they say
//! otherwise; loan amounts round down to their unit (5万円単位). Intermediate products use `i128`
//! so nothing overflows before the single rounding step. A result that would not fit in `i64`
//! saturates; the simulation layer bounds its inputs far below that.

use serde::{Deserialize, Serialize};

use crate::money::Yen;
use crate::rate::Rate;

/// How a fraction is rounded to an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// 切捨て: toward zero for the non-negative amounts of the rules.
    Floor,
    /// 切上げ.
    Ceil,
    /// 四捨五入.
    HalfUp,
}

/// A rounding rule: mode and unit (1 yen = 円未満, 10 yen = 10円未満, 50,000 yen = 5万円単位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rounding {
    pub mode: RoundingMode,
    pub unit_yen: i64,
}

impl Rounding {
    /// 円未満切捨て.
    pub const YEN_FLOOR: Rounding = Rounding {
        mode: RoundingMode::Floor,
        unit_yen: 1,
    };

    /// Rounds `num / den` (yen) to this rule's unit. `den` must be positive.
    pub fn apply_fraction(self, num: i128, den: i128) -> Yen {
        let unit = i128::from(self.unit_yen.max(1));
        let den = den.max(1) * unit;
        let q = num.div_euclid(den);
        let r = num.rem_euclid(den);
        let units = match self.mode {
            RoundingMode::Floor => q,
            RoundingMode::Ceil => q + i128::from(r != 0),
            RoundingMode::HalfUp => q + i128::from(2 * r >= den),
        };
        saturate(units * unit)
    }

    /// Rounds an amount to this rule's unit (e.g. a loan limit down to 50,000 yen).
    pub fn apply(self, amount: Yen) -> Yen {
        self.apply_fraction(i128::from(amount.get()), 1)
    }
}

fn saturate(v: i128) -> Yen {
    Yen::new(i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX }))
}

/// `amount × rate`, rounded down to the yen (円未満切捨て).
pub fn apply_rate(amount: Yen, rate: Rate) -> Yen {
    apply_rate_with(amount, rate, Rounding::YEN_FLOOR)
}

/// `amount × rate` with an explicit rounding rule.
pub fn apply_rate_with(amount: Yen, rate: Rate, rounding: Rounding) -> Yen {
    rounding.apply_fraction(
        i128::from(amount.get()) * i128::from(rate.num()),
        i128::from(rate.den()),
    )
}

/// `amount` rounded down to a multiple of `unit` (e.g. 5万円単位). Non-positive units leave the
/// amount unchanged.
pub fn floor_to_unit(amount: Yen, unit: Yen) -> Yen {
    if unit.get() <= 0 {
        return amount;
    }
    Rounding {
        mode: RoundingMode::Floor,
        unit_yen: unit.get(),
    }
    .apply(amount)
}

/// `a + b`, saturating (amounts inside the domain are far below the limits).
pub fn add(a: Yen, b: Yen) -> Yen {
    Yen::new(a.get().saturating_add(b.get()))
}

/// `a - b`, saturating.
pub fn sub(a: Yen, b: Yen) -> Yen {
    Yen::new(a.get().saturating_sub(b.get()))
}

/// `a × n`, saturating.
pub fn mul(a: Yen, n: i64) -> Yen {
    Yen::new(a.get().saturating_mul(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_modes() {
        let r = |mode, unit_yen| Rounding { mode, unit_yen };
        assert_eq!(r(RoundingMode::Floor, 1).apply_fraction(7, 2), Yen::new(3));
        assert_eq!(r(RoundingMode::Ceil, 1).apply_fraction(7, 2), Yen::new(4));
        assert_eq!(r(RoundingMode::HalfUp, 1).apply_fraction(7, 2), Yen::new(4));
        assert_eq!(
            r(RoundingMode::HalfUp, 1).apply_fraction(13, 4),
            Yen::new(3)
        );
        assert_eq!(
            r(RoundingMode::Floor, 10).apply_fraction(31_079, 1),
            Yen::new(31_070)
        );
        assert_eq!(
            floor_to_unit(Yen::new(7_649_999), Yen::new(50_000)),
            Yen::new(7_600_000)
        );
    }

    #[test]
    fn rates_round_down_to_the_yen() {
        let rate: Rate = "80.5%".parse().unwrap();
        assert_eq!(apply_rate(Yen::new(1_001), rate), Yen::new(805)); // 805.805
        assert_eq!(
            apply_rate(Yen::new(80_000), "0.9/1000".parse().unwrap()),
            Yen::new(72)
        );
    }
}
