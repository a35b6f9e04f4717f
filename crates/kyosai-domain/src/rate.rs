//! Exact rates: 80.5%, 0.9/1000, 1/10, 0.00504 … as integer fractions, never floating point.
//!
//! Rule files write a rate as text (`"80.5%"`, `"0.9/1000"`, `"1/10"`, `"0.00504"`, `"0"`), which
//! is parsed exactly into a reduced fraction. Amounts are multiplied by rates only through
//! [`crate::rounding`], which rounds once, as the rule says.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A non-negative exact rational rate `num / den` (reduced, `den > 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    num: i64,
    den: i64,
}

const fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs()
}

impl Rate {
    pub const ZERO: Rate = Rate { num: 0, den: 1 };
    pub const ONE: Rate = Rate { num: 1, den: 1 };

    /// `num / den`, reduced. None when `den <= 0` or `num < 0`.
    pub fn new(num: i64, den: i64) -> Option<Rate> {
        if den <= 0 || num < 0 {
            return None;
        }
        let g = gcd(num, den).max(1);
        Some(Rate {
            num: num / g,
            den: den / g,
        })
    }

    /// A whole percentage, e.g. `Rate::percent(95)` = 95% (negative input gives zero).
    pub const fn percent(p: i64) -> Rate {
        if p <= 0 {
            return Rate::ZERO;
        }
        let g = gcd(p, 100);
        Rate {
            num: p / g,
            den: 100 / g,
        }
    }

    pub fn num(self) -> i64 {
        self.num
    }

    pub fn den(self) -> i64 {
        self.den
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    /// The product of two rates (e.g. a refund rate × 95%).
    pub fn times(self, other: Rate) -> Option<Rate> {
        let num = i128::from(self.num) * i128::from(other.num);
        let den = i128::from(self.den) * i128::from(other.den);
        let g = gcd128(num, den).max(1);
        Rate::new(i64::try_from(num / g).ok()?, i64::try_from(den / g).ok()?)
    }

    /// The rate in percent when it is a terminating decimal (all rates in the rules are),
    /// as `(digits, decimals)`, e.g. 80.5% → `(805, 1)`. None for e.g. 1/3.
    pub fn percent_decimal(self) -> Option<(i128, u32)> {
        let (mut num, den) = (i128::from(self.num) * 100, i128::from(self.den));
        for decimals in 0..=18u32 {
            if num % den == 0 {
                return Some((num / den, decimals));
            }
            num *= 10;
        }
        None
    }
}

fn gcd128(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs()
}

impl PartialOrd for Rate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rate {
    fn cmp(&self, other: &Self) -> Ordering {
        (i128::from(self.num) * i128::from(other.den))
            .cmp(&(i128::from(other.num) * i128::from(self.den)))
    }
}

/// Why a rate text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rate \"{0}\": write e.g. \"80.5%\", \"0.9/1000\", \"1/10\" or \"0.00504\"")]
pub struct RateParseError(pub String);

/// Parses a non-negative decimal (`"80.5"`, `"0.9"`) into `(num, 10^decimals)`.
fn parse_decimal(s: &str) -> Option<(i64, i64)> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 12 || int.len() > 12 {
        return None;
    }
    let den = 10i64.checked_pow(u32::try_from(frac.len()).ok()?)?;
    let int_v: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_v: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    Some((int_v.checked_mul(den)?.checked_add(frac_v)?, den))
}

impl FromStr for Rate {
    type Err = RateParseError;

    fn from_str(text: &str) -> Result<Rate, RateParseError> {
        let err = || RateParseError(text.to_string());
        let s = text.trim();
        let parsed = if let Some(p) = s.strip_suffix('%') {
            let (n, d) = parse_decimal(p).ok_or_else(err)?;
            Rate::new(n, d.checked_mul(100).ok_or_else(err)?)
        } else if let Some((a, b)) = s.split_once('/') {
            let (an, ad) = parse_decimal(a).ok_or_else(err)?;
            let (bn, bd) = parse_decimal(b).ok_or_else(err)?;
            // (an/ad) / (bn/bd) = an*bd / (ad*bn)
            Rate::new(
                an.checked_mul(bd).ok_or_else(err)?,
                ad.checked_mul(bn).ok_or_else(err)?,
            )
        } else {
            let (n, d) = parse_decimal(s).ok_or_else(err)?;
            Rate::new(n, d)
        };
        parsed.ok_or_else(err)
    }
}

impl fmt::Display for Rate {
    /// Percent when the rate is a terminating decimal (`80.5%`), else the fraction (`1/3`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.percent_decimal() {
            Some((digits, 0)) => write!(f, "{digits}%"),
            Some((digits, decimals)) => {
                let scale = 10i128.pow(decimals);
                write!(
                    f,
                    "{}.{:0width$}%",
                    digits / scale,
                    digits % scale,
                    width = decimals as usize
                )
            }
            None => write!(f, "{}/{}", self.num, self.den),
        }
    }
}

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Rate, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A percentage shown to a person or returned by the API: a JSON integer when whole (`80`),
/// else a decimal number (`80.5`). Display only; never used in a computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percent(pub Rate);

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.percent_decimal() {
            Some((digits, 0)) => s.serialize_i64(i64::try_from(digits).unwrap_or(i64::MAX)),
            Some((digits, decimals)) => {
                // Display only: the exact rate stays in the rule set.
                let value = digits as f64 / 10f64.powi(decimals as i32);
                s.serialize_f64(value)
            }
            None => s.serialize_f64(self.0.num as f64 * 100.0 / self.0.den as f64),
        }
    }
}

/// A JSON number (integer when whole), as serialized above.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Percent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .examples([80])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Percent {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_notation_exactly() {
        let r = |s: &str| s.parse::<Rate>().unwrap();
        assert_eq!(r("80.5%"), Rate::new(805, 1000).unwrap());
        assert_eq!(r("0.9/1000"), Rate::new(9, 10_000).unwrap());
        assert_eq!(r("5/1000"), Rate::new(1, 200).unwrap());
        assert_eq!(r("1/10"), Rate::new(1, 10).unwrap());
        assert_eq!(r("0.00504"), Rate::new(504, 100_000).unwrap());
        assert_eq!(r("0.504%"), r("0.00504"));
        assert_eq!(r("0"), Rate::ZERO);
        assert_eq!(r("100%"), Rate::ONE);
        for bad in ["", "%", "-1%", "1/0", "abc", "1.2.3", "1e3", "0x10"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn displays_and_orders() {
        assert_eq!("80.5%".parse::<Rate>().unwrap().to_string(), "80.5%");
        assert_eq!("0.9/1000".parse::<Rate>().unwrap().to_string(), "0.09%");
        assert_eq!(Rate::new(1, 3).unwrap().to_string(), "1/3");
        assert!(Rate::percent(80) < "80.25%".parse().unwrap());
        assert_eq!(
            Rate::percent(95)
                .times(Rate::percent(95))
                .unwrap()
                .to_string(),
            "90.25%"
        );
    }
}
