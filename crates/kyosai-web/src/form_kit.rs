//! The accessible form-field kit shared by every form (portal, staff pages, calculators): form
//! fields as view models for `_field.html`, so one place decides labels, hints, `autocomplete`,
//! `inputmode`, `aria-invalid` and `aria-describedby`, and every form gets them right.

use std::collections::BTreeMap;

use kyosai_domain::FieldError;

pub struct Choice {
    pub value: String,
    pub label: String,
    pub id: String,
    pub checked: bool,
}

pub struct Field {
    pub name: &'static str,
    pub id: String,
    pub label: String,
    /// `text`, `textarea`, `select`, `radio` or `checkbox`.
    pub kind: &'static str,
    /// For `text`: `text`, `email`, `password`, `tel`, `date`.
    pub input_type: &'static str,
    pub value: String,
    pub hint: String,
    pub error: String,
    pub autocomplete: &'static str,
    pub inputmode: &'static str,
    pub options: Vec<Choice>,
    pub required: bool,
    /// CSS width class: `w-2`, `w-4`, `w-8`, `w-full`.
    pub width: &'static str,
    pub maxlength: u32,
}

impl Field {
    pub fn text(name: &'static str, label: impl Into<String>) -> Field {
        Field {
            name,
            id: format!("f-{name}"),
            label: label.into(),
            kind: "text",
            input_type: "text",
            value: String::new(),
            hint: String::new(),
            error: String::new(),
            autocomplete: "",
            inputmode: "",
            options: Vec::new(),
            required: true,
            width: "w-full",
            maxlength: 100,
        }
    }

    /// A number typed by a person (`inputmode=numeric`: the phone shows the number pad); not
    /// remembered by the browser.
    pub fn number(name: &'static str, label: impl Into<String>) -> Field {
        Field::text(name, label)
            .numeric()
            .autocomplete("off")
            .width("w-8")
            .maxlength(20)
    }

    /// A date (`type=date`); not remembered by the browser.
    pub fn date(name: &'static str, label: impl Into<String>) -> Field {
        Field::text(name, label)
            .input_type("date")
            .autocomplete("off")
            .width("w-8")
            .maxlength(10)
    }

    /// A single checkbox (`on` when ticked).
    pub fn checkbox(name: &'static str, label: impl Into<String>) -> Field {
        Field::text(name, label).kind("checkbox").optional()
    }

    pub fn kind(mut self, kind: &'static str) -> Field {
        self.kind = kind;
        self
    }
    pub fn input_type(mut self, t: &'static str) -> Field {
        self.input_type = t;
        self
    }
    pub fn hint(mut self, h: impl Into<String>) -> Field {
        self.hint = h.into();
        self
    }
    pub fn autocomplete(mut self, a: &'static str) -> Field {
        self.autocomplete = a;
        self
    }
    pub fn numeric(mut self) -> Field {
        self.inputmode = "numeric";
        self
    }
    pub fn width(mut self, w: &'static str) -> Field {
        self.width = w;
        self
    }
    pub fn maxlength(mut self, n: u32) -> Field {
        self.maxlength = n;
        self
    }
    pub fn optional(mut self) -> Field {
        self.required = false;
        self
    }
    pub fn id_prefix(mut self, prefix: &str) -> Field {
        self.id = format!("{prefix}{}", self.name);
        self
    }
    pub fn value(mut self, v: impl Into<String>) -> Field {
        self.value = v.into();
        self
    }
    pub fn error(mut self, e: impl Into<String>) -> Field {
        self.error = e.into();
        self
    }

    /// A choice field (`select` or `radio`); `choices` are (value, label).
    pub fn choices<V: Into<String>, L: Into<String>>(
        mut self,
        choices: impl IntoIterator<Item = (V, L)>,
    ) -> Field {
        let id = self.id.clone();
        self.options = choices
            .into_iter()
            .enumerate()
            .map(|(i, (value, label))| Choice {
                id: format!("{id}-{i}"),
                value: value.into(),
                label: label.into(),
                checked: false,
            })
            .collect();
        self
    }

    /// Sets value and error from a form and its field errors (by form field name), marking the
    /// chosen option.
    pub fn fill(mut self, values: &BTreeMap<String, String>, errors: &[FieldError]) -> Field {
        self.value = values.get(self.name).cloned().unwrap_or_default();
        if let Some(e) = errors.iter().find(|e| e.field == self.name) {
            self.error = e.message.clone();
        }
        for o in &mut self.options {
            o.checked = o.value == self.value;
        }
        if self.kind == "checkbox" {
            self.options = vec![Choice {
                id: self.id.clone(),
                value: "on".into(),
                label: self.label.clone(),
                checked: is_on(&self.value),
            }];
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

/// Whether a posted checkbox value means "ticked".
pub fn is_on(v: &str) -> bool {
    matches!(v, "on" | "true" | "1" | "yes")
}

/// A group of fields (a `fieldset` with a legend). A `collapsible` group is shown in a
/// `<details>` element, open when it holds a value or an error.
pub struct Section {
    pub legend: String,
    pub hint: String,
    pub fields: Vec<Field>,
    /// An extra widget after the fields: `postcode` (address look-up), `bank`, `branch`.
    pub extra: &'static str,
    pub collapsible: bool,
    pub open: bool,
}

impl Section {
    pub fn new(legend: impl Into<String>, fields: Vec<Field>) -> Section {
        Section {
            legend: legend.into(),
            hint: String::new(),
            fields,
            extra: "",
            collapsible: false,
            open: true,
        }
    }

    pub fn hint(mut self, h: impl Into<String>) -> Section {
        self.hint = h.into();
        self
    }

    pub fn extra(mut self, widget: &'static str) -> Section {
        self.extra = widget;
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

/// A link in the error summary at the top of a form.
pub struct SummaryItem {
    pub href: String,
    pub message: String,
}

/// The error summary for fields in page order.
pub fn summary<'a>(fields: impl IntoIterator<Item = &'a Field>) -> Vec<SummaryItem> {
    fields
        .into_iter()
        .filter(|f| f.has_error())
        .map(|f| SummaryItem {
            href: format!("#{}", f.anchor()),
            message: f.error.clone(),
        })
        .collect()
}
