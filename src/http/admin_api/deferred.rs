//! `Deferred<E>`: an extractor whose failure waits for the handler.
//!
//! actix runs a handler's extractors side by side, so a malformed body
//! would answer 422 before the `Admin` extractor and the permission check
//! had their say. The admin API must answer a caller without the
//! permission 403 whatever it sent; handlers check the permission first
//! and only then ask for the body.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload};

use super::error::ApiError;

pub struct Deferred<E>(Result<E, ApiError>);

impl<E> Deferred<E> {
    /// The extracted value, or the input error it hit.
    pub fn get(self) -> Result<E, ApiError> {
        self.0
    }
}

impl<E> FromRequest for Deferred<E>
where
    E: FromRequest + 'static,
    E::Error: Into<actix_web::Error>,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let extracting = E::from_request(req, payload);
        Box::pin(async move {
            Ok(Deferred(extracting.await.map_err(|error| {
                ApiError::Invalid(error.into().to_string())
            })))
        })
    }
}
