//! Errors of the use cases, each with a stable code; the web layer maps them to the API envelope
//! and to Japanese messages.

use kyosai_domain::{FieldError, Invalid};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input problems, field by field. Nothing was stored.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not authenticated")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    /// The request conflicts with the current state (stale version, duplicate, wrong status).
    #[error("conflict: {code}")]
    Conflict { code: &'static str, message: String },
    /// The request as a whole cannot be processed (not a field's fault), e.g. an
    /// `Idempotency-Key` reused for another request. Nothing was stored.
    #[error("unprocessable: {code}")]
    Unprocessable { code: &'static str, message: String },
    /// Too many attempts (login limits): try again after this many seconds. Nothing was stored
    /// but the failure count.
    #[error("too many attempts")]
    TooManyAttempts {
        retry_after_seconds: i64,
        message: String,
    },
    #[error("store: {0}")]
    Store(#[from] kyosai_store::StoreError),
    /// Something that should not happen (a broken invariant, an I/O or encoding failure). The
    /// cause is kept as the error's source, so the log shows the whole chain, not a flattened
    /// string.
    #[error("internal: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<Invalid> for AppError {
    fn from(e: Invalid) -> Self {
        AppError::Invalid(e.0)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Store(kyosai_store::StoreError::Db(e))
    }
}

impl AppError {
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }
}

/// An error and its causes, outermost first (`a: b: c`), for the log line of a server error.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_cause() {
        let io = std::io::Error::other("disk full");
        let e = AppError::Internal(Box::new(io));
        let source = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("disk full"));
        assert_eq!(chain(&e), "internal: disk full");
    }
}
