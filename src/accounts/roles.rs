use crate::db::{self, DbConnection, roles::RoleRow};

use super::{AccountError, apis::ADMIN_API, error::duplicate_as, names};

pub fn create(
    conn: &mut DbConnection,
    name: &str,
    description: &str,
    now: i64,
) -> Result<RoleRow, AccountError> {
    let row = RoleRow {
        id: db::new_id(),
        name: names::role(name)?,
        description: description.to_owned(),
        built_in: false,
        created_at: now,
        require_mfa: false,
    };
    db::roles::insert(conn, &row).map_err(duplicate_as(format!("role {name:?}")))?;
    Ok(row)
}

pub fn find(conn: &mut DbConnection, name: &str) -> Result<RoleRow, AccountError> {
    db::roles::find_by_name(conn, name)?
        .ok_or_else(|| AccountError::NotFound(format!("role {name:?}")))
}

/// The roles an access token for `audience` names. A resource server reads
/// `roles` to decide, so a token names the roles that mean something to its
/// API: those granting at least one permission there. With the `roles`
/// scope the client asked for the person's roles in general, and gets the
/// others too — except roles that only administer Gatehouse, which are no
/// business of an application (`admin` shows in a school API's token only
/// because it grants permissions on that API).
pub fn in_access_token(
    held: &[String],
    role_apis: &[(String, String)],
    audience: Option<&str>,
    roles_scope: bool,
) -> Vec<String> {
    let grants_on = |role: &str, api: &str| role_apis.iter().any(|(r, a)| r == role && a == api);
    let only_administers_gatehouse = |role: &str| {
        let mut apis = role_apis.iter().filter(|(r, _)| r == role).peekable();
        apis.peek().is_some() && apis.all(|(_, api)| api == ADMIN_API)
    };
    held.iter()
        .filter(|role| {
            audience.is_some_and(|aud| grants_on(role, aud))
                || (roles_scope && !only_administers_gatehouse(role))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(r, a)| ((*r).to_owned(), (*a).to_owned()))
            .collect()
    }

    #[test]
    fn a_token_names_the_roles_of_its_audience() {
        let held = vec!["admin".into(), "student".into(), "member".into()];
        let apis = pairs(&[
            ("admin", ADMIN_API),
            ("student", "school"),
            ("teacher", "school"),
        ]);
        assert_eq!(
            in_access_token(&held, &apis, Some("school"), false),
            ["student"]
        );
        assert_eq!(
            in_access_token(&held, &apis, Some("school"), true),
            ["student", "member"]
        );
        assert_eq!(
            in_access_token(&held, &apis, Some(ADMIN_API), false),
            ["admin"]
        );
        let admin_on_school = pairs(&[("admin", ADMIN_API), ("admin", "school")]);
        assert_eq!(
            in_access_token(&held, &admin_on_school, Some("school"), false),
            ["admin"]
        );
        assert!(in_access_token(&held, &apis, None, false).is_empty());
    }
}
