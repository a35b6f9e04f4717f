//! Parsing submitted forms into typed input, collecting every field error at once (one parser for
//! the HTML forms and the JSON API, so both give the same field-level messages).

use jiff::civil::Date;
use kyosai_domain::FieldError;
use kyosai_domain::input::{self, NotANumber};
use serde::{Deserialize, Deserializer};

/// Accepts a JSON string, number or boolean as text (API clients send numbers; forms send text).
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
        Some(other) => Some(other.to_string()),
    })
}

/// Collects field errors while parsing.
pub(crate) struct Parser {
    pub(crate) errors: Vec<FieldError>,
}

/// Text fields longer than this are refused (a field, not a document).
const MAX_TEXT: usize = 100;

pub(crate) fn to_ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// Emoji, pictographs, their modifiers and joiners, and private-use characters: nothing a
/// register, a Zengin file or a printed certificate can carry, in any text field.
fn is_pictograph(c: char) -> bool {
    matches!(u32::from(c),
        0x1F000..=0x1FAFF // emoji, pictographs, skin tones
        | 0x2600..=0x27BF // miscellaneous symbols, dingbats
        | 0xFE00..=0xFE0F // variation selectors
        | 0x200B..=0x200F | 0x2060..=0x206F // zero-width joiners and marks
        | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF // private use
        | 0xE0000..=0xE007F // tags
    )
}

impl Parser {
    pub(crate) fn err(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// The upload tokens of field `evidence`, trimmed: at most `max`, none empty.
    pub(crate) fn evidence(&mut self, tokens: &[String], max: usize) -> Vec<String> {
        if tokens.len() > max {
            self.err(
                "evidence",
                "too_many",
                format!("添付書類は{max}件までです。"),
            );
        }
        let tokens: Vec<String> = tokens.iter().map(|t| t.trim().to_string()).collect();
        if tokens.iter().any(String::is_empty) {
            self.err("evidence", "invalid", "添付書類の指定が正しくありません。");
        }
        tokens
    }

    pub(crate) fn required<'a>(
        &mut self,
        field: &str,
        v: &'a Option<String>,
        label: &str,
    ) -> Option<&'a str> {
        match v.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => {
                if s.chars().count() > MAX_TEXT {
                    self.err(
                        field,
                        "too_long",
                        format!("{label}は{MAX_TEXT}文字以内で入力してください。"),
                    );
                    None
                } else if s.chars().any(|c| c.is_control() || is_pictograph(c)) {
                    self.err(
                        field,
                        "character",
                        format!("{label}に使えない文字（絵文字・制御文字など）が含まれています。"),
                    );
                    None
                } else {
                    Some(s)
                }
            }
            _ => {
                self.err(field, "required", format!("{label}を入力してください。"));
                None
            }
        }
    }

    pub(crate) fn text(&mut self, field: &str, v: &Option<String>, label: &str) -> Option<String> {
        self.required(field, v, label).map(str::to_string)
    }

    pub(crate) fn choice<T>(
        &mut self,
        field: &str,
        v: &Option<String>,
        label: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        if v.as_deref().is_none_or(|s| s.trim().is_empty()) {
            // A select or radio buttons: nothing is typed, so nothing is "entered".
            self.err(field, "required", format!("{label}を選択してください。"));
            return None;
        }
        let s = self.required(field, v, label)?;
        let parsed = parse(s);
        if parsed.is_none() {
            self.err(
                field,
                "invalid_choice",
                format!("{label}を選択肢から選んでください。"),
            );
        }
        parsed
    }

    /// A date as people type it (`2020-04-01`, `2020/4/1`, `２０２０年４月１日`:
    /// [`kyosai_domain::input::parse_date`]).
    pub(crate) fn date(&mut self, field: &str, v: &Option<String>, label: &str) -> Option<Date> {
        let d = input::parse_date(self.required(field, v, label)?);
        if d.is_none() {
            self.err(
                field,
                "date",
                format!("{label}は「2020-04-01」の形式で、正しい日付を入力してください。"),
            );
        }
        d
    }

    /// An amount in yen, as people type it (`50,000円`, `５万`: [`kyosai_domain::input`]).
    pub(crate) fn yen(
        &mut self,
        field: &str,
        v: &Option<String>,
        label: &str,
        max: i64,
    ) -> Option<i64> {
        self.number(field, v, label, max, input::parse_yen)
    }

    /// A count of people, months…, as people type it (`5人`, `６０`).
    pub(crate) fn count(
        &mut self,
        field: &str,
        v: &Option<String>,
        label: &str,
        max: i64,
    ) -> Option<i64> {
        self.number(field, v, label, max, input::parse_count)
    }

    fn number(
        &mut self,
        field: &str,
        v: &Option<String>,
        label: &str,
        max: i64,
        parse: fn(&str) -> Result<i64, NotANumber>,
    ) -> Option<i64> {
        match parse(self.required(field, v, label)?) {
            Ok(n) if (0..=max).contains(&n) => Some(n),
            Ok(n) if n < 0 => {
                self.err(
                    field,
                    "negative",
                    format!("{label}は0以上の数で入力してください。"),
                );
                None
            }
            Ok(_) => {
                self.err(field, "too_large", format!("{label}が大きすぎます。"));
                None
            }
            Err(e) => {
                self.errors.push(e.field_error(field, label));
                None
            }
        }
    }

    /// A kana reading. Hiragana and half-width katakana are accepted and read as full-width
    /// katakana ([`input::normalize_kana`]), the form the member sees on the confirmation page.
    pub(crate) fn kana(&mut self, field: &str, v: &Option<String>, label: &str) -> Option<String> {
        let s = input::normalize_kana(self.required(field, v, label)?);
        let ok = s
            .chars()
            .all(|c| matches!(c, 'ァ'..='ヺ' | 'ー' | 'ヽ' | 'ヾ' | '　'));
        if ok {
            Some(s)
        } else {
            self.err(
                field,
                "kana",
                format!("{label}はカタカナ（ひらがな・半角カナも可）で入力してください。"),
            );
            None
        }
    }

    /// A person's name: letters of any script (kanji, kana, Latin) with 々・〆 and spaces,
    /// hyphens, apostrophes and dots between them; no digits, symbols or emoji, which no
    /// register or certificate can carry.
    pub(crate) fn name(&mut self, field: &str, v: &Option<String>, label: &str) -> Option<String> {
        let s = self.required(field, v, label)?;
        let ok = s.chars().all(|c| {
            (c.is_alphabetic() && !c.is_ascii_digit())
                || matches!(
                    c,
                    '々' | '〆' | '・' | ' ' | '　' | '-' | '\'' | '.' | '－' | '．'
                )
        });
        if ok {
            Some(s.to_string())
        } else {
            self.err(
                field,
                "character",
                format!(
                    "{label}は漢字・ひらがな・カタカナ・英字で入力してください（数字・記号・絵文字は使えません）。"
                ),
            );
            None
        }
    }
}
