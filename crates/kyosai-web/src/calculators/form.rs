//! Calculator form fields as view models for the shared `_field.html` partial (same names and
//! methods as the portal's fields: labels, hints, `aria-invalid`, `aria-describedby`), and the
//! forgiving parsing of what people type (`50,000円`, `５万`, `2026/5/1`).

use jiff::civil::Date;
use kyosai_domain::FieldError;

use super::Values;

/// Longest text kept from a posted field.
const MAX_LEN: usize = 40;

pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub id: String,
    pub checked: bool,
}

pub(crate) struct Field {
    pub name: &'static str,
    pub id: String,
    pub label: String,
    /// `text`, `select`, `radio` or `checkbox`.
    pub kind: &'static str,
    /// For `text`: `text` or `date`.
    pub input_type: &'static str,
    pub value: String,
    pub hint: String,
    pub error: String,
    pub autocomplete: &'static str,
    pub inputmode: &'static str,
    pub options: Vec<Choice>,
    pub required: bool,
    /// CSS width class: `w-4`, `w-8`, `w-full`.
    pub width: &'static str,
    pub maxlength: u32,
}

impl Field {
    /// A whole-number field (`inputmode=numeric`: the phone shows the number pad).
    pub fn number(name: &'static str, label: impl Into<String>) -> Field {
        Field {
            name,
            id: format!("f-{name}"),
            label: label.into(),
            kind: "text",
            input_type: "text",
            value: String::new(),
            hint: String::new(),
            error: String::new(),
            autocomplete: "off",
            inputmode: "numeric",
            options: Vec::new(),
            required: true,
            width: "w-8",
            maxlength: 20,
        }
    }

    pub fn date(name: &'static str, label: impl Into<String>) -> Field {
        Field {
            input_type: "date",
            inputmode: "",
            maxlength: 10,
            ..Field::number(name, label)
        }
    }

    /// A `select` or `radio` field; `choices` are (value, label).
    pub fn choice(
        name: &'static str,
        label: impl Into<String>,
        kind: &'static str,
        choices: &[(&str, &str)],
    ) -> Field {
        let id = format!("f-{name}");
        Field {
            kind,
            inputmode: "",
            autocomplete: "",
            width: "w-full",
            options: choices
                .iter()
                .enumerate()
                .map(|(i, (value, label))| Choice {
                    id: format!("{id}-{i}"),
                    value: (*value).to_string(),
                    label: (*label).to_string(),
                    checked: false,
                })
                .collect(),
            ..Field::number(name, label)
        }
    }

    /// A single checkbox (`on` when ticked).
    pub fn checkbox(name: &'static str, label: impl Into<String>) -> Field {
        let label = label.into();
        let mut f = Field::choice(name, label.clone(), "checkbox", &[]);
        f.required = false;
        f.options = vec![Choice {
            id: f.id.clone(),
            value: "on".into(),
            label,
            checked: false,
        }];
        f
    }

    pub fn hint(mut self, h: impl Into<String>) -> Field {
        self.hint = h.into();
        self
    }

    pub fn optional(mut self) -> Field {
        self.required = false;
        self
    }

    pub fn width(mut self, w: &'static str) -> Field {
        self.width = w;
        self
    }

    /// Sets value and error from the form and its errors, marking the chosen option.
    pub fn fill(mut self, values: &Values, errors: &[FieldError]) -> Field {
        self.value = values.get(self.name).cloned().unwrap_or_default();
        if let Some(e) = errors.iter().find(|e| e.field == self.name) {
            self.error = e.message.clone();
        }
        if self.kind == "checkbox" {
            let on = is_on(&self.value);
            for o in &mut self.options {
                o.checked = on;
            }
        } else {
            for o in &mut self.options {
                o.checked = o.value == self.value;
            }
        }
        self
    }

    /// The element the error summary links to (the first radio of a group).
    pub fn anchor(&self) -> String {
        match (self.kind, self.options.first()) {
            ("radio", Some(o)) => o.id.clone(),
            _ => self.id.clone(),
        }
    }

    pub fn hint_id(&self) -> String {
        format!("{}-hint", self.id)
    }

    pub fn error_id(&self) -> String {
        format!("{}-error", self.id)
    }

    /// The `aria-describedby` value: hint and error, whichever exist.
    pub fn describedby(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(self.hint_id());
        }
        if !self.error.is_empty() {
            ids.push(self.error_id());
        }
        ids.join(" ")
    }

    pub fn has_error(&self) -> bool {
        !self.error.is_empty()
    }
}

/// A group of fields (a `fieldset` with a legend). A `collapsible` group is shown in a
/// `<details>` element, open when it holds a value or an error.
pub(crate) struct Section {
    pub legend: String,
    pub hint: String,
    pub fields: Vec<Field>,
    pub collapsible: bool,
    pub open: bool,
}

impl Section {
    pub fn new(legend: impl Into<String>, fields: Vec<Field>) -> Section {
        Section {
            legend: legend.into(),
            hint: String::new(),
            fields,
            collapsible: false,
            open: true,
        }
    }

    pub fn hint(mut self, h: impl Into<String>) -> Section {
        self.hint = h.into();
        self
    }

    /// Folded away unless something in it was entered or is wrong.
    pub fn collapsible(mut self) -> Section {
        self.collapsible = true;
        self.open = self
            .fields
            .iter()
            .any(|f| f.has_error() || !f.value.trim().is_empty());
        self
    }
}

/// A link in the error summary at the top of the form.
pub(crate) struct SummaryItem {
    pub href: String,
    pub message: String,
}

/// The error summary, in page order.
pub(crate) fn summary(sections: &[Section]) -> Vec<SummaryItem> {
    sections
        .iter()
        .flat_map(|s| s.fields.iter())
        .filter(|f| f.has_error())
        .map(|f| SummaryItem {
            href: format!("#{}", f.anchor()),
            message: f.error.clone(),
        })
        .collect()
}

/// A posted value, trimmed and cut to a sane length.
pub(crate) fn clip(v: &str) -> String {
    v.trim().chars().take(MAX_LEN).collect()
}

pub(crate) fn is_on(v: &str) -> bool {
    matches!(v, "on" | "true" | "1" | "yes")
}

pub(crate) fn text<'a>(values: &'a Values, name: &str) -> &'a str {
    values.get(name).map(|v| v.trim()).unwrap_or("")
}

/// A full-width digit as ASCII (`５` → `5`).
fn ascii_digit(c: char) -> char {
    match c {
        '０'..='９' => char::from_digit(u32::from(c) - u32::from('０'), 10).unwrap_or(c),
        c => c,
    }
}

/// `５０，０００円` → `50000`, `5万` → `50000`, `60か月` → `60`. `None` when it is not a whole number.
pub(crate) fn parse_number(raw: &str) -> Option<i64> {
    let mut s = String::new();
    let mut man = false;
    for c in raw.trim().chars().map(ascii_digit) {
        match c {
            // `5万3000` is not understood: a 万 ends the number.
            '0'..='9' if man => return None,
            '0'..='9' => s.push(c),
            '-' | 'ー' | '－' | '−' if s.is_empty() => s.push('-'),
            '万' if !man && !s.is_empty() => {
                s.push_str("0000");
                man = true;
            }
            ',' | '，' | '、' | ' ' | '　' | '_' | '円' | 'か' | 'カ' | 'ヶ' | 'ケ' | '箇'
            | '月' | '歳' | '才' | '年' | '度' => {}
            _ => return None,
        }
    }
    s.parse().ok()
}

/// A required whole number: a Japanese message when it is missing or not a number.
pub(crate) fn number(
    values: &Values,
    name: &'static str,
    label: &str,
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
    let n = parse_number(raw);
    if n.is_none() {
        errs.push(FieldError::new(
            name,
            "not_a_number",
            format!("{label}は数字で入力してください（例：50000）。"),
        ));
    }
    n
}

/// An optional whole number: `Ok(None)` when empty.
pub(crate) fn optional_number(
    values: &Values,
    name: &'static str,
    label: &str,
    errs: &mut Vec<FieldError>,
) -> Option<i64> {
    if text(values, name).is_empty() {
        None
    } else {
        number(values, name, label, errs)
    }
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

/// `2026-05-27`, `2026/5/27`, `２０２６年５月２７日`.
pub(crate) fn parse_date(raw: &str) -> Option<Date> {
    let digits: String = raw
        .trim()
        .chars()
        .map(ascii_digit)
        .map(|c| match c {
            '/' | '.' | '年' | '月' | '－' | 'ー' => '-',
            c => c,
        })
        .filter(|c| *c != '日')
        .collect();
    let mut parts = digits.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
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
    let d = parse_date(raw);
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

pub(crate) use crate::pages::view::yen;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_people_type_them() {
        assert_eq!(parse_number("50,000円"), Some(50_000));
        assert_eq!(parse_number("５０，０００"), Some(50_000));
        assert_eq!(parse_number("5万"), Some(50_000));
        assert_eq!(parse_number("300万円"), Some(3_000_000));
        assert_eq!(parse_number("60か月"), Some(60));
        assert_eq!(parse_number("62歳"), Some(62));
        assert_eq!(parse_number("-1"), Some(-1));
        assert_eq!(parse_number("5万3000"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("1.5"), None);
    }

    #[test]
    fn dates_as_people_type_them() {
        let d = Date::new(2026, 5, 27).ok();
        assert_eq!(parse_date("2026-05-27"), d);
        assert_eq!(parse_date("2026/5/27"), d);
        assert_eq!(parse_date("２０２６年５月２７日"), d);
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("昨日"), None);
    }

    #[test]
    fn months_read_naturally() {
        assert_eq!(months_text(6), "6か月");
        assert_eq!(months_text(60), "60か月（5年）");
        assert_eq!(months_text(62), "62か月（5年2か月）");
    }
}
