//! `Console`: a signed-in person holding permissions on `gatehouse-admin`.
//! Not signed in → the login page, coming back here after; signed in
//! without permissions → 403.

use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, ResponseError, cookie::Cookie, dev::Payload,
    http::StatusCode, web,
};

use crate::accounts::{
    AccountError,
    second_factor::{self, Needed},
    sessions,
};
use crate::administration::{
    self, Actor,
    access::{self, Administrator},
};
use crate::app::AppState;
use crate::db::DbConnection;
use crate::http::{csrf, error::error_page, oauth::responses::see_other, session_cookie};
use crate::routes;

pub struct Console {
    pub who: Administrator,
    pub state: web::Data<AppState>,
    pub csrf_token: String,
    /// The signed-in person's session (hashed id), spared when they end
    /// their own sign-ins.
    pub session_id_hash: String,
    new_csrf_cookie: Option<Cookie<'static>>,
    client_ip: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("sign in first")]
    SignIn(String),
    /// A role of the person requires a second factor this sign-in lacks.
    #[error("second factor required")]
    SecondFactor(String),
    #[error("forbidden")]
    Forbidden(String),
    #[error("form expired")]
    Csrf,
    #[error("not found")]
    NotFound(String),
    #[error("internal error")]
    Internal,
    #[error("unavailable")]
    Unavailable,
    /// Every password-hashing slot is busy.
    #[error("busy")]
    Busy(u64),
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn(_) | Self::SecondFactor(_) => StatusCode::SEE_OTHER,
            Self::Forbidden(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable | Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn(back) => {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("return_to", back)
                    .finish();
                see_other(&format!("{}?{query}", routes::LOGIN))
            }
            Self::SecondFactor(back) => {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("return_to", back)
                    .finish();
                see_other(&format!("{}?{query}", routes::SECOND_FACTOR))
            }
            Self::Forbidden(message) => error_page(StatusCode::FORBIDDEN, "Forbidden", message),
            Self::Csrf => error_page(
                StatusCode::FORBIDDEN,
                "Form expired",
                "The form could not be verified. Reload the page and try again.",
            ),
            Self::NotFound(what) => error_page(StatusCode::NOT_FOUND, "Not found", what),
            Self::Internal => error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server could not complete the request.",
            ),
            Self::Unavailable => error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "The database is unavailable. Try again shortly.",
            ),
            Self::Busy(seconds) => {
                let mut response = error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Busy",
                    "The server is busy. Try again in a moment.",
                );
                response.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(*seconds),
                );
                response
            }
        }
    }
}

impl From<crate::crypto::password::HashError> for ConsoleError {
    fn from(error: crate::crypto::password::HashError) -> Self {
        match error {
            crate::crypto::password::HashError::Busy { retry_after_secs } => {
                Self::Busy(retry_after_secs)
            }
            crate::crypto::password::HashError::Failed(reason) => {
                tracing::error!(error = %reason, "password hashing failed");
                Self::Internal
            }
        }
    }
}

impl From<crate::db::DbError> for ConsoleError {
    fn from(error: crate::db::DbError) -> Self {
        match error {
            crate::db::DbError::Unavailable(_) => Self::Unavailable,
            other => {
                tracing::error!(error = %other, "admin page failed");
                Self::Internal
            }
        }
    }
}

impl Console {
    pub fn require(&self, permission: &str) -> Result<(), ConsoleError> {
        if self.who.may(permission) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden(format!(
                "This page needs the {permission} permission."
            )))
        }
    }

    /// Every state change is a POST carrying the CSRF token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), ConsoleError> {
        if !submitted.is_empty()
            && crate::crypto::random::constant_time_eq(
                submitted.as_bytes(),
                self.csrf_token.as_bytes(),
            )
        {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }

    /// An HTML response that also sets the CSRF cookie if it was new.
    pub fn page(
        &self,
        status: StatusCode,
        body: Result<String, askama::Error>,
    ) -> Result<HttpResponse, ConsoleError> {
        let body = body.map_err(|_| ConsoleError::Internal)?;
        let mut response = HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(body);
        if let Some(cookie) = &self.new_csrf_cookie {
            response
                .add_cookie(cookie)
                .map_err(|_| ConsoleError::Internal)?;
        }
        Ok(response)
    }

    /// The actor for `crate::administration` operations.
    pub fn actor(&self) -> Actor {
        Actor::administrator(self.who.clone(), self.client_ip.clone())
    }

    /// Runs one `crate::administration` operation as this person, now, in
    /// one transaction: a refusal by any rule rolls back the change and its
    /// audit event together (`Refusal::of` tells refusals from failures).
    pub async fn change<T, F>(&self, operation: F) -> Result<T, AccountError>
    where
        F: FnOnce(&mut DbConnection, &Actor, i64) -> Result<T, AccountError> + Send + 'static,
        T: Send + 'static,
    {
        administration::perform(&self.state, self.actor(), operation).await
    }
}

impl FromRequest for Console {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or(ConsoleError::Internal)?;
            let back = match req.uri().path_and_query() {
                Some(pq) if req.method() == actix_web::http::Method::GET => pq.as_str().to_owned(),
                _ => routes::ADMIN.to_owned(),
            };
            let session = sessions::lookup(&state, session_cookie::read(&req, &state))
                .await?
                .ok_or_else(|| ConsoleError::SignIn(back.clone()))?;
            let (sub, amr) = (session.user_id.clone(), session.amr.clone());
            let (permissions, needed) = state
                .db
                .run(move |conn| {
                    let permissions = access::current_permissions(conn, &sub)?;
                    let needed = second_factor::needed(conn, &sub, &amr, None)?;
                    Ok::<_, crate::db::DbError>((permissions, needed))
                })
                .await?;
            if needed != Needed::Nothing {
                return Err(ConsoleError::SecondFactor(back));
            }
            let permissions = permissions.unwrap_or_default();
            if permissions.is_empty() {
                return Err(ConsoleError::Forbidden(
                    "Your account does not have access to the administration pages.".into(),
                ));
            }
            let (csrf_token, new_csrf_cookie) = csrf::token(&req, session_cookie::secure(&state));
            Ok(Console {
                who: Administrator {
                    sub: session.user_id,
                    permissions,
                },
                state,
                csrf_token,
                session_id_hash: session.id_hash,
                new_csrf_cookie,
                client_ip: crate::http::client_ip::for_audit(&req),
            })
        })
    }
}
