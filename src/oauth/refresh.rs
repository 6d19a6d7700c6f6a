//! Refresh token families (OAuth 2.0 Security BCP §4.14): opaque tokens,
//! rotated on every use; a rotated token presented again revokes the
//! family, except inside a short grace window that lets a client's
//! parallel refreshes share one successor.

use super::{OAuthError, grants::GrantError, issue::AccessTokenId, scope::Scopes};
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::config::TokenSettings;
use crate::crypto::{MasterKey, random};
use crate::db::{self, DbConnection, DbError, refresh_tokens::RefreshTokenRow};
use crate::secret::Secret;

/// What a new family starts from (an authorization code's grant).
pub struct FamilySeed<'a> {
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub scope: &'a Scopes,
    pub resources: &'a str,
    pub auth_time: i64,
    pub sid: &'a str,
    pub amr: &'a str,
    pub access_token_jti: &'a str,
    pub access_token_expires_at: i64,
}

pub fn start_family(
    conn: &mut DbConnection,
    tokens: &TokenSettings,
    seed: FamilySeed<'_>,
    now: i64,
) -> Result<Secret<String>, DbError> {
    let token = random::new_token();
    db::refresh_tokens::insert(
        conn,
        &RefreshTokenRow {
            token_hash: random::token_hash(token.expose()),
            family_id: db::new_id(),
            client_id: seed.client_id.to_owned(),
            user_id: seed.user_id.to_owned(),
            scope: seed.scope.to_string_list(),
            resources: seed.resources.to_owned(),
            auth_time: seed.auth_time,
            sid: seed.sid.to_owned(),
            amr: seed.amr.to_owned(),
            created_at: now,
            expires_at: now
                + tokens
                    .refresh_token_idle_ttl_secs
                    .min(tokens.refresh_token_absolute_ttl_secs),
            family_expires_at: now + tokens.refresh_token_absolute_ttl_secs,
            used_at: None,
            successor_hash: None,
            successor_sealed: None,
            revoked_at: None,
            access_token_jti: Some(seed.access_token_jti.to_owned()),
            access_token_expires_at: Some(seed.access_token_expires_at),
        },
    )?;
    Ok(token)
}

/// The outcome of presenting a refresh token.
pub struct Rotated {
    /// The grant the family carries (scope, resources, user, session).
    pub grant: RefreshTokenRow,
    /// The refresh token to hand back, and the hash of its row.
    pub token: Secret<String>,
    pub token_hash: String,
    /// Whether the successor's row already records the access token
    /// reserved for this refresh (a fresh rotation does, in the same
    /// statement that creates it; a successor shared inside the grace
    /// window must have it added).
    pub access_token_recorded: bool,
    /// The user the family speaks for, read in the rotation's transaction,
    /// with every role they hold.
    pub user: db::users::UserRow,
    pub roles: Vec<String>,
}

/// A fresh rotation's successor, made before the transaction so that the
/// statement which spends the presented token can name it.
struct Successor {
    token: Secret<String>,
    hash: String,
    sealed: Vec<u8>,
}

/// Revokes a family and every access token issued with it: what reuse of
/// a rotated token, revocation and a replayed code all call for.
pub fn revoke_family(conn: &mut DbConnection, family_id: &str, now: i64) -> Result<(), DbError> {
    for (jti, expires_at) in db::refresh_tokens::revoke_family(conn, family_id, now)? {
        db::revoked_tokens::revoke(conn, &jti, expires_at, now)?;
    }
    Ok(())
}

/// Revokes every family of a user (disabled or deleted) and every access
/// token issued with them.
pub fn revoke_all_of_user(conn: &mut DbConnection, user_id: &str, now: i64) -> Result<(), DbError> {
    for (jti, expires_at) in db::refresh_tokens::revoke_for_user(conn, user_id, now)? {
        db::revoked_tokens::revoke(conn, &jti, expires_at, now)?;
    }
    Ok(())
}

/// Revokes every family `user_id` holds at `client_id` and the access
/// tokens issued with them: the person withdrew their consent.
pub fn revoke_all_of_user_at_client(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<(), DbError> {
    for (jti, expires_at) in
        db::refresh_tokens::revoke_for_user_at_client(conn, user_id, client_id, now)?
    {
        db::revoked_tokens::revoke(conn, &jti, expires_at, now)?;
    }
    Ok(())
}

fn invalid(message: &str) -> GrantError {
    OAuthError::invalid_grant(message).into()
}

/// Rotates `presented` for `client_id`, if `check` accepts the grant
/// first (a request the grant cannot satisfy must not spend the token).
/// `access` is the access token the refresh will issue, recorded with a
/// fresh successor so that revoking the family always reaches it.
pub async fn rotate(
    state: &AppState,
    client_id: &str,
    presented: &str,
    access: &AccessTokenId,
    check: impl FnOnce(&RefreshTokenRow) -> Result<(), OAuthError>,
) -> Result<Rotated, GrantError> {
    let now = state.clock.now();
    let hash = random::token_hash(presented);
    let lookup = hash.clone();
    // Read outside the transaction: a SQLite transaction must begin with
    // its write, or a concurrent writer makes it fail instead of wait.
    let Some(row) = state
        .db
        .run(move |conn| db::refresh_tokens::find(conn, &lookup))
        .await?
    else {
        return Err(invalid("unknown refresh token"));
    };
    if row.client_id != client_id {
        return Err(invalid("the refresh token was issued to another client"));
    }
    check(&row)?;
    let token = random::new_token();
    let successor = Successor {
        hash: random::token_hash(token.expose()),
        sealed: state
            .sealer
            .seal(&row.token_hash, token.expose().as_bytes()),
        token,
    };
    let state = state.clone();
    let db = state.db.clone();
    let access = access.clone();
    // A spent token stays spent, and a detected reuse stays revoked, even
    // though the request is refused: the refusal commits.
    db.transaction_committing_refusal(move |conn| {
        let tokens = &state.settings.tokens;
        let rotated =
            if db::refresh_tokens::mark_used(conn, &hash, now, &successor.hash, &successor.sealed)?
            {
                rotate_fresh(conn, tokens, row, successor, &access, now)?
            } else {
                rotate_again(conn, tokens, &state.sealer, &hash, now)?
            };
        let user = db::users::find_by_id(conn, &rotated.grant.user_id)?
            .filter(|user| !user.disabled)
            .ok_or_else(|| invalid("the user is no longer active"))?;
        let roles = db::users::role_names(conn, &user.id)?;
        Ok(rotated.held_by(user, roles))
    })
    .await
}

/// A rotation before the user and roles are attached.
struct Rotation {
    grant: RefreshTokenRow,
    token: Secret<String>,
    token_hash: String,
    access_token_recorded: bool,
}

impl Rotation {
    fn held_by(self, user: db::users::UserRow, roles: Vec<String>) -> Rotated {
        Rotated {
            grant: self.grant,
            token: self.token,
            token_hash: self.token_hash,
            access_token_recorded: self.access_token_recorded,
            user,
            roles,
        }
    }
}

/// The presented token was already spent (or revoked): a parallel refresh
/// inside the grace window shares its successor; anything else is reuse.
fn rotate_again(
    conn: &mut DbConnection,
    tokens: &TokenSettings,
    sealer: &MasterKey,
    hash: &str,
    now: i64,
) -> Result<Rotation, GrantError> {
    // Look again now that we hold the lock.
    let Some(row) = db::refresh_tokens::find(conn, hash)? else {
        return Err(invalid("unknown refresh token"));
    };
    if row.revoked_at.is_some() {
        return Err(invalid("the refresh token was revoked"));
    }
    if let Some(rotated) = within_grace(conn, tokens, sealer, &row, now)? {
        return Ok(rotated);
    }
    // Reuse of a rotated token: someone holds a stolen copy. Revoke the
    // family and everything it issued.
    revoke_family(conn, &row.family_id, now)?;
    audit::record(
        conn,
        Event {
            kind: "refresh.reuse_detected",
            actor: Some(&row.client_id),
            subject: Some(&row.user_id),
            details: Some(serde_json::json!({ "family": row.family_id })),
            ..Event::default()
        },
        now,
    )?;
    Err(invalid(
        "the refresh token was already used; its family has been revoked",
    ))
}

fn rotate_fresh(
    conn: &mut DbConnection,
    tokens: &TokenSettings,
    row: RefreshTokenRow,
    successor: Successor,
    access: &AccessTokenId,
    now: i64,
) -> Result<Rotation, GrantError> {
    if row.expires_at <= now || row.family_expires_at <= now {
        return Err(invalid("the refresh token has expired"));
    }
    let idle = tokens.refresh_token_idle_ttl_secs;
    let grant = RefreshTokenRow {
        token_hash: successor.hash.clone(),
        created_at: now,
        expires_at: (now + idle).min(row.family_expires_at),
        used_at: None,
        successor_hash: None,
        successor_sealed: None,
        revoked_at: None,
        access_token_jti: Some(access.jti.clone()),
        access_token_expires_at: Some(access.expires_at),
        ..row
    };
    db::refresh_tokens::insert(conn, &grant)?;
    Ok(Rotation {
        grant,
        token: successor.token,
        token_hash: successor.hash,
        access_token_recorded: true,
    })
}

fn within_grace(
    conn: &mut DbConnection,
    tokens: &TokenSettings,
    sealer: &MasterKey,
    row: &RefreshTokenRow,
    now: i64,
) -> Result<Option<Rotation>, DbError> {
    let grace = tokens.refresh_token_reuse_grace_secs;
    let (Some(used_at), Some(successor_hash), Some(sealed)) =
        (row.used_at, &row.successor_hash, &row.successor_sealed)
    else {
        return Ok(None);
    };
    if now - used_at > grace {
        return Ok(None);
    }
    let Some(successor) = db::refresh_tokens::find(conn, successor_hash)? else {
        return Ok(None);
    };
    if successor.used_at.is_some() || successor.revoked_at.is_some() {
        return Ok(None);
    }
    let Ok(plaintext) = sealer.open(&row.token_hash, sealed) else {
        return Ok(None);
    };
    let Ok(token) = String::from_utf8(plaintext) else {
        return Ok(None);
    };
    Ok(Some(Rotation {
        grant: successor,
        token: Secret::new(token),
        token_hash: successor_hash.clone(),
        access_token_recorded: false,
    }))
}
