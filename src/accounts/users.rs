use crate::crypto::password::PasswordHasher;
use crate::db::{self, DbConnection, users::UserRow};
use crate::secret::Secret;

use super::password_policy::{self, PasswordPolicy, PolicyNames};
use super::{AccountError, error::duplicate_as, names};

#[derive(Debug, Default, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub roles: Vec<String>,
}

/// A user with a validated username and, when given, an argon2id hash of
/// a password the policy accepts (a new user has no second factor yet).
/// Hash first (slow, no connection held), then call `insert_user`.
pub fn prepare_user(
    new: &NewUser,
    password: Option<&Secret<String>>,
    hasher: &PasswordHasher,
    policy: &PasswordPolicy,
    now: i64,
) -> Result<UserRow, AccountError> {
    let username = names::username(&new.username)?;
    let email = new.email.as_deref().map(names::email).transpose()?;
    if let Some(password) = password {
        let names = PolicyNames {
            username: &username,
            email: email.as_deref(),
        };
        password_policy::check(policy, password.expose(), &names, false)?;
    }
    let password_hash = password
        .map(|p| hasher.hash(p))
        .transpose()
        .map_err(|e| AccountError::Invalid(e.to_string()))?;
    Ok(UserRow {
        id: db::new_id(),
        username,
        email,
        email_verified: new.email_verified,
        name: new
            .name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(names::display_name)
            .transpose()?,
        password_hash,
        disabled: false,
        created_at: now,
        updated_at: now,
        tokens_valid_after: 0,
    })
}

/// A new password for an existing user, hashed before the transaction
/// (argon2id is slow and must not hold a connection). The hash is stored
/// only after `administration::users::set_password` has checked the
/// password against the policy for the user it is meant for: a refused
/// one costs a hash, which only an administrator can make happen.
#[derive(Debug)]
pub struct NewPassword {
    candidate: Secret<String>,
    hash: String,
}

impl NewPassword {
    /// Hashes `candidate`; run it in a hashing slot (`HashLimiter`).
    pub fn hash(candidate: Secret<String>, hasher: &PasswordHasher) -> Result<Self, AccountError> {
        let hash = hasher
            .hash(&candidate)
            .map_err(|e| AccountError::Invalid(e.to_string()))?;
        Ok(Self { candidate, hash })
    }

    /// Checks the password against the policy for the person `names` and
    /// `has_second_factor` describe; the hash to store if it passes.
    pub fn accepted_for(
        &self,
        policy: &PasswordPolicy,
        names: &PolicyNames<'_>,
        has_second_factor: bool,
    ) -> Result<&str, AccountError> {
        password_policy::check(policy, self.candidate.expose(), names, has_second_factor)?;
        Ok(&self.hash)
    }
}

/// Inserts the user and grants the roles; call inside a transaction so a
/// bad role leaves no half-made user behind.
pub fn insert_user(
    conn: &mut DbConnection,
    row: &UserRow,
    roles: &[String],
) -> Result<(), AccountError> {
    db::users::insert(conn, row).map_err(duplicate_as(format!("user {:?}", row.username)))?;
    for role in roles {
        let role_row = db::roles::find_by_name(conn, role)?
            .ok_or_else(|| AccountError::NotFound(format!("role {role:?}")))?;
        db::roles::grant_to_user(conn, &role_row.id, &row.id)?;
    }
    Ok(())
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> Result<UserRow, AccountError> {
    db::users::find_by_username(conn, username)?
        .ok_or_else(|| AccountError::NotFound(format!("user {username:?}")))
}

/// What decides whether a user's tokens still work, kept in memory
/// (`crate::cache`): every change to either goes through `administration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub disabled: bool,
    /// Tokens issued before this (unix seconds) are refused.
    pub tokens_valid_after: i64,
}

impl Standing {
    /// Whether a token issued at `iat` may still be used; the reason if not.
    pub fn refuses_token_from(&self, iat: i64) -> Option<&'static str> {
        if self.disabled {
            Some("the token's user is disabled or gone")
        } else if iat < self.tokens_valid_after {
            Some("the token was issued before the user's tokens were ended")
        } else {
            None
        }
    }
}

/// The user's standing, `None` when there is no such user; from memory when
/// it is there.
pub async fn standing(
    state: &crate::app::AppState,
    user_id: &str,
) -> Result<Option<Standing>, db::DbError> {
    state
        .caches
        .users
        .get_or_load(user_id.to_owned(), || standing_now(state, user_id))
        .await
}

/// The user's standing read from the database, for privilege checks.
pub async fn standing_now(
    state: &crate::app::AppState,
    user_id: &str,
) -> Result<Option<Standing>, db::DbError> {
    let id = user_id.to_owned();
    Ok(state
        .db
        .run(move |conn| db::users::find_by_id(conn, &id))
        .await?
        .map(|user| Standing {
            disabled: user.disabled,
            tokens_valid_after: user.tokens_valid_after,
        }))
}
