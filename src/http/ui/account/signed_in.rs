//! `Account`: the signed-in person on a page under `/account`, whoever
//! they are (no permission needed). Signed out → the login page, coming
//! back to the page after; signed in without the second factor a role of
//! theirs requires → the second step (or enrolment), as for the console,
//! and back. Every account page takes one, so every page gets the same
//! CSRF token, `Cache-Control: no-store` and errors.

use std::{future::Future, net::IpAddr, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, ResponseError, cookie::Cookie, dev::Payload,
    http::StatusCode, web,
};

use crate::accounts::{
    second_factor::{self, Needed},
    sessions::{self, Session},
};
use crate::administration::account::Me;
use crate::app::AppState;
use crate::crypto::password::HashError;
use crate::db::DbError;
use crate::http::{
    AppError, client_ip, csrf, error::error_page, oauth::responses::see_other, session_cookie,
};
use crate::routes;

/// The signed-in person and what their pages need.
pub struct Account {
    pub state: web::Data<AppState>,
    /// The session the request came with (live by `sessions::is_live`).
    pub session: Session,
    /// The value every form of the page echoes (double submit).
    pub csrf_token: String,
    /// The address the throttle counts against.
    pub ip: Option<IpAddr>,
    new_csrf_cookie: Option<Cookie<'static>>,
    client_ip: Option<String>,
}

/// Why an account page was not served.
#[derive(Debug, thiserror::Error)]
pub enum AccountPageError {
    /// Nobody is signed in: to the login page, and back to this path.
    #[error("sign in first")]
    SignIn(String),
    /// The change needs a recent sign-in (`require_recent_sign_in`): to
    /// the login page, saying so, and back to this path.
    #[error("sign in again")]
    StaleSignIn(String),
    /// A role of the person requires a second factor this sign-in lacks:
    /// to the second step, and back to this path.
    #[error("second factor required")]
    SecondFactor(String),
    /// The form's CSRF token did not match the cookie.
    #[error("form expired")]
    Csrf,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<DbError> for AccountPageError {
    fn from(error: DbError) -> Self {
        Self::App(error.into())
    }
}

impl From<HashError> for AccountPageError {
    fn from(error: HashError) -> Self {
        Self::App(error.into())
    }
}

impl ResponseError for AccountPageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn(_) | Self::StaleSignIn(_) | Self::SecondFactor(_) => StatusCode::SEE_OTHER,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::App(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn(back) => super::to_login(back, None),
            Self::StaleSignIn(back) => super::to_login(back, Some(super::REASON_RECENT)),
            Self::SecondFactor(back) => {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("return_to", back)
                    .finish();
                see_other(&format!("{}?{query}", routes::SECOND_FACTOR))
            }
            Self::Csrf => error_page(
                StatusCode::FORBIDDEN,
                "Form expired",
                "The form could not be verified. Reload the page and try again.",
            ),
            Self::App(error) => error.error_response(),
        }
    }
}

impl Account {
    /// Who acts, for `crate::administration::account`.
    pub fn me(&self) -> Me {
        Me {
            user_id: self.session.user_id.clone(),
            session_id_hash: self.session.id_hash.clone(),
            client_ip: self.client_ip.clone(),
        }
    }

    /// Every change is a POST carrying the CSRF token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AccountPageError> {
        let matches = !submitted.is_empty()
            && crate::crypto::random::constant_time_eq(
                submitted.as_bytes(),
                self.csrf_token.as_bytes(),
            );
        if matches {
            Ok(())
        } else {
            Err(AccountPageError::Csrf)
        }
    }

    /// An HTML page, never cached, that also sets the CSRF cookie if it
    /// was new.
    pub fn page(
        &self,
        status: StatusCode,
        body: Result<String, askama::Error>,
    ) -> Result<HttpResponse, AccountPageError> {
        let body = body.map_err(AppError::internal)?;
        let mut response = HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(body);
        if let Some(cookie) = &self.new_csrf_cookie {
            response.add_cookie(cookie).map_err(AppError::internal)?;
        }
        Ok(response)
    }

    /// A 303 to `path` (after a change); never cached, as nothing under
    /// `/account` is (`middleware::security_headers`).
    pub fn redirect(&self, path: &str) -> HttpResponse {
        see_other(path)
    }
}

impl FromRequest for Account {
    type Error = AccountPageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AccountPageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::internal(std::io::Error::other("no application state")))?;
            // A GET comes back to itself; a form posted while signed out
            // (its session ended meanwhile) to the account page.
            let back = match req.uri().path_and_query() {
                Some(pq) if req.method() == actix_web::http::Method::GET => pq.as_str().to_owned(),
                _ => routes::ACCOUNT.to_owned(),
            };
            let session = sessions::lookup(&state, session_cookie::read(&req, &state))
                .await?
                .ok_or_else(|| AccountPageError::SignIn(back.clone()))?;
            let (sub, amr) = (session.user_id.clone(), session.amr.clone());
            let needed = state
                .db
                .run(move |conn| second_factor::needed(conn, &sub, &amr, None))
                .await?;
            if needed != Needed::Nothing {
                return Err(AccountPageError::SecondFactor(back));
            }
            let (csrf_token, new_csrf_cookie) = csrf::token(&req, session_cookie::secure(&state));
            Ok(Account {
                state,
                session,
                csrf_token,
                ip: client_ip::of(&req),
                new_csrf_cookie,
                client_ip: client_ip::for_audit(&req),
            })
        })
    }
}
