//! How the console answers a change that was refused: the same page again,
//! with the reason and what was typed, never an error page.

use actix_web::http::StatusCode;

use super::session::ConsoleError;
use crate::accounts::AccountError;
use crate::http::error::sentence;

pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    /// A privilege rule said no → 403; anything wrong with the input
    /// (unknown, duplicate, invalid) → 422. A database failure is no
    /// refusal: it stays an error (500 or 503).
    pub fn of(error: AccountError) -> Result<Self, ConsoleError> {
        match error {
            AccountError::Db(db) => Err(db.into()),
            AccountError::Forbidden(message) => Ok(Self {
                status: StatusCode::FORBIDDEN,
                message: sentence(&message),
            }),
            other => Ok(Self::invalid(&other.to_string())),
        }
    }

    /// Input the console itself refuses, such as an unticked confirm box.
    pub fn invalid(message: &str) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: sentence(message),
        }
    }
}
