//! 共済契約者番号: 9 digits, a 7-digit serial followed by 2 check digits (REFERENCE §6.1, §10 #67).
//!
//! SMRJ does not publish its check-digit scheme, so Kyosai uses ISO/IEC 7064 MOD 97-10 (the scheme
//! of IBAN): the check digits `cc` are chosen so that `serial·100 + cc ≡ 1 (mod 97)`, i.e.
//! `cc = 98 − (serial·100 mod 97)`, always in 02..=98. It detects every single-digit error and
//! every transposition of two adjacent digits, which are the mistakes people make when copying a
//! number from paper. The scheme is one function here, so adopting SMRJ's own later is one change.

use std::fmt;
use std::str::FromStr;

use crate::error::Invalid;

/// Serialised as its nine digits (what documents and members read).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "String", try_from = "String")]
pub struct ContractNumber(u32);

/// Largest 7-digit serial.
pub const MAX_SERIAL: u32 = 9_999_999;

impl ContractNumber {
    /// The number for a serial (1..=9,999,999), with its check digits.
    pub fn from_serial(serial: u32) -> Option<ContractNumber> {
        (1..=MAX_SERIAL)
            .contains(&serial)
            .then_some(ContractNumber(serial))
    }

    pub fn serial(self) -> u32 {
        self.0
    }

    pub fn check_digits(self) -> u32 {
        check_digits(self.0)
    }

    /// The nine digits as members see them.
    pub fn digits(self) -> String {
        format!("{:07}{:02}", self.0, self.check_digits())
    }
}

fn check_digits(serial: u32) -> u32 {
    let rem = (u64::from(serial) * 100 % 97) as u32;
    98 - rem
}

impl fmt::Display for ContractNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits())
    }
}

impl From<ContractNumber> for String {
    fn from(n: ContractNumber) -> String {
        n.digits()
    }
}

impl TryFrom<String> for ContractNumber {
    type Error = Invalid;

    fn try_from(s: String) -> Result<Self, Invalid> {
        s.parse()
    }
}

impl FromStr for ContractNumber {
    type Err = Invalid;

    /// Accepts the nine digits, optionally with a hyphen or spaces as people write them
    /// (`1234567-89`), and full-width digits typed on a phone.
    fn from_str(s: &str) -> Result<Self, Invalid> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | 'ー' | '－' | '　'))
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                c => c,
            })
            .collect();
        if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::one(
                "contract_number",
                "format",
                "共済契約者番号は9桁の数字で入力してください。",
            ));
        }
        let serial: u32 = digits[..7].parse().map_err(|_| format_error())?;
        let check: u32 = digits[7..].parse().map_err(|_| format_error())?;
        match ContractNumber::from_serial(serial) {
            Some(n) if n.check_digits() == check => Ok(n),
            _ => Err(Invalid::one(
                "contract_number",
                "check_digit",
                "共済契約者番号が正しくありません。番号をお確かめください。",
            )),
        }
    }
}

fn format_error() -> Invalid {
    Invalid::one(
        "contract_number",
        "format",
        "共済契約者番号は9桁の数字で入力してください。",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_numbers() {
        // 1000001·100 = 100000100 ≡ 84 (mod 97) → cc = 98 − 84 = 14.
        let n = ContractNumber::from_serial(1_000_001).unwrap();
        assert_eq!(n.digits(), "100000114");
        assert_eq!("100000114".parse::<ContractNumber>().unwrap(), n);
        assert_eq!("1000001-14".parse::<ContractNumber>().unwrap(), n);
        assert_eq!("１０００００１１４".parse::<ContractNumber>().unwrap(), n);
    }

    #[test]
    fn rejects_wrong_check_and_format() {
        assert_eq!(
            "100000115".parse::<ContractNumber>().unwrap_err().0[0].code,
            "check_digit"
        );
        for bad in ["", "12345678", "1234567890", "12345678a", "０"] {
            assert_eq!(
                bad.parse::<ContractNumber>().unwrap_err().0[0].code,
                "format"
            );
        }
        assert!(
            "000000098".parse::<ContractNumber>().is_err(),
            "serial 0 is not issued"
        );
        assert_eq!(ContractNumber::from_serial(0), None);
        assert_eq!(ContractNumber::from_serial(10_000_000), None);
    }

    proptest! {
        #[test]
        fn round_trips(serial in 1u32..=MAX_SERIAL) {
            let n = ContractNumber::from_serial(serial).unwrap();
            prop_assert_eq!(n.digits().parse::<ContractNumber>().unwrap(), n);
        }

        #[test]
        fn detects_single_digit_errors(serial in 1u32..=MAX_SERIAL, pos in 0usize..9, delta in 1u8..10) {
            let good = ContractNumber::from_serial(serial).unwrap().digits();
            let mut bytes = good.clone().into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let bad = String::from_utf8(bytes).unwrap();
            prop_assert!(bad.parse::<ContractNumber>().is_err());
        }

        #[test]
        fn detects_adjacent_transpositions(serial in 1u32..=MAX_SERIAL, pos in 0usize..8) {
            let good = ContractNumber::from_serial(serial).unwrap().digits();
            let mut bytes = good.clone().into_bytes();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            let bad = String::from_utf8(bytes).unwrap();
            prop_assert!(bad.parse::<ContractNumber>().is_err());
        }
    }
}
