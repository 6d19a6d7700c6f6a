//! `GET /account`: who is signed in, and the forms of each section. The
//! forms' handlers (`password.rs`, `sessions.rs`, `applications.rs`)
//! answer a change with a 303 back here and a fixed notice, and a refusal
//! with this page again, the reason beside the form that was refused.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{Account, AccountPageError};
use crate::accounts::AccountError;
use crate::administration::views::account::{self, AccountOverview};
use crate::http::error::sentence;
use crate::routes;

pub const PASSWORD: &str = "/account/password";
pub const END_SESSION: &str = "/account/sessions/end";
pub const END_OTHER_SESSIONS: &str = "/account/sessions/end-others";
pub const REVOKE_APPLICATION: &str = "/account/applications/revoke";

/// The sections of the page, each with its own place for an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Password,
    Sessions,
    Applications,
}

/// Why a form of the page was refused, shown beside it.
#[derive(Debug)]
pub struct Refusal {
    pub section: Section,
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    pub fn new(section: Section, status: StatusCode, message: &str) -> Self {
        Self {
            section,
            status,
            message: sentence(message),
        }
    }

    /// A rule of `administration::account` said no (422); a database
    /// failure is no refusal and stays an error.
    pub fn of(section: Section, error: AccountError) -> Result<Self, AccountPageError> {
        match error {
            AccountError::Db(db) => Err(db.into()),
            other => Ok(Self::new(
                section,
                StatusCode::UNPROCESSABLE_ENTITY,
                &other.to_string(),
            )),
        }
    }
}

/// A live session as a row of the table.
struct SessionLine {
    sid: String,
    signed_in: String,
    last_seen: String,
    current: bool,
}

/// An application the person consented to.
struct ApplicationLine {
    client_id: String,
    name: String,
    /// Each granted scope with its plain words, as the consent page put it.
    scopes: Vec<(String, &'static str)>,
    resources: Vec<String>,
    granted: String,
}

#[derive(Template)]
#[template(path = "account/page.html")]
struct AccountPage<'a> {
    username: &'a str,
    email: Option<&'a str>,
    csrf_token: &'a str,
    notice: Option<(Section, &'static str)>,
    refusal: Option<&'a Refusal>,
    sessions: Vec<SessionLine>,
    applications: Vec<ApplicationLine>,
    two_step: crate::administration::account_totp::Status,
}

impl AccountPage<'_> {
    /// The refusal's message when it belongs to `section`.
    fn error_in(&self, section: Section) -> Option<&str> {
        self.refusal
            .filter(|refusal| refusal.section == section)
            .map(|refusal| refusal.message.as_str())
    }

    /// The notice when it belongs to `section`.
    fn notice_in(&self, section: Section) -> Option<&'static str> {
        self.notice
            .filter(|(of, _)| *of == section)
            .map(|(_, message)| message)
    }
}

/// Fixed messages for `?notice=` (never reflect free text into a page),
/// each shown in the section whose form made the change: the forms post to
/// `…#section`, and the browser keeps that fragment through the redirect
/// back here, so the person sees the outcome where they acted.
fn notice(key: &str) -> Option<(Section, &'static str)> {
    Some(match key {
        "password" => (
            Section::Password,
            "Your password has been changed. You are still signed in here; everywhere else you must sign in again.",
        ),
        "session_ended" => (Section::Sessions, "That session has been ended."),
        "sessions_ended" => (Section::Sessions, "Your other sessions have been ended."),
        "revoked" => (
            Section::Applications,
            "The application's access has been withdrawn. It must ask for your consent again.",
        ),
        _ => return None,
    })
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    notice: String,
}

pub async fn show(
    account: Account,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AccountPageError> {
    render(&account, notice(&query.notice), None).await
}

/// The page, with a notice after a change or a refusal beside its form.
pub async fn render(
    account: &Account,
    notice: Option<(Section, &'static str)>,
    refusal: Option<Refusal>,
) -> Result<HttpResponse, AccountPageError> {
    let user_id = account.session.user_id.clone();
    let settings = account.state.settings.sessions.clone();
    let now = account.state.clock.now();
    let Some(AccountOverview {
        user,
        sessions,
        applications,
        two_step,
    }) = account
        .state
        .db
        .run(move |conn| account::overview(conn, &user_id, &settings, now))
        .await?
    else {
        // Deleted since the session was read: nobody to show.
        return Err(AccountPageError::SignIn(routes::ACCOUNT.to_owned()));
    };
    let sessions = sessions
        .into_iter()
        .map(|row| SessionLine {
            current: row.id_hash == account.session.id_hash,
            signed_in: crate::utc::readable(row.auth_time),
            last_seen: crate::utc::readable(row.last_seen_at),
            sid: row.sid,
        })
        .collect();
    let applications = applications
        .into_iter()
        .map(|app| ApplicationLine {
            scopes: app
                .consent
                .scope
                .split_whitespace()
                .map(|scope| (scope.to_owned(), crate::http::ui::consent::describe(scope)))
                .collect(),
            resources: app
                .consent
                .resources
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            granted: crate::utc::readable(app.consent.granted_at),
            name: app.client_name,
            client_id: app.consent.client_id,
        })
        .collect();
    let status = refusal.as_ref().map_or(StatusCode::OK, |r| r.status);
    let page = AccountPage {
        username: &user.username,
        email: user.email.as_deref(),
        csrf_token: &account.csrf_token,
        notice,
        refusal: refusal.as_ref(),
        sessions,
        applications,
        two_step,
    };
    account.page(status, page.render())
}

/// The page again with `refusal` beside its form, adding `Retry-After`
/// when the refusal says when to come back.
pub async fn refused(
    account: &Account,
    refusal: Refusal,
    retry_after: Option<u64>,
) -> Result<HttpResponse, AccountPageError> {
    let mut response = render(account, None, Some(refusal)).await?;
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(seconds),
        );
    }
    Ok(response)
}
