//! Numbers and dates as people type them into forms (`50,000円`, `５万`, `60か月`,
//! `２０２６年５月２７日`): the one parser for the enrollment, the account change and the
//! calculators, so a text one form accepts is accepted by every form, and refused with the same
//! words.
//!
//! Accepted: half-width and full-width digits, commas of both widths, spaces around the number,
//! a leading minus sign (ranges are the caller's rules, not the parser's), and a unit: `円` and
//! the `万` suffix for amounts, `か月`/`歳`/`年`/`人` for counts. `1.5万` is 15,000 yen; a
//! decimal is accepted only before `万` and only when the amount is whole yen.

use jiff::civil::Date;

use crate::error::FieldError;

/// What a typed number counts; decides the units it may carry and the example in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    /// Yen: `円` and `万` (ten thousand).
    Yen,
    /// Months, years, ages, people: `か月`, `歳`, `年`, `年度`, `人`.
    Count,
}

/// The text is not a number of this kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber(pub NumberKind);

impl NotANumber {
    pub const CODE: &'static str = "not_a_number";

    /// `{label}は半角または全角の数字で入力してください（例：50000、5万）。`
    pub fn message(self, label: &str) -> String {
        let example = match self.0 {
            NumberKind::Yen => "50000、5万",
            NumberKind::Count => "12",
        };
        format!("{label}は半角または全角の数字で入力してください（例：{example}）。")
    }

    pub fn field_error(self, field: &str, label: &str) -> FieldError {
        FieldError::new(field, Self::CODE, self.message(label))
    }
}

/// An amount in yen: `50000`, `50,000円`, `５０，０００`, `5万`, `1.5万円`.
pub fn parse_yen(raw: &str) -> Result<i64, NotANumber> {
    parse(raw, NumberKind::Yen).ok_or(NotANumber(NumberKind::Yen))
}

/// A whole count: `60`, `60か月`, `６２歳`, `2026年度`, `5人`.
pub fn parse_count(raw: &str) -> Result<i64, NotANumber> {
    parse(raw, NumberKind::Count).ok_or(NotANumber(NumberKind::Count))
}

/// A calendar date: `2026-05-27`, `2026/5/27`, `2026年5月27日`, in half- or full-width digits
/// (`２０２６－０５－２７`). The year has four digits (a two-digit year is ambiguous between
/// eras); month and day one or two. None for anything else, or a day the calendar lacks
/// (`2026-02-30`). Callers keep their own message: the app's forms and the calculators show
/// different examples.
pub fn parse_date(raw: &str) -> Option<Date> {
    let text: String = raw
        .trim()
        .chars()
        .map(half_width)
        .map(|c| match c {
            '/' | '／' | '.' | '年' | '月' => '-',
            c => c,
        })
        .collect();
    // `年`/`月` became `-`; only the `年月日` form may end with `日`.
    let body = match text.strip_suffix('日') {
        Some(rest) if raw.contains('年') => rest,
        Some(_) => return None,
        None if raw.contains('年') => return None,
        None => text.as_str(),
    };
    let mut parts = body.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if y.len() != 4 || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
        return None;
    }
    let (y, m, d) = (digits(y)?, digits(m)?, digits(d)?);
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// The one normaliser for kana fields (フリガナ, account holder): half-width katakana become
/// full-width (`ﾀﾅｶ` → `タナカ`, `ｶﾞ` → `ガ`), hiragana become katakana (`たなか` → `タナカ`),
/// and spaces of either width become one full-width space. Everything else is kept, so the
/// caller's check can still refuse it by name. Applied before every check and stored, so the
/// confirmation page shows what was checked.
pub fn normalize_kana(raw: &str) -> String {
    let mut out = String::new();
    let mut pending_space = false;
    let mut chars = raw.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' || c == '　' {
            pending_space = true;
            continue;
        }
        if pending_space {
            out.push('　');
            pending_space = false;
        }
        let k = match c {
            'ぁ'..='ゖ' | 'ゝ' | 'ゞ' => char::from_u32(u32::from(c) + 0x60).unwrap_or(c),
            '\u{FF61}'..='\u{FF9F}' => half_width_katakana(c),
            c => c,
        };
        let voiced = match chars.peek() {
            Some('ﾞ' | '\u{3099}' | '゛') => voiced_of(k),
            Some('ﾟ' | '\u{309A}' | '゜') => semi_voiced_of(k),
            _ => None,
        };
        match voiced {
            Some(v) => {
                out.push(v);
                chars.next();
            }
            None => out.push(k),
        }
    }
    out
}

/// The one normaliser for digit fields (phone, postcode, codes, account and corporate
/// numbers): full-width letters, digits and signs become half-width and the ends are trimmed;
/// what the digits mean is the caller's check.
pub fn normalize_digits(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '　' => ' ',
            'ー' | '−' | '‐' => '-',
            c => c,
        })
        .collect()
}

/// A date field as it is stored and shown: ISO `2026-05-27` when [`parse_date`] reads it,
/// else the text as typed (so the field's message can quote it).
pub fn normalize_date(raw: &str) -> String {
    parse_date(raw).map_or_else(|| raw.trim().to_string(), |d| d.to_string())
}

/// An amount field as it is stored and shown: plain digits when [`parse_yen`] reads it
/// (`５万円` → `50000`), else the text as typed.
pub fn normalize_yen(raw: &str) -> String {
    parse_yen(raw).map_or_else(|_| raw.trim().to_string(), |n| n.to_string())
}

/// A count field as it is stored and shown: plain digits when [`parse_count`] reads it
/// (`５人` → `5`), else the text as typed.
pub fn normalize_count(raw: &str) -> String {
    parse_count(raw).map_or_else(|_| raw.trim().to_string(), |n| n.to_string())
}

/// `ｱ` → `ア` … for the half-width katakana block (U+FF61–U+FF9F).
fn half_width_katakana(c: char) -> char {
    const FULL: &str = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";
    let i = (u32::from(c) - 0xFF61) as usize;
    FULL.chars().nth(i).unwrap_or(c)
}

/// `カ` + `ﾞ` → `ガ`; None when the kana has no voiced form.
fn voiced_of(k: char) -> Option<char> {
    match k {
        'ウ' => Some('ヴ'),
        'カ' | 'キ' | 'ク' | 'ケ' | 'コ' | 'サ' | 'シ' | 'ス' | 'セ' | 'ソ' | 'タ' | 'チ'
        | 'ツ' | 'テ' | 'ト' | 'ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ' => {
            char::from_u32(u32::from(k) + 1)
        }
        _ => None,
    }
}

/// `ハ` + `ﾟ` → `パ`; None when the kana has no semi-voiced form.
fn semi_voiced_of(k: char) -> Option<char> {
    match k {
        'ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ' => char::from_u32(u32::from(k) + 2),
        _ => None,
    }
}

/// Units a count may end with (longest first, so `年度` is not read as `年` + `度`).
const COUNT_UNITS: [&str; 10] = [
    "年度", "か月", "カ月", "ヶ月", "ケ月", "ヵ月", "箇月", "歳", "年", "人",
];

fn parse(raw: &str, kind: NumberKind) -> Option<i64> {
    let text: String = raw
        .trim()
        .chars()
        .map(half_width)
        .filter(|c| *c != ',')
        .collect();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let magnitude = match kind {
        NumberKind::Yen => {
            let body = body.strip_suffix('円').unwrap_or(body);
            match body.strip_suffix('万') {
                Some(man) => ten_thousands(man)?,
                None => digits(body)?,
            }
        }
        NumberKind::Count => {
            let body = COUNT_UNITS
                .iter()
                .find_map(|u| body.strip_suffix(u))
                .unwrap_or(body);
            digits(body)?
        }
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Full-width digits, comma, point and minus as their half-width forms.
fn half_width(c: char) -> char {
    match c {
        '０'..='９' => {
            char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
        }
        '，' => ',',
        '．' => '.',
        '－' | '−' | 'ー' => '-',
        c => c,
    }
}

/// A non-empty run of ASCII digits.
fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `5` → 50,000; `1.5` → 15,000; `1.23456` → none (not whole yen).
fn ten_thousands(s: &str) -> Option<i64> {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    if s.ends_with('.') || fraction.len() > 4 {
        return None;
    }
    let fraction_yen = if fraction.is_empty() {
        0
    } else {
        digits(fraction)? * 10_i64.pow(4 - fraction.len() as u32)
    };
    digits(whole)?
        .checked_mul(10_000)?
        .checked_add(fraction_yen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_people_type_them() {
        for (typed, yen) in [
            ("50000", 50_000),
            ("50,000", 50_000),
            ("50,000円", 50_000),
            ("５０，０００", 50_000),
            ("５０，０００円", 50_000),
            ("  50000 ", 50_000),
            ("　50000　", 50_000),
            ("5万", 50_000),
            ("５万", 50_000),
            ("5万円", 50_000),
            ("300万円", 3_000_000),
            ("1.5万", 15_000),
            ("１．５万", 15_000),
            ("1.2345万", 12_345),
            ("0", 0),
            ("-1", -1),
            ("－1000", -1_000),
        ] {
            assert_eq!(parse_yen(typed), Ok(yen), "{typed}");
        }
    }

    #[test]
    fn what_is_not_an_amount_is_refused() {
        for typed in [
            "",
            " ",
            "abc",
            "1.5",
            "1.23456万",
            "5万3000",
            "万",
            "円",
            "5円万",
            "5.万",
            "1.5.0万",
            "60か月",
            "5千",
            "1e3",
            "50 000",
            "99999999999999999999",
            "1844674407370956万",
        ] {
            assert_eq!(
                parse_yen(typed),
                Err(NotANumber(NumberKind::Yen)),
                "{typed}"
            );
        }
    }

    #[test]
    fn counts_as_people_type_them() {
        for (typed, n) in [
            ("60", 60),
            ("60か月", 60),
            ("６０ヶ月", 60),
            ("62歳", 62),
            ("2026年度", 2026),
            ("5人", 5),
            ("1,200", 1_200),
            ("-1", -1),
        ] {
            assert_eq!(parse_count(typed), Ok(n), "{typed}");
        }
        for typed in ["", "5万", "60円", "1.5", "六十", "60か月分"] {
            assert_eq!(
                parse_count(typed),
                Err(NotANumber(NumberKind::Count)),
                "{typed}"
            );
        }
    }

    #[test]
    fn dates_as_people_type_them() {
        let may27 = Date::new(2026, 5, 27).ok();
        let apr1 = Date::new(2020, 4, 1).ok();
        for (typed, date) in [
            ("2026-05-27", may27),
            ("2026/05/27", may27),
            ("2026/5/27", may27),
            ("2026-5-27", may27),
            ("2026.5.27", may27),
            ("2026年5月27日", may27),
            ("2026年05月27日", may27),
            ("２０２６年５月２７日", may27),
            ("２０２６－０５－２７", may27),
            ("２０２６／５／２７", may27),
            ("  2026-05-27 ", may27),
            ("2020-04-01", apr1),
            ("2020年4月1日", apr1),
        ] {
            assert_eq!(parse_date(typed), date, "{typed}");
        }
    }

    #[test]
    fn what_is_not_a_date_is_refused() {
        for typed in [
            "",
            "昨日",
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "26-05-27",
            "20260527",
            "2026-05",
            "2026-05-27-01",
            "2026-005-27",
            "2026年5月27",
            "2026-05-27日",
            "2026/05/27 10:00",
            "-2026-05-27",
            "2026--27",
        ] {
            assert_eq!(parse_date(typed), None, "{typed}");
        }
    }

    #[test]
    fn kana_of_every_width_and_script_reads_the_same() {
        for (typed, kana) in [
            ("ﾀﾅｶ", "タナカ"),
            ("たなか", "タナカ"),
            ("タナカ", "タナカ"),
            ("ｶﾞﾊﾟﾝ", "ガパン"),
            ("ｳﾞｨｯﾄ", "ヴィット"),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ"),
            ("やまだ　 たろう ", "ヤマダ　タロウ"),
            ("ｰ", "ー"),
            ("ﾞ", "゛"),
            ("ﾔﾏﾀﾞ(ｶ", "ヤマダ(カ"),
            ("田中", "田中"),
        ] {
            assert_eq!(normalize_kana(typed), kana, "{typed}");
        }
    }

    #[test]
    fn digits_dates_and_amounts_are_stored_in_one_form() {
        assert_eq!(
            normalize_digits("　０３－１２３４－５６７８ "),
            "03-1234-5678"
        );
        assert_eq!(normalize_digits("１００ー０００１"), "100-0001");
        assert_eq!(normalize_date("２０２０年４月１日"), "2020-04-01");
        assert_eq!(normalize_date("2020/4/1"), "2020-04-01");
        assert_eq!(normalize_date(" 昨日 "), "昨日");
        assert_eq!(normalize_yen("５万円"), "50000");
        assert_eq!(normalize_yen("五万"), "五万");
        assert_eq!(normalize_count("５人"), "5");
    }

    #[test]
    fn the_message_names_both_widths_and_the_example() {
        let e = parse_yen("abc").unwrap_err();
        assert_eq!(
            e.message("掛金月額"),
            "掛金月額は半角または全角の数字で入力してください（例：50000、5万）。"
        );
        assert_eq!(e.field_error("f", "掛金月額").code, "not_a_number");
    }
}
