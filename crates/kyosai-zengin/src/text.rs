//! Fixed-width Zengin text fields that can only hold allowed bytes.

use std::fmt;
use std::marker::PhantomData;

use crate::encoding::{zengin_byte, zengin_char};
use crate::kana::{self, CharClass, KanaError};

/// A character set marker for [`ZenginText`].
pub trait Charset: Copy + fmt::Debug + Eq + std::hash::Hash + Default + 'static {
    /// The runtime class.
    const CLASS: CharClass;
}

/// Party names: kana, A–Z, 0–9, space, `( ) - .`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Party;
/// Bank and branch names: kana, A–Z, 0–9, space, `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bank;

impl Charset for Party {
    const CLASS: CharClass = CharClass::Party;
}
impl Charset for Bank {
    const CLASS: CharClass = CharClass::Bank;
}

/// A text field of exactly `N` record bytes, left-aligned and space-filled,
/// every byte of which is allowed for charset `C`. The only way to build one
/// is through a checking constructor, so whatever a writer copies from it is
/// valid Zengin.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZenginText<const N: usize, C: Charset = Party> {
    bytes: [u8; N],
    _charset: PhantomData<C>,
}

/// 預金者名 (30 bytes).
pub type HolderName = ZenginText<30, Party>;
/// 委託者名 (40 bytes).
pub type OriginatorName = ZenginText<40, Party>;
/// 銀行名 / 支店名 (15 bytes).
pub type BankName = ZenginText<15, Bank>;

impl<const N: usize, C: Charset> ZenginText<N, C> {
    /// An all-space (empty) field.
    pub const fn blank() -> Self {
        Self {
            bytes: [b' '; N],
            _charset: PhantomData,
        }
    }

    /// Builds a field from text that is *already* Zengin (e.g. the output of
    /// [`kana::to_zengin_kana`], or `"ﾔﾏﾀﾞ ﾀﾛｳ"`). Trailing spaces are
    /// padding. Errors name the first disallowed character, or the width.
    pub fn new(text: &str) -> Result<Self, KanaError> {
        let mut bytes = [b' '; N];
        for (i, c) in text.chars().enumerate() {
            let b = match zengin_byte(c) {
                Some(b) if C::CLASS.allows_byte(b) => b,
                _ => {
                    return Err(KanaError::DisallowedCharacter {
                        character: c,
                        position: i + 1,
                        class: C::CLASS,
                    });
                }
            };
            let Some(slot) = bytes.get_mut(i) else {
                return Err(KanaError::TooLong {
                    actual_bytes: kana::zengin_width(text),
                    max_bytes: N,
                    class: C::CLASS,
                });
            };
            *slot = b;
        }
        Ok(Self {
            bytes,
            _charset: PhantomData,
        })
    }

    /// Converts user input with [`kana::convert`] and checks the width.
    pub fn from_input(input: &str) -> Result<Self, KanaError> {
        let converted = kana::convert(input, C::CLASS)?;
        Self::new(&converted)
    }

    /// Builds a field from raw record bytes (exactly `N`). On failure returns
    /// the index of the first disallowed byte.
    pub fn from_bytes(raw: &[u8]) -> Result<Self, usize> {
        let bytes: [u8; N] = raw.try_into().map_err(|_| raw.len().min(N))?;
        if let Some(i) = bytes.iter().position(|&b| !C::CLASS.allows_byte(b)) {
            return Err(i);
        }
        Ok(Self {
            bytes,
            _charset: PhantomData,
        })
    }

    /// The padded record bytes.
    pub fn as_bytes(&self) -> &[u8; N] {
        &self.bytes
    }

    /// The record bytes without trailing padding.
    pub fn trimmed_bytes(&self) -> &[u8] {
        let end = self
            .bytes
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(0, |i| i + 1);
        &self.bytes[..end]
    }

    /// True when the field is all spaces.
    pub fn is_blank(&self) -> bool {
        self.trimmed_bytes().is_empty()
    }
}

impl<const N: usize, C: Charset> Default for ZenginText<N, C> {
    fn default() -> Self {
        Self::blank()
    }
}

impl<const N: usize, C: Charset> fmt::Display for ZenginText<N, C> {
    /// The text without trailing padding, as half-width Unicode.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for &b in self.trimmed_bytes() {
            // Every stored byte is allowed, hence mappable.
            f.write_char(zengin_char(b).unwrap_or('?'))?;
        }
        Ok(())
    }
}

impl<const N: usize, C: Charset> fmt::Debug for ZenginText<N, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ZenginText<{N}>(\"{self}\")")
    }
}

impl<const N: usize, C: Charset> std::str::FromStr for ZenginText<N, C> {
    type Err = KanaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// Error building a [`Digits`] value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigitsError {
    /// Not only ASCII digits, or empty.
    #[error("数字以外の文字が含まれています。")]
    NotDigits,
    /// More digits than the field holds.
    #[error("桁数が多すぎます（{max}桁まで）。")]
    TooLong {
        /// Field width.
        max: usize,
    },
}

/// A numeric (N) field of exactly `N` digits, right-aligned and zero-filled:
/// bank code (4), branch code (3), account number (7), 委託者コード (10),
/// 顧客番号 (20).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digits<const N: usize>([u8; N]);

/// 銀行番号 (4 digits; 9900 = ゆうちょ銀行).
pub type BankCode = Digits<4>;
/// 支店番号 (3 digits).
pub type BranchCode = Digits<3>;
/// 口座番号 (7 digits).
pub type AccountNumber = Digits<7>;
/// 委託者コード (10 digits).
pub type OriginatorCode = Digits<10>;
/// 顧客番号 (20 digits); the system stores a bill id here.
pub type CustomerNumber = Digits<20>;

impl<const N: usize> Digits<N> {
    /// Parses 1..=N ASCII digits, left-padding with zeros ("5" → "0005").
    pub fn new(s: &str) -> Result<Self, DigitsError> {
        let src = s.as_bytes();
        if src.is_empty() || !src.iter().all(u8::is_ascii_digit) {
            return Err(DigitsError::NotDigits);
        }
        if src.len() > N {
            return Err(DigitsError::TooLong { max: N });
        }
        let mut out = [b'0'; N];
        out[N - src.len()..].copy_from_slice(src);
        Ok(Self(out))
    }

    /// Zero-padded decimal form of `value`.
    pub fn from_u64(value: u64) -> Result<Self, DigitsError> {
        let mut out = [b'0'; N];
        let mut v = value;
        for slot in out.iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        if v != 0 {
            return Err(DigitsError::TooLong { max: N });
        }
        Ok(Self(out))
    }

    /// From raw record bytes (exactly `N` ASCII digits).
    pub fn from_bytes(raw: &[u8]) -> Option<Self> {
        let arr: [u8; N] = raw.try_into().ok()?;
        arr.iter().all(u8::is_ascii_digit).then_some(Self(arr))
    }

    /// The digits as text (always `N` characters).
    pub fn as_str(&self) -> &str {
        // Invariant: ASCII digits only.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The raw digits.
    pub fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// Numeric value, when it fits in a `u64`.
    pub fn to_u64(&self) -> Option<u64> {
        self.0.iter().try_fold(0u64, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
    }
}

impl<const N: usize> Default for Digits<N> {
    fn default() -> Self {
        Self([b'0'; N])
    }
}

impl<const N: usize> fmt::Display for Digits<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for Digits<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digits<{N}>({})", self.as_str())
    }
}

impl<const N: usize> std::str::FromStr for Digits<N> {
    type Err = DigitsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}
