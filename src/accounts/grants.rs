//! The authorization model in memory: which permissions each role grants
//! on which API. Read on every token, changed only by administrators, and
//! small (roles × permissions), so it is held whole and re-read after any
//! change (`crate::cache`).

use std::{collections::HashMap, sync::Arc};

use crate::app::AppState;
use crate::db::{self, DbConnection, DbError};

/// Every role's `(api identifier, permission)` pairs.
#[derive(Debug, Default)]
pub struct RoleGrants {
    by_role: HashMap<String, Vec<(String, String)>>,
}

impl RoleGrants {
    pub fn load(conn: &mut DbConnection) -> Result<Self, DbError> {
        let mut by_role: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for (role, api, permission) in db::roles::all_grants(conn)? {
            by_role.entry(role).or_default().push((api, permission));
        }
        Ok(RoleGrants { by_role })
    }

    /// The permissions `roles` grant on `api`, sorted, each once.
    pub fn permissions_on(&self, roles: &[String], api: &str) -> Vec<String> {
        let mut found: Vec<String> = self
            .pairs_of(roles)
            .filter(|(_, (granted_on, _))| granted_on == api)
            .map(|(_, (_, permission))| permission.clone())
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// `(role, api)` for each API on which one of `roles` grants something
    /// (what `roles::in_access_token` decides with).
    pub fn role_apis(&self, roles: &[String]) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = self
            .pairs_of(roles)
            .map(|(role, (api, _))| (role.clone(), api.clone()))
            .collect();
        found.sort();
        found.dedup();
        found
    }

    fn pairs_of<'a>(
        &'a self,
        roles: &'a [String],
    ) -> impl Iterator<Item = (&'a String, &'a (String, String))> {
        roles.iter().flat_map(move |role| {
            self.by_role
                .get(role)
                .into_iter()
                .flatten()
                .map(move |pair| (role, pair))
        })
    }
}

/// The current grants, from memory when they are there.
pub async fn current(state: &AppState) -> Result<Arc<RoleGrants>, DbError> {
    state
        .caches
        .grants
        .get_or_load((), || async {
            Ok(Arc::new(state.db.run(RoleGrants::load).await?))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(list: &[(&str, &str, &str)]) -> RoleGrants {
        let mut by_role: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for (role, api, permission) in list {
            by_role
                .entry((*role).to_owned())
                .or_default()
                .push(((*api).to_owned(), (*permission).to_owned()));
        }
        RoleGrants { by_role }
    }

    #[test]
    fn permissions_are_those_of_the_roles_held_on_that_api() {
        let model = grants(&[
            ("student", "school", "grades:read"),
            ("teacher", "school", "grades:write"),
            ("teacher", "school", "grades:read"),
            ("teacher", "library", "books:lend"),
        ]);
        let held = vec!["student".to_owned(), "teacher".to_owned()];
        assert_eq!(
            model.permissions_on(&held, "school"),
            ["grades:read", "grades:write"]
        );
        assert_eq!(
            model.permissions_on(&held[..1], "library"),
            Vec::<String>::new()
        );
        assert_eq!(
            model.role_apis(&held),
            [
                ("student".to_owned(), "school".to_owned()),
                ("teacher".to_owned(), "library".to_owned()),
                ("teacher".to_owned(), "school".to_owned()),
            ]
        );
    }
}
