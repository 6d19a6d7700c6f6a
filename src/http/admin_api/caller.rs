//! The `Admin` extractor: a bearer access token for `gatehouse-admin`,
//! re-checked against the database on every call.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use serde_json::Value;

use super::error::ApiError;
use crate::accounts::admin_access::{self, Administrator};
use crate::administration::Actor;
use crate::audit;
use crate::startup::AppState;

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

    /// Records an administrative change: who, what, to whom.
    pub async fn audit(
        &self,
        kind: &'static str,
        subject: &str,
        details: Value,
    ) -> Result<(), ApiError> {
        audit::record_admin_change(
            &self.state,
            kind,
            self.who.sub.clone(),
            subject.to_owned(),
            self.client_ip.clone(),
            details,
        )
        .await?;
        Ok(())
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
        let client_ip = req.peer_addr().map(|a| a.ip().to_string());
        Box::pin(async move {
            let state = state.ok_or(ApiError::Internal)?;
            let token = token
                .ok_or_else(|| ApiError::Unauthenticated("a bearer token is required".into()))?;
            let who = admin_access::from_bearer(&state, &token).await?;
            Ok(Admin {
                who,
                state,
                client_ip,
            })
        })
    }
}
