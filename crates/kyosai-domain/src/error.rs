//! Errors the domain reports to a person: a stable code for programs and a Japanese message.

use serde::Serialize;

/// One problem with one input field, as shown next to that field and in the API's `fields[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The input field, in API naming (`monthly_premium_yen`, `bank.branch_code`, …).
    pub field: String,
    /// Stable, machine-readable code (`out_of_range`, `not_a_step`, …).
    pub code: &'static str,
    /// Plain Japanese for the member.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// A parse or check that failed on one or more fields. Nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("入力内容に誤りがあります（{}件）", .0.len())]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Invalid(vec![FieldError::new(field, code, message)])
    }
}

/// Why a computed answer is "no" (not eligible) or limited: a stable code and a Japanese message.
/// Not an input error: the input was valid, the rules say no.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    pub code: &'static str,
    pub message: String,
}

impl Reason {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Reason {
            code,
            message: message.into(),
        }
    }
}
