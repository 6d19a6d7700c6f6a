//! Editing a registered client: lists gain and lose entries, settings are
//! replaced, and the result must pass every rule `client_registration`
//! applies to a new client. The client id, its type (public or
//! confidential) and its secret never change here.

use super::{
    GrantType, RedirectUri,
    client_registration::{self, ClientSpec},
};
use crate::accounts::AccountError;
use crate::crypto::SigningAlgorithm;
use crate::db::{self, DbConnection, clients::ClientRecord};

/// What to change; everything left empty or `None` stays as it is.
/// Adding what is there already changes nothing; removing what is not
/// there is an error, so a typo shows.
#[derive(Debug, Default, Clone)]
pub struct RegistrationChange {
    /// Empty: the client id is shown as the name again.
    pub name: Option<String>,
    pub add_redirect_uris: Vec<String>,
    pub remove_redirect_uris: Vec<String>,
    pub add_post_logout_redirect_uris: Vec<String>,
    pub remove_post_logout_redirect_uris: Vec<String>,
    pub add_grant_types: Vec<GrantType>,
    pub remove_grant_types: Vec<GrantType>,
    pub add_scopes: Vec<String>,
    pub remove_scopes: Vec<String>,
    /// Added APIs come after the existing ones: the default audience (the
    /// first) changes only when it is removed.
    pub add_resources: Vec<String>,
    pub remove_resources: Vec<String>,
    pub add_introspect: Vec<String>,
    pub remove_introspect: Vec<String>,
    pub skip_consent: Option<bool>,
    /// `Some(None)`: the server's default ID token algorithm.
    pub id_token_alg: Option<Option<SigningAlgorithm>>,
    /// `Some(None)`: no back-channel logout.
    pub backchannel_logout_uri: Option<Option<String>>,
}

/// A client's registration before and after a change.
#[derive(Debug, Clone)]
pub struct Planned {
    pub before: ClientSpec,
    pub after: ClientSpec,
}

fn invalid(message: impl Into<String>) -> AccountError {
    AccountError::Invalid(message.into())
}

/// The registration as stored, in the shape `register` takes.
fn spec_of(record: ClientRecord) -> ClientSpec {
    let row = record.row;
    ClientSpec {
        name: Some(row.name),
        public: row.is_public,
        redirect_uris: record.redirect_uris,
        post_logout_redirect_uris: record.post_logout_redirect_uris,
        grant_types: GrantType::parse_list(&row.grant_types),
        scopes: row.scopes.split_whitespace().map(str::to_owned).collect(),
        resources: record.resources,
        introspect: record.introspect_apis,
        skip_consent: row.skip_consent,
        id_token_alg: row.id_token_alg.and_then(|alg| alg.parse().ok()),
        backchannel_logout_uri: row.backchannel_logout_uri,
        secret: None,
        client_id: row.client_id,
    }
}

/// URIs are stored as `RedirectUri` writes them; compare in that form.
fn uri_key(uri: &str) -> String {
    RedirectUri::parse(uri).map_or_else(|_| uri.to_owned(), |parsed| parsed.as_str().to_owned())
}

/// Removes then adds, keeping the order of what stays; `what` names the
/// list in the error for a removal of something absent.
fn edit<T: PartialEq + Clone>(
    list: &mut Vec<T>,
    add: &[T],
    remove: &[T],
    same: impl Fn(&T, &T) -> bool,
    what: impl Fn(&T) -> String,
) -> Result<(), AccountError> {
    for gone in remove {
        let before = list.len();
        list.retain(|item| !same(item, gone));
        if list.len() == before {
            return Err(invalid(what(gone)));
        }
    }
    for new in add {
        if !list.iter().any(|item| same(item, new)) {
            list.push(new.clone());
        }
    }
    Ok(())
}

/// The client's registration with `change` applied, not yet stored.
pub fn plan(
    conn: &mut DbConnection,
    client_id: &str,
    change: &RegistrationChange,
) -> Result<Planned, AccountError> {
    let record = db::clients::find(conn, client_id)?
        .ok_or_else(|| AccountError::NotFound(format!("client {client_id:?}")))?;
    let before = spec_of(record);
    let mut after = before.clone();
    let id = client_id;
    let same_uri = |a: &String, b: &String| uri_key(a) == uri_key(b);
    let equal = |a: &String, b: &String| a == b;
    edit(
        &mut after.redirect_uris,
        &change.add_redirect_uris,
        &change.remove_redirect_uris,
        same_uri,
        |uri| format!("client {id:?} has no redirect URI {uri:?}"),
    )?;
    edit(
        &mut after.post_logout_redirect_uris,
        &change.add_post_logout_redirect_uris,
        &change.remove_post_logout_redirect_uris,
        same_uri,
        |uri| format!("client {id:?} has no post-logout redirect URI {uri:?}"),
    )?;
    edit(
        &mut after.grant_types,
        &change.add_grant_types,
        &change.remove_grant_types,
        |a, b| a == b,
        |grant| format!("client {id:?} does not use the {grant} grant"),
    )?;
    if after.grant_types.is_empty() {
        return Err(invalid(format!(
            "client {id:?} needs at least one grant; add another before removing the last"
        )));
    }
    edit(
        &mut after.scopes,
        &change.add_scopes,
        &change.remove_scopes,
        equal,
        |scope| format!("client {id:?} does not allow scope {scope:?}"),
    )?;
    // No scopes at all means "the standard ones": removing the last would
    // widen what the client may ask for, not narrow it.
    if after.scopes.is_empty() && !before.scopes.is_empty() {
        return Err(invalid(format!(
            "client {id:?} needs at least one scope; add another before removing the last"
        )));
    }
    edit(
        &mut after.resources,
        &change.add_resources,
        &change.remove_resources,
        equal,
        |api| format!("client {id:?} has no API {api:?}"),
    )?;
    edit(
        &mut after.introspect,
        &change.add_introspect,
        &change.remove_introspect,
        equal,
        |api| format!("client {id:?} may not introspect {api:?} tokens"),
    )?;
    if let Some(name) = &change.name {
        after.name = Some(client_registration::display_name(Some(name.clone()), id));
    }
    if let Some(skip_consent) = change.skip_consent {
        after.skip_consent = skip_consent;
    }
    if let Some(alg) = change.id_token_alg {
        after.id_token_alg = alg;
    }
    if let Some(uri) = &change.backchannel_logout_uri {
        after.backchannel_logout_uri = uri
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
    }
    Ok(Planned { before, after })
}

/// Checks `after` as `register` would and stores it in place of the
/// client's registration (the secret, type, state and consents stay).
/// Call inside a transaction.
pub fn store(conn: &mut DbConnection, after: &ClientSpec, now: i64) -> Result<(), AccountError> {
    let checked = client_registration::check(conn, after)?;
    let settings = db::clients::Settings {
        name: client_registration::display_name(after.name.clone(), &after.client_id),
        grant_types: checked.grant_types,
        scopes: after.scopes.join(" "),
        skip_consent: after.skip_consent,
        id_token_alg: after.id_token_alg.map(|a| a.as_str().to_owned()),
        backchannel_logout_uri: after.backchannel_logout_uri.clone(),
    };
    let updated = db::clients::replace_registration(
        conn,
        &after.client_id,
        &settings,
        &db::clients::Lists {
            redirect_uris: &checked.redirect_uris,
            post_logout_uris: &checked.post_logout_redirect_uris,
            resource_api_ids: &checked.resource_ids,
            introspect_api_ids: &checked.introspect_ids,
        },
        now,
    )?;
    if updated == 0 {
        return Err(AccountError::NotFound(format!(
            "client {:?}",
            after.client_id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_removes_then_adds_and_names_a_missing_removal() {
        let mut list = vec!["a".to_owned(), "b".to_owned()];
        let same = |a: &String, b: &String| a == b;
        edit(
            &mut list,
            &["c".into(), "a".into()],
            &["b".into()],
            same,
            |x| x.clone(),
        )
        .unwrap();
        assert_eq!(list, ["a", "c"]);
        let missing = edit(&mut list, &[], &["zz".into()], same, |x| format!("no {x}"));
        assert_eq!(missing.unwrap_err().to_string(), "no zz");
    }
}
