//! Admin API errors: JSON bodies with a stable `error` code.

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::AccountError;
use crate::administration::access::AdminAccessError;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("this call needs the {0} permission on gatehouse-admin")]
    Forbidden(&'static str),
    /// A privilege rule said no: the caller may not make this change.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the database is unavailable")]
    Unavailable,
    /// Every password-hashing slot is busy.
    #[error("the server is busy; retry in {0} s")]
    Busy(u64),
    #[error("internal error")]
    Internal,
}

/// The body of every admin API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable: unauthenticated, forbidden, not_found, conflict, invalid_input,
    /// unavailable, internal.
    pub error: &'static str,
    pub message: String,
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden(_) | Self::Refused(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Invalid(_) => "invalid_input",
            Self::Unavailable | Self::Busy(_) => "unavailable",
            Self::Internal => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Refused(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable | Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Self::Busy(seconds) = self {
            response.insert_header((header::RETRY_AFTER, *seconds));
        }
        if let Self::Unauthenticated(_) = self {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"gatehouse-admin\", error=\"invalid_token\"",
            ));
        }
        response.json(ErrorBody {
            error: self.code(),
            message: self.to_string(),
        })
    }
}

impl From<crate::crypto::password::HashError> for ApiError {
    fn from(error: crate::crypto::password::HashError) -> Self {
        use crate::crypto::password::HashError;
        match error {
            HashError::Busy { retry_after_secs } => ApiError::Busy(retry_after_secs),
            HashError::Failed(reason) => {
                tracing::error!(error = %reason, "password hashing failed");
                ApiError::Internal
            }
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(_) => ApiError::Unavailable,
            DbError::NotFound => ApiError::NotFound("not found".into()),
            DbError::Conflict => ApiError::Conflict("already exists".into()),
            other => {
                tracing::error!(error = %other, "admin API call failed");
                ApiError::Internal
            }
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(message) => ApiError::Invalid(message),
            AccountError::Duplicate(what) => ApiError::Conflict(format!("{what} already exists")),
            AccountError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            AccountError::Forbidden(message) => ApiError::Refused(message),
            AccountError::Db(db) => db.into(),
        }
    }
}

impl From<AdminAccessError> for ApiError {
    fn from(error: AdminAccessError) -> Self {
        match error {
            AdminAccessError::Unauthenticated(reason) => ApiError::Unauthenticated(reason),
            AdminAccessError::Db(db) => db.into(),
        }
    }
}
