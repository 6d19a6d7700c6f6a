//! The `Admin` extractor: a bearer access token for `gatehouse-admin`,
//! re-checked against the database on every call.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use super::error::ApiError;
use crate::accounts::AccountError;
use crate::administration::access::{self, Administrator};
use crate::administration::{self, Actor};
use crate::app::AppState;
use crate::db::DbConnection;

pub struct Admin {
    pub who: Administrator,
    pub state: web::Data<AppState>,
    client_ip: Option<String>,
}

impl Admin {
    /// Fails with 403 unless the caller holds `permission` right now.
    pub fn require(&self, permission: &'static str) -> Result<(), ApiError> {
        if self.who.may(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(permission))
        }
    }

    /// The actor for `crate::administration` operations.
    pub fn actor(&self) -> Actor {
        Actor::administrator(self.who.clone(), self.client_ip.clone())
    }

    /// Runs one `crate::administration` operation as this caller, now, in
    /// one transaction: a refusal by any rule rolls back the change and its
    /// audit event together.
    pub async fn change<T, F>(&self, operation: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection, &Actor, i64) -> Result<T, AccountError> + Send + 'static,
        T: Send + 'static,
    {
        Ok(administration::perform(&self.state, self.actor(), operation).await?)
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim().to_owned());
        let client_ip = crate::http::client_ip::for_audit(req);
        Box::pin(async move {
            let state = state.ok_or(ApiError::Internal)?;
            let token = token
                .ok_or_else(|| ApiError::Unauthenticated("a bearer token is required".into()))?;
            let who = access::from_bearer(&state, &token).await?;
            Ok(Admin {
                who,
                state,
                client_ip,
            })
        })
    }
}
