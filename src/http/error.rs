//! Application errors → responses, in one place. Internal faults are logged
//! once with their cause chain and answered opaquely.

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use askama::Template;

use crate::accounts::AccountError;
use crate::crypto::password::HashError;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("service unavailable")]
    Unavailable(#[source] DbError),
    /// Every password-hashing slot is busy: come back shortly.
    #[error("busy")]
    Busy { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(error))
    }
}

impl From<HashError> for AppError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy { retry_after_secs } => AppError::Busy { retry_after_secs },
            failed @ HashError::Failed(_) => AppError::internal(failed),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Db(error) => error.into(),
            invalid @ (AccountError::Invalid(_) | AccountError::Duplicate(_)) => {
                AppError::BadRequest(invalid.to_string())
            }
            AccountError::Forbidden(message) => AppError::Forbidden(message),
            AccountError::NotFound(_) => AppError::NotFound,
        }
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(_) => AppError::Unavailable(error),
            DbError::NotFound => AppError::NotFound,
            other => AppError::internal(other),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

/// A message as a page shows it: a sentence, capitalised and closed with a
/// full stop. The domain words its errors for the command line (`user
/// "bob" not found`); a page puts them beside its own sentences.
pub fn sentence(message: &str) -> String {
    let message = message.trim();
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Renders the HTML error page with `status`.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let message = &sentence(message);
    let body = ErrorPage { title, message }
        .render()
        .unwrap_or_else(|_| format!("{title}: {message}"));
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn log_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unavailable(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            AppError::BadRequest(message) => error_page(status, "Bad request", message),
            AppError::Forbidden(message) => error_page(status, "Forbidden", message),
            AppError::NotFound => error_page(status, "Not found", "There is nothing here."),
            AppError::Busy { retry_after_secs } => {
                let mut response = error_page(
                    status,
                    "Busy",
                    "The server is busy. Please try again in a moment.",
                );
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(*retry_after_secs),
                );
                response
            }
            AppError::Unavailable(_) | AppError::Internal(_) => {
                tracing::error!(error = %log_chain(self), "request failed");
                error_page(
                    status,
                    "Something went wrong",
                    "The server could not complete the request. Please try again later.",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn messages_become_sentences() {
        assert_eq!(
            sentence("user \"bob\" not found"),
            "User \"bob\" not found."
        );
        assert_eq!(sentence("Already a sentence."), "Already a sentence.");
        assert_eq!(sentence("  why? "), "Why?");
        assert_eq!(sentence("élan"), "Élan.");
        assert_eq!(sentence(""), "");
    }
}
