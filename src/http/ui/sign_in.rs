//! Finishing a sign-in step, for both kinds of sign-in: one for a pending
//! authorization request, and one for a page of Gatehouse's own (the
//! console, the account page). Every factor — password, authenticator
//! code, passkey — ends here with the `amr` values collected so far; what
//! comes next (the second step, consent, the code, the page) is decided by
//! the rules in `accounts::second_factor` and `oauth::code_flow`.

use actix_web::{HttpRequest, HttpResponse};

use super::login::safe_return_path;
use crate::accounts::sessions;
use crate::app::AppState;
use crate::http::{
    AppError,
    oauth::responses::{see_other, step_response},
    session_cookie,
};
use crate::oauth::code_flow::{self, Then};
use crate::routes;

/// Where a sign-in goes once it is complete.
#[derive(Debug, Clone)]
pub enum SignInTarget {
    /// A pending authorization request, bound to the browser's CSRF cookie.
    Request { id: String, binding: String },
    /// A same-origin page of Gatehouse's own.
    Page { return_to: String },
}

impl SignInTarget {
    /// From a form or query's `request` or `return_to` (one of the two),
    /// with the browser's binding for a request. `None` when neither is
    /// usable.
    pub fn from_parts(request: &str, return_to: &str, binding: Option<String>) -> Option<Self> {
        if !request.is_empty() {
            return Some(SignInTarget::Request {
                id: request.to_owned(),
                binding: binding?,
            });
        }
        safe_return_path(return_to).map(|path| SignInTarget::Page {
            return_to: path.to_owned(),
        })
    }

    /// The query string naming this target, for links between the steps.
    pub fn query(&self) -> String {
        let (name, value) = match self {
            SignInTarget::Request { id, .. } => ("request", id.as_str()),
            SignInTarget::Page { return_to } => ("return_to", return_to.as_str()),
        };
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair(name, value)
            .finish()
    }

    pub fn request_id(&self) -> &str {
        match self {
            SignInTarget::Request { id, .. } => id,
            SignInTarget::Page { .. } => "",
        }
    }

    pub fn return_to(&self) -> &str {
        match self {
            SignInTarget::Request { .. } => "",
            SignInTarget::Page { return_to } => return_to,
        }
    }

    /// The second-step page for this target.
    pub fn second_step_url(&self) -> String {
        format!("{}?{}", routes::SECOND_FACTOR, self.query())
    }
}

/// A factor was accepted: start the session it earns (pending while a
/// second factor is still awaited) and send the browser on.
pub async fn complete(
    req: &HttpRequest,
    state: &AppState,
    target: SignInTarget,
    user_id: String,
    amr: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let (cookie, response) = establish(req, state, target, user_id, amr, Then::Proceed).await?;
    with_session_cookie(state, response, cookie)
}

/// Like [`complete`], but the request waits until the person continues;
/// the caller renders the page in between and sets the returned cookie
/// with [`with_session_cookie`].
pub async fn complete_and_pause(
    req: &HttpRequest,
    state: &AppState,
    target: SignInTarget,
    user_id: String,
    amr: Vec<String>,
) -> Result<Option<crate::secret::Secret<String>>, AppError> {
    Ok(establish(req, state, target, user_id, amr, Then::Pause)
        .await?
        .0)
}

async fn establish(
    req: &HttpRequest,
    state: &AppState,
    target: SignInTarget,
    user_id: String,
    amr: Vec<String>,
    then: Then,
) -> Result<(Option<crate::secret::Secret<String>>, HttpResponse), AppError> {
    let old_session = session_cookie::read(req, state);
    match target {
        SignInTarget::Request { id, binding } => {
            let (cookie, step) =
                code_flow::after_login(state, id, binding, user_id, amr, old_session, then).await?;
            Ok((cookie, step_response(step)))
        }
        SignInTarget::Page { return_to } => {
            let (cookie, session) = sessions::sign_in(state, user_id, amr, old_session).await?;
            let next = if session.pending {
                SignInTarget::Page { return_to }.second_step_url()
            } else {
                return_to
            };
            Ok((Some(cookie), see_other(&next)))
        }
    }
}

pub fn with_session_cookie(
    state: &AppState,
    mut response: HttpResponse,
    cookie: Option<crate::secret::Secret<String>>,
) -> Result<HttpResponse, AppError> {
    if let Some(cookie) = cookie {
        response
            .add_cookie(&session_cookie::build(state, &cookie))
            .map_err(AppError::internal)?;
    }
    Ok(response)
}
