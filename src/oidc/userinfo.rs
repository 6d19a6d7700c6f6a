//! The UserInfo endpoint's rules (OIDC Core §5.3): a live `at+jwt` access
//! token of this issuer, carrying `openid`, for an active user.

use serde_json::{Map, Value, json};

use super::claims::user_claims;
use crate::app::AppState;
use crate::db::{self, DbError};
use crate::oauth::access_token;

#[derive(Debug)]
pub enum UserinfoError {
    InvalidToken(String),
    InsufficientScope,
    Db(DbError),
}

pub async fn userinfo(state: &AppState, token: &str) -> Result<Map<String, Value>, UserinfoError> {
    let claims = access_token::verify(state, token, access_token::Freshness::Cached)
        .await
        .map_err(|e| match e {
            access_token::Rejection::Invalid(reason) => UserinfoError::InvalidToken(reason),
            access_token::Rejection::Db(db) => UserinfoError::Db(db),
        })?;
    let scopes = claims.scopes();
    // `openid` puts the userinfo endpoint in the audience; a token without
    // it is valid but not for this endpoint.
    let audience = access_token::userinfo_audience(state.settings.issuer());
    if !scopes.contains("openid") || !claims.aud.contains(&audience) {
        return Err(UserinfoError::InsufficientScope);
    }
    let sub = claims.sub.clone();
    let (user, roles) = state
        .db
        .run(move |conn| {
            Ok((
                db::users::find_by_id(conn, &sub)?,
                db::users::role_names(conn, &sub)?,
            ))
        })
        .await
        .map_err(UserinfoError::Db)?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Err(UserinfoError::InvalidToken(
            "the user is no longer active".into(),
        ));
    };
    let mut body = Map::new();
    body.insert("sub".into(), json!(user.id));
    body.extend(user_claims(&user, &roles, &scopes));
    Ok(body)
}
