//! 法人番号 (corporate number): 13 digits assigned by the National Tax Agency, the first of
//! which is a check digit over the other twelve. A 経営セーフティ共済 contract of a corporation
//! is made with the corporation (REFERENCE §1.2), which the number identifies.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::input::normalize_digits;

/// A 法人番号 whose check digit is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CorporateNumber([u8; 13]);

/// Why a text is not a 法人番号.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorporateNumberError {
    /// Not 13 digits.
    Format,
    /// 13 digits, but the check digit does not match (a typing mistake).
    CheckDigit,
}

impl CorporateNumberError {
    pub fn code(self) -> &'static str {
        match self {
            CorporateNumberError::Format => "format",
            CorporateNumberError::CheckDigit => "check_digit",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            CorporateNumberError::Format => "法人番号は13桁の数字で入力してください。",
            CorporateNumberError::CheckDigit => {
                "法人番号が正しくありません。入力した13桁をお確かめください。"
            }
        }
    }
}

impl CorporateNumber {
    /// Parses 13 digits, half- or full-width, with optional spaces or hyphens between groups.
    pub fn parse(raw: &str) -> Result<CorporateNumber, CorporateNumberError> {
        let text: String = normalize_digits(raw)
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let digits: Vec<u8> = text
            .chars()
            .map(|c| c.to_digit(10).and_then(|d| u8::try_from(d).ok()))
            .collect::<Option<_>>()
            .ok_or(CorporateNumberError::Format)?;
        let digits: [u8; 13] = digits
            .try_into()
            .map_err(|_| CorporateNumberError::Format)?;
        if digits[0] != check_digit(&digits[1..]) {
            return Err(CorporateNumberError::CheckDigit);
        }
        Ok(CorporateNumber(digits))
    }

    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

/// The National Tax Agency's check digit (法人番号の指定等に関する省令 第2条): with P(n) the n-th
/// digit of the 12-digit base counted from the right and Q(n) = 1 for odd n, 2 for even n,
/// the check digit is 9 − (Σ P(n)·Q(n) mod 9).
fn check_digit(base: &[u8]) -> u8 {
    let sum: u32 = base
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    9 - u8::try_from(sum % 9).unwrap_or(0)
}

impl fmt::Display for CorporateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits())
    }
}

impl TryFrom<String> for CorporateNumber {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CorporateNumber::parse(&s).map_err(CorporateNumberError::message)
    }
}

impl From<CorporateNumber> for String {
    fn from(n: CorporateNumber) -> String {
        n.digits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_numbers_pass_their_check_digit() {
        // 国税庁 7000012050002 and トヨタ自動車 1180301018771 (法人番号公表サイト).
        for n in ["7000012050002", "1180301018771"] {
            assert_eq!(CorporateNumber::parse(n).map(|c| c.digits()), Ok(n.into()));
        }
        assert_eq!(
            CorporateNumber::parse("７０００ ０１２０ ５０００２").map(|c| c.digits()),
            Ok("7000012050002".into())
        );
    }

    #[test]
    fn a_mistyped_digit_fails_the_check_digit() {
        assert_eq!(
            CorporateNumber::parse("7000012050003"),
            Err(CorporateNumberError::CheckDigit)
        );
        assert_eq!(
            CorporateNumber::parse("1000012050002"),
            Err(CorporateNumberError::CheckDigit)
        );
        for bad in ["", "700001205000", "70000120500021", "7000O12050002"] {
            assert_eq!(
                CorporateNumber::parse(bad),
                Err(CorporateNumberError::Format),
                "{bad}"
            );
        }
    }
}
