//! Reading the calculators' posted text forgivingly (`50,000円`, `５万`, `2026/5/1`), with
//! Japanese messages next to the fields. Numbers and dates go through the one parser of what
//! people type ([`kyosai_domain::input`]); the fields themselves are the shared [`crate::form_kit`].

use jiff::civil::Date;
use kyosai_domain::FieldError;
use kyosai_domain::input::{self, NotANumber};
use kyosai_domain::rules::RuleSet;

pub(crate) use crate::form_kit::is_on;

use super::Values;

/// Longest text kept from a posted field.
const MAX_LEN: usize = 40;

/// A posted value, trimmed and cut to a sane length.
pub(crate) fn clip(v: &str) -> String {
    v.trim().chars().take(MAX_LEN).collect()
}

pub(crate) fn text<'a>(values: &'a Values, name: &str) -> &'a str {
    values.get(name).map(|v| v.trim()).unwrap_or("")
}

/// A required amount in yen: a Japanese message when it is missing or not a number.
pub(crate) fn amount(
    values: &Values,
    name: &'static str,
    label: &str,
    errs: &mut Vec<FieldError>,
) -> Option<i64> {
    number(values, name, label, input::parse_yen, errs)
}

/// A required count (months, age, year).
pub(crate) fn count(
    values: &Values,
    name: &'static str,
    label: &str,
    errs: &mut Vec<FieldError>,
) -> Option<i64> {
    number(values, name, label, input::parse_count, errs)
}

/// An optional amount: `None` without an error when empty.
pub(crate) fn optional_amount(
    values: &Values,
    name: &'static str,
    label: &str,
    errs: &mut Vec<FieldError>,
) -> Option<i64> {
    if text(values, name).is_empty() {
        None
    } else {
        amount(values, name, label, errs)
    }
}

/// An optional count: `None` without an error when empty.
pub(crate) fn optional_count(
    values: &Values,
    name: &'static str,
    label: &str,
    errs: &mut Vec<FieldError>,
) -> Option<i64> {
    if text(values, name).is_empty() {
        None
    } else {
        count(values, name, label, errs)
    }
}

fn number(
    values: &Values,
    name: &'static str,
    label: &str,
    parse: fn(&str) -> Result<i64, NotANumber>,
    errs: &mut Vec<FieldError>,
) -> Option<i64> {
    let raw = text(values, name);
    if raw.is_empty() {
        errs.push(FieldError::new(
            name,
            "required",
            format!("{label}を入力してください。"),
        ));
        return None;
    }
    parse(raw)
        .map_err(|e| errs.push(e.field_error(name, label)))
        .ok()
}

/// A choice that must be one of `allowed`.
pub(crate) fn choice<'a>(
    values: &'a Values,
    name: &'static str,
    label: &str,
    allowed: &[&str],
    errs: &mut Vec<FieldError>,
) -> Option<&'a str> {
    let v = text(values, name);
    if allowed.contains(&v) {
        Some(v)
    } else {
        errs.push(FieldError::new(
            name,
            "required",
            format!("{label}を選んでください。"),
        ));
        None
    }
}

/// A date; `optional` dates may be left empty (`None` without an error).
pub(crate) fn date(
    values: &Values,
    name: &'static str,
    label: &str,
    optional: bool,
    errs: &mut Vec<FieldError>,
) -> Option<Date> {
    let raw = text(values, name);
    if raw.is_empty() {
        if !optional {
            errs.push(FieldError::new(
                name,
                "required",
                format!("{label}を入力してください。"),
            ));
        }
        return None;
    }
    let d = input::parse_date(raw);
    if d.is_none() {
        errs.push(FieldError::new(
            name,
            "format",
            format!("{label}は「2026-05-27」のように、年・月・日を入力してください。"),
        ));
    }
    d
}

/// `60か月（5年）`.
pub(crate) fn months_text(m: i64) -> String {
    match (m / 12, m % 12) {
        (0, _) => format!("{m}か月"),
        (y, 0) => format!("{m}か月（{y}年）"),
        (y, r) => format!("{m}か月（{y}年{r}か月）"),
    }
}

/// The premium field's hint, with the bounds of the rule set in force.
pub(crate) fn premium_hint(rules: &RuleSet, example: &str) -> String {
    let p = &rules.premium;
    format!(
        "{}から{}まで、{}単位。例：{example}",
        p.min_monthly_yen.value, p.max_monthly_yen.value, p.step_yen.value
    )
}

pub(crate) use crate::pages::view::yen;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_naturally() {
        assert_eq!(months_text(6), "6か月");
        assert_eq!(months_text(60), "60か月（5年）");
        assert_eq!(months_text(62), "62か月（5年2か月）");
    }
}
