//! `/admin/audit`: the audit log, newest first, in pages of a stable order
//! (by `seq`, so events of the same second keep their place), filtered by
//! event kind prefix and by who it was about or who caused it. Times are
//! UTC; user ids are shown as usernames.

use std::collections::HashMap;

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{
    navigation::{self, ConsolePage},
    session::{Console, ConsoleError},
};
use crate::administration::OPERATOR;
use crate::administration::views::audit::{self as views, AuditRow, EventPage, UserSearch};

const PAGE_SIZE: usize = 50;

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    user: String,
    /// Text, not a number, so that a mangled link gets a message rather
    /// than a bare 400.
    #[serde(default)]
    before: String,
}

/// One event as shown.
pub struct AuditLine {
    when: String,
    kind: String,
    actor: String,
    subject: String,
    client_ip: String,
    details: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage<'a> {
    nav: Vec<&'static ConsolePage>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    kind: &'a str,
    user: &'a str,
    events: Vec<AuditLine>,
    /// The next (older) page, when there is one.
    next: Option<String>,
    /// The first page of the same search, when this is a later one.
    newest: Option<String>,
}

pub async fn audit(
    console: Console,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("audit:read")?;
    let AuditQuery { kind, user, before } = query.into_inner();
    let (before, error) = match before.trim() {
        "" => (None, None),
        text => match text.parse::<i64>() {
            Ok(seq) if seq > 0 => (Some(seq), None),
            _ => (
                None,
                Some(
                    "That page link is broken (before= must be an event number); showing the newest events.",
                ),
            ),
        },
    };
    let search = UserSearch {
        kind_prefix: Some(kind.trim().to_owned()).filter(|k| !k.is_empty()),
        user: Some(user.trim().to_owned()).filter(|u| !u.is_empty()),
        before,
    };
    let wanted = search.clone();
    let EventPage {
        mut rows,
        usernames,
    } = console
        .state
        .db
        .run(move |conn| views::by_user(conn, &wanted, PAGE_SIZE + 1))
        .await?;
    // One row more than a page tells whether an older page exists.
    let more = rows.len() > PAGE_SIZE;
    rows.truncate(PAGE_SIZE);
    let next = more
        .then(|| rows.last())
        .flatten()
        .map(|last| link(&search, Some(last.seq)));
    let newest = search.before.map(|_| link(&search, None));
    let events = rows
        .into_iter()
        .map(|row| AuditLine {
            when: crate::utc::readable(row.occurred_at),
            actor: match row.actor.as_deref() {
                Some(OPERATOR) => "command line".to_owned(),
                other => shown(other, &usernames),
            },
            subject: subject_shown(&row, &usernames),
            client_ip: row.client_ip.unwrap_or_default(),
            kind: row.kind,
            details: row.details,
        })
        .collect();
    console.page(
        if error.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
        AuditPage {
            nav: navigation::readable(&console.who),
            notice: None,
            error,
            kind: &kind,
            user: &user,
            events,
            next,
            newest,
        }
        .render(),
    )
}

/// A user id as its username; anything else (client ids, role names,
/// deleted users' ids) as it is.
fn shown(value: Option<&str>, usernames: &HashMap<String, String>) -> String {
    value
        .map(|v| usernames.get(v).map_or(v, String::as_str).to_owned())
        .unwrap_or_default()
}

/// A subject as a username; a user deleted since is named by the username
/// the event recorded.
fn subject_shown(row: &AuditRow, usernames: &HashMap<String, String>) -> String {
    let subject = row.subject.as_deref().unwrap_or_default();
    if let Some(name) = usernames.get(subject) {
        return name.clone();
    }
    serde_json::from_str::<serde_json::Value>(&row.details)
        .ok()
        .and_then(|details| details["username"].as_str().map(str::to_owned))
        .filter(|_| uuid::Uuid::parse_str(subject).is_ok())
        .map_or_else(|| subject.to_owned(), |name| format!("{name} (deleted)"))
}

/// The link to a page of the same search.
fn link(search: &UserSearch, before: Option<i64>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(kind) = &search.kind_prefix {
        query.append_pair("kind", kind);
    }
    if let Some(user) = &search.user {
        query.append_pair("user", user);
    }
    if let Some(before) = before {
        query.append_pair("before", &before.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        "/admin/audit".to_owned()
    } else {
        format!("/admin/audit?{query}")
    }
}
