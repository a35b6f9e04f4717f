//! Conversion of what a user types into Zengin half-width katakana.
//!
//! Zengin name fields accept a JIS X 0201 subset only (REFERENCE §8):
//! half-width katakana ｱ–ﾝ (0xB1–0xDD), ﾞ (0xDE), ﾟ (0xDF), A–Z, 0–9, space,
//! plus `( ) - .` in party names and only `-` in bank/branch names.
//! Small kana, ｦ, ｰ and lowercase letters are never allowed.
//!
//! Strings produced here hold *Unicode* half-width characters (U+FF71…U+FF9F
//! and ASCII); every character maps to exactly one byte of the record.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// Which symbol set a Zengin text field admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CharClass {
    /// Party names (預金者名, 委託者名, 受取人名…): kana, A–Z, 0–9, space and `( ) - .`.
    Party,
    /// Bank and branch names (銀行名, 支店名): kana, A–Z, 0–9, space and `-`.
    Bank,
}

impl CharClass {
    /// Japanese label used in messages.
    pub fn label_ja(self) -> &'static str {
        match self {
            CharClass::Party => "口座名義",
            CharClass::Bank => "金融機関名・支店名",
        }
    }

    /// Whether the single record byte `b` is allowed in a field of this class.
    #[inline]
    pub fn allows_byte(self, b: u8) -> bool {
        let bit = match self {
            CharClass::Party => PARTY_BIT,
            CharClass::Bank => BANK_BIT,
        };
        BYTE_TABLE[b as usize] & bit != 0
    }

    /// Whether the (already converted) character `c` is allowed in this class.
    #[inline]
    pub fn allows_char(self, c: char) -> bool {
        crate::encoding::zengin_byte(c).is_some_and(|b| self.allows_byte(b))
    }
}

const PARTY_BIT: u8 = 1;
const BANK_BIT: u8 = 2;

/// Per-byte class membership, built at compile time.
static BYTE_TABLE: [u8; 256] = build_byte_table();

const fn build_byte_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let both = PARTY_BIT | BANK_BIT;
    t[b' ' as usize] = both;
    t[b'-' as usize] = both;
    t[b'(' as usize] = PARTY_BIT;
    t[b')' as usize] = PARTY_BIT;
    t[b'.' as usize] = PARTY_BIT;
    let mut b = b'0';
    while b <= b'9' {
        t[b as usize] = both;
        b += 1;
    }
    let mut b = b'A';
    while b <= b'Z' {
        t[b as usize] = both;
        b += 1;
    }
    let mut b = 0xB1u8;
    while b <= 0xDF {
        t[b as usize] = both;
        b += 1;
    }
    t
}

/// An error converting or checking a Zengin kana text. Messages are Japanese
/// and meant to be shown to the person who typed the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KanaError {
    /// A character that cannot be expressed in the field.
    #[error("{label}に使えない文字「{character}」が含まれています（{position}文字目）。{hint}", label = .class.label_ja(), hint = hint_for(*.character))]
    DisallowedCharacter {
        /// The offending character as typed.
        character: char,
        /// 1-based character position in the input.
        position: usize,
        /// The class the text was checked against.
        class: CharClass,
    },
    /// Nothing left after trimming.
    #[error("{label}が入力されていません。カタカナで入力してください。", label = .class.label_ja())]
    Empty {
        /// The class the text was checked against.
        class: CharClass,
    },
    /// The converted text does not fit into the fixed-width field.
    #[error("{label}が長すぎます（半角{max_bytes}文字まで、入力は半角{actual_bytes}文字です。濁点・半濁点も1文字と数えます）。", label = .class.label_ja())]
    TooLong {
        /// Width in record bytes of the converted text.
        actual_bytes: usize,
        /// Field width.
        max_bytes: usize,
        /// The class the text was checked against.
        class: CharClass,
    },
}

impl KanaError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            KanaError::DisallowedCharacter { .. } => "character",
            KanaError::Empty { .. } => "empty",
            KanaError::TooLong { .. } => "too_long",
        }
    }
}

fn hint_for(c: char) -> &'static str {
    if is_kanji(c) {
        "カタカナで入力してください。"
    } else {
        "カタカナ・英大文字・数字・スペースと記号「( ) - .」だけが使えます（金融機関名・支店名の記号は「-」のみ）。"
    }
}

fn is_kanji(c: char) -> bool {
    matches!(
        c,
        '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{3FFFF}'
            | '々'
            | '〆'
    )
}

/// Converts user input into Zengin half-width katakana for a party name
/// (預金者名 etc.).
///
/// NFKC-aware: hiragana and full-width katakana become half-width katakana
/// (voiced kana split into base + ﾞ/ﾟ), small kana become large, ヰ/ヱ/ヲ
/// become ｲ/ｴ/ｵ, long-vowel marks and dashes become `-`, latin letters are
/// upper-cased, full-width digits and symbols become ASCII, runs of
/// whitespace (including the ideographic space) collapse into one space and
/// the result is trimmed. Anything else (kanji, `・`, `,`…) is an error
/// naming the character and its 1-based position.
pub fn to_zengin_kana(input: &str) -> Result<String, KanaError> {
    convert(input, CharClass::Party)
}

/// Like [`to_zengin_kana`] but for bank and branch names (only `-` as symbol).
pub fn to_zengin_bank_kana(input: &str) -> Result<String, KanaError> {
    convert(input, CharClass::Bank)
}

/// Converts `input` for a field of class `class`. See [`to_zengin_kana`].
pub fn convert(input: &str, class: CharClass) -> Result<String, KanaError> {
    let mut out = String::with_capacity(input.len());
    // Pending space: only emitted before the next non-space character, which
    // both collapses runs and trims the end.
    let mut pending_space = false;
    for (idx, c) in input.chars().enumerate() {
        let position = idx + 1;
        let err = || KanaError::DisallowedCharacter {
            character: c,
            position,
            class,
        };
        let mut emit = |piece: Piece, out: &mut String| -> Result<(), KanaError> {
            match piece {
                Piece::Space => {
                    pending_space = !out.is_empty();
                }
                Piece::Chars(a, b) => {
                    if !class.allows_char(a) || b.is_some_and(|b| !class.allows_char(b)) {
                        return Err(err());
                    }
                    if pending_space {
                        out.push(' ');
                        pending_space = false;
                    }
                    out.push(a);
                    if let Some(b) = b {
                        out.push(b);
                    }
                }
            }
            Ok(())
        };
        if let Some(piece) = map_char(c) {
            emit(piece, &mut out)?;
            continue;
        }
        // Slow path: compatibility-normalise this character alone and map
        // each resulting character (e.g. 'Ａ' → 'A', '①' → '1', '㈱' → '(株)').
        let mut any = false;
        for n in std::iter::once(c).nfkc() {
            any = true;
            match map_char(n) {
                Some(piece) => emit(piece, &mut out)?,
                None => return Err(err()),
            }
        }
        if !any {
            return Err(err());
        }
    }
    if out.is_empty() {
        return Err(KanaError::Empty { class });
    }
    Ok(out)
}

/// What one input character becomes.
#[derive(Debug, Clone, Copy)]
enum Piece {
    Space,
    /// One or two output characters (base + voicing mark).
    Chars(char, Option<char>),
}

const DAKUTEN: char = 'ﾞ';
const HANDAKUTEN: char = 'ﾟ';

/// Half-width form of full-width katakana U+30A1..=U+30FA, as
/// (half-width base, voicing: 0 none, 1 ﾞ, 2 ﾟ).
/// Small kana map to their large forms; ヰ/ヱ/ヲ to ｲ/ｴ/ｵ.
const KATAKANA: [(char, u8); 90] = [
    ('ｱ', 0), // ァ
    ('ｱ', 0), // ア
    ('ｲ', 0), // ィ
    ('ｲ', 0), // イ
    ('ｳ', 0), // ゥ
    ('ｳ', 0), // ウ
    ('ｴ', 0), // ェ
    ('ｴ', 0), // エ
    ('ｵ', 0), // ォ
    ('ｵ', 0), // オ
    ('ｶ', 0), // カ
    ('ｶ', 1), // ガ
    ('ｷ', 0), // キ
    ('ｷ', 1), // ギ
    ('ｸ', 0), // ク
    ('ｸ', 1), // グ
    ('ｹ', 0), // ケ
    ('ｹ', 1), // ゲ
    ('ｺ', 0), // コ
    ('ｺ', 1), // ゴ
    ('ｻ', 0), // サ
    ('ｻ', 1), // ザ
    ('ｼ', 0), // シ
    ('ｼ', 1), // ジ
    ('ｽ', 0), // ス
    ('ｽ', 1), // ズ
    ('ｾ', 0), // セ
    ('ｾ', 1), // ゼ
    ('ｿ', 0), // ソ
    ('ｿ', 1), // ゾ
    ('ﾀ', 0), // タ
    ('ﾀ', 1), // ダ
    ('ﾁ', 0), // チ
    ('ﾁ', 1), // ヂ
    ('ﾂ', 0), // ッ
    ('ﾂ', 0), // ツ
    ('ﾂ', 1), // ヅ
    ('ﾃ', 0), // テ
    ('ﾃ', 1), // デ
    ('ﾄ', 0), // ト
    ('ﾄ', 1), // ド
    ('ﾅ', 0), // ナ
    ('ﾆ', 0), // ニ
    ('ﾇ', 0), // ヌ
    ('ﾈ', 0), // ネ
    ('ﾉ', 0), // ノ
    ('ﾊ', 0), // ハ
    ('ﾊ', 1), // バ
    ('ﾊ', 2), // パ
    ('ﾋ', 0), // ヒ
    ('ﾋ', 1), // ビ
    ('ﾋ', 2), // ピ
    ('ﾌ', 0), // フ
    ('ﾌ', 1), // ブ
    ('ﾌ', 2), // プ
    ('ﾍ', 0), // ヘ
    ('ﾍ', 1), // ベ
    ('ﾍ', 2), // ペ
    ('ﾎ', 0), // ホ
    ('ﾎ', 1), // ボ
    ('ﾎ', 2), // ポ
    ('ﾏ', 0), // マ
    ('ﾐ', 0), // ミ
    ('ﾑ', 0), // ム
    ('ﾒ', 0), // メ
    ('ﾓ', 0), // モ
    ('ﾔ', 0), // ャ
    ('ﾔ', 0), // ヤ
    ('ﾕ', 0), // ュ
    ('ﾕ', 0), // ユ
    ('ﾖ', 0), // ョ
    ('ﾖ', 0), // ヨ
    ('ﾗ', 0), // ラ
    ('ﾘ', 0), // リ
    ('ﾙ', 0), // ル
    ('ﾚ', 0), // レ
    ('ﾛ', 0), // ロ
    ('ﾜ', 0), // ヮ
    ('ﾜ', 0), // ワ
    ('ｲ', 0), // ヰ
    ('ｴ', 0), // ヱ
    ('ｵ', 0), // ヲ
    ('ﾝ', 0), // ン
    ('ｳ', 1), // ヴ
    ('ｶ', 0), // ヵ
    ('ｹ', 0), // ヶ
    ('ﾜ', 1), // ヷ
    ('ｲ', 1), // ヸ
    ('ｴ', 1), // ヹ
    ('ｵ', 1), // ヺ
];

fn katakana_piece(c: char) -> Option<Piece> {
    let idx = (c as u32).checked_sub(0x30A1)? as usize;
    let &(base, voicing) = KATAKANA.get(idx)?;
    let mark = match voicing {
        1 => Some(DAKUTEN),
        2 => Some(HANDAKUTEN),
        _ => None,
    };
    Some(Piece::Chars(base, mark))
}

/// Direct mapping of characters that need no compatibility normalisation.
/// Returns `None` when the character should go through NFKC (or is invalid).
fn map_char(c: char) -> Option<Piece> {
    let one = |c| Some(Piece::Chars(c, None));
    match c {
        ' ' | '\t' | '\u{3000}' | '\u{00A0}' => Some(Piece::Space),
        'A'..='Z' | '0'..='9' | '(' | ')' | '-' | '.' => one(c),
        'a'..='z' => one(c.to_ascii_uppercase()),
        // Half-width katakana ｱ..ﾟ are already Zengin characters.
        '\u{FF71}'..='\u{FF9F}' => one(c),
        // Half-width ｦ, small kana and ｰ.
        'ｦ' => one('ｵ'),
        'ｧ' => one('ｱ'),
        'ｨ' => one('ｲ'),
        'ｩ' => one('ｳ'),
        'ｪ' => one('ｴ'),
        'ｫ' => one('ｵ'),
        'ｬ' => one('ﾔ'),
        'ｭ' => one('ﾕ'),
        'ｮ' => one('ﾖ'),
        'ｯ' => one('ﾂ'),
        // Long vowel marks, hyphens and dashes.
        'ｰ' | 'ー' | '－' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '﹣' => {
            one('-')
        }
        // Voicing marks: combining (from NFD input such as macOS) and spacing.
        '\u{3099}' | '\u{309B}' => one(DAKUTEN),
        '\u{309A}' | '\u{309C}' => one(HANDAKUTEN),
        // Hiragana → katakana (same layout, offset 0x60); ゔ ゕ ゖ included.
        '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).and_then(katakana_piece),
        '\u{30A1}'..='\u{30FA}' => katakana_piece(c),
        _ => None,
    }
}

/// Width in record bytes of `text`: one byte for each ASCII or half-width
/// katakana character, two for anything else (as Shift_JIS would take).
pub fn zengin_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            if c.is_ascii() || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
                1
            } else {
                2
            }
        })
        .sum()
}

/// Checks that already converted `kana` fits into a field of `max_bytes`
/// bytes (e.g. 30 for 預金者名, 15 for 支店名, 40 for 委託者名).
pub fn check_field_width(kana: &str, max_bytes: usize) -> Result<(), KanaError> {
    check_field_width_for(kana, max_bytes, CharClass::Party)
}

/// [`check_field_width`] with the field class used in the message.
pub fn check_field_width_for(
    kana: &str,
    max_bytes: usize,
    class: CharClass,
) -> Result<(), KanaError> {
    let actual_bytes = zengin_width(kana);
    if actual_bytes > max_bytes {
        return Err(KanaError::TooLong {
            actual_bytes,
            max_bytes,
            class,
        });
    }
    Ok(())
}

/// Debug-friendly wrapper used in messages about raw record bytes.
pub(crate) struct ByteDisplay(pub u8);

impl fmt::Display for ByteDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match crate::encoding::zengin_char(self.0) {
            Some(c) if self.0 >= 0x20 => write!(f, "「{c}」(0x{:02X})", self.0),
            _ => write!(f, "0x{:02X}", self.0),
        }
    }
}
