//! The authorization code flow across its pages: `/authorize` → login →
//! consent → code. The pending request lives in the database; the browser
//! carries only its id, bound to the browser's CSRF cookie.

use super::consent;
use super::{
    OAuthError,
    authorize::{self, AuthorizationRequest, Prompt, Rejection},
    client,
    error::ErrorCode,
    params::Params,
    redirect,
    scope::Scopes,
};
use crate::accounts::{
    apis::ADMIN_API,
    assurance::Level,
    second_factor::{self, Awaiting, Needed},
    sessions::{self, Session},
};
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::config::Settings;
use crate::crypto::random;
use crate::db::{
    self, DbConnection, DbError, authorization_codes::AuthorizationCodeRow,
    authorization_requests::AuthorizationRequestRow,
};

/// How long a person has to sign in and consent.
const PENDING_TTL_SECS: i64 = 15 * 60;

/// What the browser should see next.
#[derive(Debug)]
pub enum Step {
    /// To the client: a code or an error.
    Redirect(String),
    Login {
        request_id: String,
    },
    Consent {
        request_id: String,
    },
    /// The sign-in needs a second factor (or its enrolment) first.
    SecondFactor {
        request_id: String,
    },
    /// The request cannot continue and nobody can be told safely.
    Page(String),
    /// Too many sign-ins are pending from this address: try again later.
    TooManyPending,
}

/// What the login and consent pages show.
#[derive(Debug)]
pub struct PendingView {
    pub client_name: String,
    pub scopes: Scopes,
    pub resources: Vec<String>,
    /// Each requested API's registered name beside its identifier.
    pub resource_names: Vec<(String, String)>,
    pub login_hint: Option<String>,
    /// Who signed in for the request, once someone has.
    pub signed_in_as: Option<String>,
}

fn expired() -> Step {
    Step::Page("This sign-in request has expired or was already completed. Go back to the application and start again.".into())
}

/// `/authorize`: validate, then log in, ask consent, or answer at once.
/// `hint_subject` verifies an `id_token_hint` and says whom it names (OIDC
/// Core 3.1.2.1): only that user, signed in, may be answered without a
/// login; a hint that does not verify names nobody.
pub async fn start(
    state: &AppState,
    params: Params,
    session_cookie: Option<String>,
    browser: Browser,
    hint_subject: impl FnOnce(&str) -> Option<String>,
) -> Result<Step, DbError> {
    // Over-long input is refused before it costs a query or a stored row.
    if let Err(error) = super::limits::check(&params) {
        return Ok(Step::Page(format!(
            "The request is malformed: {}.",
            error.description
        )));
    }
    let hinted_sub: Option<Option<String>> = params.get("id_token_hint").map(hint_subject);
    let now = state.clock.now();
    let settings = state.settings.clone();
    let issuer = settings.issuer().to_owned();
    state
        .db
        .run(move |conn| {
            let client_id = params.get("client_id").unwrap_or_default().to_owned();
            let client = client::load(conn, &client_id)?;
            let resources = client
                .as_ref()
                .map(|c| c.resources.clone())
                .unwrap_or_default();
            // Scopes may name permissions on the client's APIs; look those
            // up first so validation itself stays free of I/O.
            let permission_scopes = permission_scopes(conn, &params, &resources)?;
            let request = match authorize::validate(&params, client, &|s| {
                permission_scopes.iter().any(|p| p == s)
            }) {
                Ok(request) => request,
                Err(Rejection::Page(message)) => {
                    // Debug-quoted: the client_id is whatever was sent.
                    tracing::warn!(client_id = ?client_id, reason = %message, "authorization request refused");
                    return Ok(Step::Page(message));
                }
                Err(Rejection::Redirect {
                    redirect_uri,
                    state,
                    error,
                }) => {
                    return Ok(refused(
                        &client_id,
                        &redirect_uri,
                        &error,
                        state.as_deref(),
                        &issuer,
                    ));
                }
            };
            let session = match &session_cookie {
                Some(cookie) => sessions::current(conn, cookie, &settings.sessions, now)?,
                None => None,
            };
            // Why a login is needed, if it is, in words for `prompt=none`.
            let needs_login = match &session {
                None => Some("nobody is signed in"),
                Some(_) if request.prompt.login => Some("prompt=login asks for a new sign-in"),
                Some(session)
                    if request
                        .max_age
                        .is_some_and(|max_age| now - session.auth_time > max_age) =>
                {
                    Some("the sign-in is older than max_age allows")
                }
                Some(session) => match &hinted_sub {
                    Some(None) => Some("the id_token_hint is not valid"),
                    Some(Some(sub)) if *sub != session.user_id => {
                        Some("the user named by id_token_hint is not the one signed in")
                    }
                    _ => None,
                },
            };
            if let Some(reason) = needs_login
                && request.prompt.none
            {
                let error = OAuthError::new(ErrorCode::LoginRequired, reason);
                return Ok(refused(
                    &client_id,
                    &request.redirect_uri,
                    &error,
                    request.state.as_deref(),
                    &issuer,
                ));
            }
            let needs_login = needs_login.is_some();
            let signed_in = if needs_login { None } else { session };
            if !make_room(conn, &browser, &settings.authorize, now)? {
                return Ok(Step::TooManyPending);
            }
            let request_id = save_pending(conn, &request, &browser, signed_in.as_ref(), now)?;
            match signed_in {
                None => Ok(Step::Login { request_id }),
                Some(session) => proceed(conn, &settings, &request_id, &session, now),
            }
        })
        .await
}

/// An error for the client at its verified redirect URI, logged at `warn`
/// with the reason: the client sees only the redirect, and whoever looks
/// into "signing in does not work" finds why in the log.
fn refused(
    client_id: &str,
    redirect_uri: &str,
    error: &OAuthError,
    state: Option<&str>,
    issuer: &str,
) -> Step {
    tracing::warn!(
        client_id = ?client_id,
        error = error.code.as_str(),
        reason = %error.description,
        "authorization request refused"
    );
    Step::Redirect(redirect::error(redirect_uri, error, state, issuer))
}

/// The requested scopes that name a permission on one of the client's APIs,
/// found with one query however many scopes were sent.
fn permission_scopes(
    conn: &mut DbConnection,
    params: &Params,
    resources: &[String],
) -> Result<Vec<String>, DbError> {
    if resources.is_empty() {
        return Ok(Vec::new());
    }
    let requested = Scopes::parse(params.get("scope").unwrap_or_default()).unwrap_or_default();
    let candidates: Vec<String> = requested
        .iter()
        .filter(|scope| !super::scope::SUPPORTED_SCOPES.contains(scope))
        .map(str::to_owned)
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    db::roles::permissions_named_on_any(conn, &candidates, resources)
}

/// Who started a request: the browser's binding (its CSRF cookie) and its
/// address, which bound how many requests may wait at once.
#[derive(Debug, Clone)]
pub struct Browser {
    pub binding: String,
    pub client_ip: Option<String>,
}

/// Keeps pending requests bounded: a browser's oldest request gives way to
/// its newest (a person with many tabs still signs in), while an address
/// over its limit is refused — a script that drops its cookies is one
/// address, not many browsers.
fn make_room(
    conn: &mut DbConnection,
    browser: &Browser,
    limits: &crate::config::AuthorizeSettings,
    now: i64,
) -> Result<bool, DbError> {
    if let Some(ip) = &browser.client_ip
        && db::authorization_requests::live_from_ip(conn, ip, now)? >= limits.max_pending_per_ip
    {
        return Ok(false);
    }
    let binding = random::token_hash(&browser.binding);
    let live = db::authorization_requests::live_for_browser(conn, &binding, now)?;
    if live >= limits.max_pending_per_browser {
        db::authorization_requests::drop_oldest_for_browser(
            conn,
            &binding,
            live + 1 - limits.max_pending_per_browser,
        )?;
    }
    Ok(true)
}

fn save_pending(
    conn: &mut DbConnection,
    request: &AuthorizationRequest,
    browser: &Browser,
    session: Option<&Session>,
    now: i64,
) -> Result<String, DbError> {
    let id = random::new_token().into_inner();
    db::authorization_requests::insert(
        conn,
        &AuthorizationRequestRow {
            id: id.clone(),
            browser_binding: random::token_hash(&browser.binding),
            client_id: request.client.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            redirect_uri_sent: request.redirect_uri_sent,
            scope: request.scopes.to_string_list(),
            resources: request.resources.join(" "),
            state: request.state.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            prompt: request.prompt.as_stored(),
            max_age: request.max_age,
            login_hint: request.login_hint.clone(),
            user_id: session.map(|s| s.user_id.clone()),
            session_id_hash: session.map(|s| s.id_hash.clone()),
            created_at: now,
            expires_at: now + PENDING_TTL_SECS,
            client_ip: browser.client_ip.clone(),
            acr_values: request.acr_values.clone(),
        },
    )?;
    Ok(id)
}

/// The pending request, if it is live and was started by this browser.
fn pending_for_browser(
    conn: &mut DbConnection,
    request_id: &str,
    browser_binding: &str,
    now: i64,
) -> Result<Option<AuthorizationRequestRow>, DbError> {
    Ok(
        db::authorization_requests::find_live(conn, request_id, now)?.filter(|row| {
            random::constant_time_eq(
                row.browser_binding.as_bytes(),
                random::token_hash(browser_binding).as_bytes(),
            )
        }),
    )
}

/// What the login or consent page shows for a pending request.
pub async fn view(
    state: &AppState,
    request_id: String,
    browser_binding: String,
) -> Result<Option<PendingView>, DbError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            let Some(row) = pending_for_browser(conn, &request_id, &browser_binding, now)? else {
                return Ok(None);
            };
            let Some(client) = client::load(conn, &row.client_id)?.filter(|c| !c.disabled) else {
                return Ok(None);
            };
            Ok(Some(pending_view(conn, client.name, row)?))
        })
        .await
}

fn pending_view(
    conn: &mut DbConnection,
    client_name: String,
    row: AuthorizationRequestRow,
) -> Result<PendingView, DbError> {
    let resources: Vec<String> = row
        .resources
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut resource_names = Vec::with_capacity(resources.len());
    for identifier in &resources {
        let name = db::apis::find_by_identifier(conn, identifier)?
            .map(|api| api.name)
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| identifier.clone());
        resource_names.push((identifier.clone(), name));
    }
    let signed_in_as = match &row.user_id {
        Some(user_id) => db::users::find_by_id(conn, user_id)?.map(|user| user.username),
        None => None,
    };
    Ok(PendingView {
        client_name,
        scopes: Scopes::from_stored(&row.scope),
        resources,
        resource_names,
        login_hint: row.login_hint,
        signed_in_as,
    })
}

/// Whether a completed sign-in goes on to consent or the code at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    Proceed,
    Pause,
}

/// The level a pending request asked for with `acr_values`, if any.
fn requested_level(row: &AuthorizationRequestRow) -> Option<Level> {
    row.acr_values.as_deref().and_then(Level::requested)
}

/// After a factor was accepted (`amr` says which, with any earlier ones of
/// this sign-in): start a fresh session (never reuse one the browser
/// brought: no fixation), attach it to the request, continue — or, while a
/// second factor is still awaited, keep the new session pending and ask for
/// it. Returns the new session's cookie value with the next step.
///
/// With [`Then::Pause`] the request waits for [`resume`] instead of going
/// on (the person first reads the recovery codes of a new enrolment).
pub async fn after_login(
    state: &AppState,
    request_id: String,
    browser_binding: String,
    user_id: String,
    amr: Vec<String>,
    old_session_cookie: Option<String>,
    then: Then,
) -> Result<(Option<crate::secret::Secret<String>>, Step), DbError> {
    let now = state.clock.now();
    let state = state.clone();
    state
        .db
        .clone()
        .transaction(move |conn| {
            let Some(row) = pending_for_browser(conn, &request_id, &browser_binding, now)? else {
                return Ok((None, expired()));
            };
            if let Some(old) = old_session_cookie {
                sessions::end(conn, &random::token_hash(&old), now)?;
            }
            let pending = second_factor::awaited(conn, &user_id, &amr, requested_level(&row))?;
            let (cookie, session) =
                sessions::start(conn, &user_id, &amr, pending, &state.settings.sessions, now)?;
            db::authorization_requests::set_user(conn, &request_id, &user_id, &session.id_hash)?;
            let step = match (pending, then) {
                (true, _) | (false, Then::Pause) => Step::SecondFactor { request_id },
                (false, Then::Proceed) => {
                    proceed(conn, &state.settings, &request_id, &session, now)?
                }
            };
            Ok((Some(cookie), step))
        })
        .await
}

/// The person at the second-step page of a pending request: the session
/// this browser brought must be the one attached to the request.
pub async fn awaiting_factor(
    state: &AppState,
    request_id: String,
    browser_binding: String,
    session_cookie: Option<String>,
) -> Result<Option<(Awaiting, PendingView)>, DbError> {
    let Some(cookie) = session_cookie else {
        return Ok(None);
    };
    let now = state.clock.now();
    let settings = state.settings.clone();
    state
        .db
        .run(move |conn| {
            let Some(row) = pending_for_browser(conn, &request_id, &browser_binding, now)? else {
                return Ok(None);
            };
            let Some(awaiting) = second_factor::awaiting(
                conn,
                &cookie,
                &settings.sessions,
                requested_level(&row),
                now,
            )?
            else {
                return Ok(None);
            };
            if row.session_id_hash.as_deref() != Some(awaiting.session.id_hash.as_str()) {
                return Ok(None);
            }
            let Some(client) = client::load(conn, &row.client_id)?.filter(|c| !c.disabled) else {
                return Ok(None);
            };
            let view = pending_view(conn, client.name, row)?;
            Ok(Some((awaiting, view)))
        })
        .await
}

/// Continues a request whose sign-in is complete (after the recovery codes
/// of a new enrolment were shown).
pub async fn resume(
    state: &AppState,
    request_id: String,
    browser_binding: String,
    session_cookie: Option<String>,
) -> Result<Step, DbError> {
    let now = state.clock.now();
    let state = state.clone();
    state
        .db
        .clone()
        .transaction(move |conn| {
            let Some(row) = pending_for_browser(conn, &request_id, &browser_binding, now)? else {
                return Ok(expired());
            };
            let Some(session) =
                session_for(conn, &row, session_cookie.as_deref(), &state.settings, now)?
            else {
                return Ok(expired());
            };
            proceed(conn, &state.settings, &request_id, &session, now)
        })
        .await
}

/// The consent decision.
pub async fn decide(
    state: &AppState,
    request_id: String,
    browser_binding: String,
    session_cookie: Option<String>,
    allow: bool,
) -> Result<Step, DbError> {
    let now = state.clock.now();
    let state = state.clone();
    state
        .db
        .clone()
        .transaction(move |conn| {
            let Some(row) = pending_for_browser(conn, &request_id, &browser_binding, now)? else {
                return Ok(expired());
            };
            let Some(session) =
                session_for(conn, &row, session_cookie.as_deref(), &state.settings, now)?
            else {
                return Ok(expired());
            };
            let issuer = state.settings.issuer();
            if !allow {
                db::authorization_requests::take(conn, &request_id)?;
                audit::record(
                    conn,
                    Event {
                        kind: "consent.denied",
                        actor: Some(&session.user_id),
                        subject: Some(&row.client_id),
                        ..Event::default()
                    },
                    now,
                )?;
                let error = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
                return Ok(Step::Redirect(redirect::error(
                    &row.redirect_uri,
                    &error,
                    row.state.as_deref(),
                    issuer,
                )));
            }
            if let Some(step) =
                assurance_gap(conn, &state.settings, &row, &session, Prompt::default())?
            {
                return Ok(step);
            }
            let scopes = Scopes::from_stored(&row.scope);
            let resources: Vec<String> = row
                .resources
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            consent::remember(
                conn,
                &session.user_id,
                &row.client_id,
                &scopes,
                &resources,
                now,
            )?;
            audit::record(
                conn,
                Event {
                    kind: "consent.granted",
                    actor: Some(&session.user_id),
                    subject: Some(&row.client_id),
                    details: Some(
                        serde_json::json!({ "scope": row.scope, "resources": resources }),
                    ),
                    ..Event::default()
                },
                now,
            )?;
            issue_code(conn, &state.settings, row, &session, now)
        })
        .await
}

/// The session that signed in for this request, still live in this browser.
fn session_for(
    conn: &mut DbConnection,
    row: &AuthorizationRequestRow,
    session_cookie: Option<&str>,
    settings: &Settings,
    now: i64,
) -> Result<Option<Session>, DbError> {
    let Some(cookie) = session_cookie else {
        return Ok(None);
    };
    let Some(session) = sessions::current(conn, cookie, &settings.sessions, now)? else {
        return Ok(None);
    };
    let attached = row.session_id_hash.as_deref() == Some(session.id_hash.as_str())
        && row.user_id.as_deref() == Some(session.user_id.as_str());
    Ok(attached.then_some(session))
}

/// Signed in: ask for consent if needed, else issue the code. Prompt and
/// max_age were settled before login, so a fresh login cannot loop.
fn proceed(
    conn: &mut DbConnection,
    settings: &Settings,
    request_id: &str,
    session: &Session,
    now: i64,
) -> Result<Step, DbError> {
    let Some(row) = db::authorization_requests::find_live(conn, request_id, now)? else {
        return Ok(expired());
    };
    let Some(client) = client::load(conn, &row.client_id)?.filter(|c| !c.disabled) else {
        return Ok(expired());
    };
    let prompt = Prompt::from_stored(&row.prompt);
    if let Some(step) = assurance_gap(conn, settings, &row, session, prompt)? {
        return Ok(step);
    }
    let scopes = Scopes::from_stored(&row.scope);
    let resources: Vec<String> = row
        .resources
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    // A token for the admin API is the keys to the installation: the person
    // is always asked, whatever the client's `skip_consent` or an earlier
    // consent says, so no navigation can mint one silently (and so
    // `prompt=none` never gets one).
    let for_admin_api = resources.iter().any(|r| r == ADMIN_API);
    let needs_consent = for_admin_api
        || (!client.skip_consent
            && (prompt.consent
                || !consent::covers(
                    conn,
                    &session.user_id,
                    &client.client_id,
                    &scopes,
                    &resources,
                )?));
    if needs_consent {
        if prompt.none {
            db::authorization_requests::take(conn, request_id)?;
            let error = OAuthError::new(
                ErrorCode::ConsentRequired,
                "the user has not consented to this request",
            );
            return Ok(refused(
                &row.client_id,
                &row.redirect_uri,
                &error,
                row.state.as_deref(),
                settings.issuer(),
            ));
        }
        return Ok(Step::Consent {
            request_id: request_id.to_owned(),
        });
    }
    issue_code(conn, settings, row, session, now)
}

/// A sign-in below the level the request or the person's roles require
/// goes to the second step first (step-up); with `prompt=none` nobody may
/// be asked, so the client hears `interaction_required`.
fn assurance_gap(
    conn: &mut DbConnection,
    settings: &Settings,
    row: &AuthorizationRequestRow,
    session: &Session,
    prompt: Prompt,
) -> Result<Option<Step>, DbError> {
    if second_factor::needed(conn, &session.user_id, &session.amr, requested_level(row))?
        == Needed::Nothing
    {
        return Ok(None);
    }
    if prompt.none {
        db::authorization_requests::take(conn, &row.id)?;
        let error = OAuthError::new(
            ErrorCode::InteractionRequired,
            "the sign-in needs a second factor",
        );
        return Ok(Some(refused(
            &row.client_id,
            &row.redirect_uri,
            &error,
            row.state.as_deref(),
            settings.issuer(),
        )));
    }
    Ok(Some(Step::SecondFactor {
        request_id: row.id.clone(),
    }))
}

fn issue_code(
    conn: &mut DbConnection,
    settings: &Settings,
    row: AuthorizationRequestRow,
    session: &Session,
    now: i64,
) -> Result<Step, DbError> {
    // Exactly one completion of a request issues a code.
    if !db::authorization_requests::take(conn, &row.id)? {
        return Ok(expired());
    }
    let code = random::new_token();
    db::authorization_codes::insert(
        conn,
        &AuthorizationCodeRow {
            code_hash: random::token_hash(code.expose()),
            client_id: row.client_id.clone(),
            user_id: session.user_id.clone(),
            redirect_uri: row.redirect_uri.clone(),
            redirect_uri_sent: row.redirect_uri_sent,
            scope: row.scope,
            resources: row.resources,
            nonce: row.nonce,
            code_challenge: row.code_challenge,
            auth_time: session.auth_time,
            sid: session.sid.clone(),
            amr: session.amr.join(" "),
            created_at: now,
            expires_at: now + settings.tokens.authorization_code_ttl_secs,
            used_at: None,
            access_token_jti: None,
            access_token_expires_at: None,
        },
    )?;
    Ok(Step::Redirect(redirect::success(
        &row.redirect_uri,
        code.expose(),
        row.state.as_deref(),
        settings.issuer(),
    )))
}
