//! Shift_JIS (CP932 family) handling and the direct JIS X 0201 mapping used
//! for record fields.
//!
//! Whole-text conversion goes through `encoding_rs` and fails on any
//! unmappable or malformed input (`had_errors` is always checked). Record
//! fields never need a multi-byte character, so they are mapped one
//! character to one byte directly, which is both faster and lets every byte
//! be checked against the field's allowed set.

use crate::kana::CharClass;

/// An error converting between Unicode and Shift_JIS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// The text has a character that Shift_JIS cannot represent.
    #[error("Shift_JISで表せない文字が含まれています。")]
    Unmappable,
    /// The bytes are not valid Shift_JIS.
    #[error("Shift_JISとして読めないバイト列が含まれています。")]
    Malformed,
    /// A character or byte outside the Zengin set for the field.
    #[error("全銀フォーマットで使えない文字が含まれています（{position}文字目）。")]
    NotZengin {
        /// 1-based character (encode) or byte (decode) position.
        position: usize,
    },
}

/// Encodes `text` as Shift_JIS with `encoding_rs`, failing on unmappable
/// characters instead of writing numeric character references.
pub fn encode_shift_jis(text: &str) -> Result<Vec<u8>, EncodingError> {
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(text);
    if had_errors {
        return Err(EncodingError::Unmappable);
    }
    Ok(bytes.into_owned())
}

/// Decodes Shift_JIS `bytes` with `encoding_rs` (no BOM sniffing), failing
/// on malformed input instead of inserting U+FFFD.
pub fn decode_shift_jis(bytes: &[u8]) -> Result<String, EncodingError> {
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(EncodingError::Malformed);
    }
    Ok(text.into_owned())
}

/// The single JIS X 0201 byte for `c`: printable ASCII or half-width
/// katakana (U+FF61..=U+FF9F → 0xA1..=0xDF). Says nothing about whether the
/// byte is allowed in a field; see [`CharClass::allows_byte`].
#[inline]
pub fn zengin_byte(c: char) -> Option<u8> {
    match c {
        ' '..='~' => Some(c as u8),
        '\u{FF61}'..='\u{FF9F}' => Some((c as u32 - 0xFEC0) as u8),
        _ => None,
    }
}

/// The character for a single JIS X 0201 byte (inverse of [`zengin_byte`]).
#[inline]
pub fn zengin_char(b: u8) -> Option<char> {
    match b {
        0x20..=0x7E => Some(b as char),
        0xA1..=0xDF => char::from_u32(b as u32 + 0xFEC0),
        _ => None,
    }
}

/// Encodes a field value to record bytes, checking every character against
/// `class`.
pub fn encode_field(text: &str, class: CharClass) -> Result<Vec<u8>, EncodingError> {
    let mut out = Vec::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match zengin_byte(c) {
            Some(b) if class.allows_byte(b) => out.push(b),
            _ => return Err(EncodingError::NotZengin { position: i + 1 }),
        }
    }
    Ok(out)
}

/// Decodes record bytes of a field, checking every byte against `class`.
pub fn decode_field(bytes: &[u8], class: CharClass) -> Result<String, EncodingError> {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, &b) in bytes.iter().enumerate() {
        match zengin_char(b) {
            Some(c) if class.allows_byte(b) => out.push(c),
            _ => return Err(EncodingError::NotZengin { position: i + 1 }),
        }
    }
    Ok(out)
}

/// Best-effort description of a disallowed byte sequence for messages: tries
/// to decode a Shift_JIS double-byte character (e.g. a kanji) at the start of
/// `bytes`.
pub(crate) fn describe_bad_bytes(bytes: &[u8]) -> String {
    let Some(&first) = bytes.first() else {
        return String::new();
    };
    let is_lead = matches!(first, 0x81..=0x9F | 0xE0..=0xFC);
    if is_lead && bytes.len() >= 2 {
        let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes[..2]);
        if !had_errors {
            return format!("「{text}」(0x{:02X}{:02X})", first, bytes[1]);
        }
    }
    crate::kana::ByteDisplay(first).to_string()
}
