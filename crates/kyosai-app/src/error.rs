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
    #[error("store: {0}")]
    Store(#[from] kyosai_store::StoreError),
    #[error("internal: {0}")]
    Internal(String),
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
