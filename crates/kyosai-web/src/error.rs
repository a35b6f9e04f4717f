//! The one API error envelope: `{"code", "message" (Japanese), "fields": [{"field","code","message"}]}`.
//! Server errors are logged with detail and answered without internals.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kyosai_app::AppError;
use kyosai_domain::FieldError;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub fields: Vec<FieldErrorBody>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// Seconds to wait, sent as `Retry-After` (429 answers).
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code: code.into(),
                message: message.into(),
                fields: Vec::new(),
            },
            retry_after: None,
        }
    }

    pub fn fields(status: StatusCode, fields: Vec<FieldError>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code: "invalid_input".into(),
                message: "入力内容に誤りがあります。各項目のメッセージをご確認ください。".into(),
                fields: fields
                    .into_iter()
                    .map(|f| FieldErrorBody {
                        field: f.field,
                        code: f.code.into(),
                        message: f.message,
                    })
                    .collect(),
            },
            retry_after: None,
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(fields) => ApiError::fields(StatusCode::UNPROCESSABLE_ENTITY, fields),
            AppError::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "ログインが必要です。",
            ),
            AppError::Forbidden(_) => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "この操作を行う権限がありません。",
            ),
            AppError::NotFound => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", "見つかりません。")
            }
            AppError::Conflict { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            AppError::Unprocessable { code, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            AppError::TooManyAttempts {
                retry_after_seconds,
                message,
            } => ApiError {
                retry_after: Some(retry_after_seconds),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
            },
            AppError::Store(e) => {
                tracing::error!(error = %e, "store error");
                internal()
            }
            AppError::Internal(e) => {
                tracing::error!(error = %kyosai_app::error::chain(&*e), "internal error");
                internal()
            }
        }
    }
}

fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "システムで問題が発生しました。時間をおいてもう一度お試しください。",
    )
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Content-Type: application/json で送信してください。",
            ),
            JsonRejection::BytesRejection(_) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "送信されたデータが大きすぎます。",
            ),
            JsonRejection::JsonDataError(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_json",
                format!("JSONの項目の型が正しくありません：{}", e.body_text()),
            ),
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "JSONの形式が正しくありません。",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.max(1).into());
        }
        res
    }
}

/// JSON body extractor whose rejections use the envelope.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}
