//! Money as exact integer yen.
//!
//! Every amount in both programs is a whole number of yen (REFERENCE §2). Arithmetic is checked so
//! that an overflow is an error, never a wrapped figure; rounding lives in [`crate::rounding`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of money in whole yen.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Yen(i64);

impl Yen {
    pub const ZERO: Yen = Yen(0);

    pub const fn new(yen: i64) -> Self {
        Yen(yen)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Yen) -> Option<Yen> {
        self.0.checked_add(other.0).map(Yen)
    }

    pub fn checked_sub(self, other: Yen) -> Option<Yen> {
        self.0.checked_sub(other.0).map(Yen)
    }

    pub fn checked_mul(self, factor: i64) -> Option<Yen> {
        self.0.checked_mul(factor).map(Yen)
    }

    /// Whether the amount is a whole multiple of `step` (premium steps: 500 or 5,000 yen).
    pub fn is_multiple_of(self, step: Yen) -> bool {
        step.0 != 0 && self.0.rem_euclid(step.0) == 0
    }
}

impl fmt::Display for Yen {
    /// Japanese notation with thousands separators, e.g. `10,000円`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}円", group_thousands(self.0))
    }
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_separators() {
        assert_eq!(Yen::new(0).to_string(), "0円");
        assert_eq!(Yen::new(999).to_string(), "999円");
        assert_eq!(Yen::new(1000).to_string(), "1,000円");
        assert_eq!(Yen::new(8_000_000).to_string(), "8,000,000円");
        assert_eq!(Yen::new(-1_234_567).to_string(), "-1,234,567円");
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Yen::new(i64::MAX).checked_add(Yen::new(1)), None);
        assert_eq!(Yen::new(500).checked_mul(3), Some(Yen::new(1500)));
    }

    #[test]
    fn multiples() {
        assert!(Yen::new(1500).is_multiple_of(Yen::new(500)));
        assert!(!Yen::new(1501).is_multiple_of(Yen::new(500)));
        assert!(!Yen::new(1500).is_multiple_of(Yen::ZERO));
    }
}
