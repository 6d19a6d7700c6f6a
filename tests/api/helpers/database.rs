//! A fresh database per test: a SQLite file in the test's temporary
//! directory, or — when `GATEHOUSE_TEST_POSTGRES_URL` is set — a PostgreSQL
//! database of its own, dropped when the test ends.

use std::path::Path;

use diesel::{Connection, RunQueryDsl, pg::PgConnection};

/// Set to a PostgreSQL URL (its database is only used to create and drop the
/// per-test databases) to run the suite against PostgreSQL.
pub const POSTGRES_URL_ENV: &str = "GATEHOUSE_TEST_POSTGRES_URL";

pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    postgres: Option<PostgresDatabase>,
}

#[derive(Debug)]
struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// PostgreSQL when the environment asks for it, otherwise SQLite in `dir`.
    pub fn create(dir: &Path) -> Self {
        match postgres_admin_url() {
            Some(admin_url) => Self::create_postgres(&admin_url),
            None => Self::sqlite(dir),
        }
    }

    pub fn sqlite(dir: &Path) -> Self {
        Self {
            url: format!("sqlite://{}", dir.join("test.db").display()),
            postgres: None,
        }
    }

    /// A new, empty database next to the one `admin_url` names.
    pub fn create_postgres(admin_url: &str) -> Self {
        let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_ENV}: cannot connect to {admin_url}: {e}"));
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let mut url = url::Url::parse(admin_url)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_ENV} is not a URL: {e}"));
        url.set_path(&format!("/{name}"));
        Self {
            url: url.to_string(),
            postgres: Some(PostgresDatabase {
                admin_url: admin_url.to_owned(),
                name,
            }),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// Drops a PostgreSQL database now, terminating its connections (tests
    /// that take the database away from a running server). Returns false on
    /// SQLite, where there is nothing comparable.
    pub fn drop_now(&self) -> bool {
        match &self.postgres {
            Some(pg) => {
                pg.drop_database();
                true
            }
            None => false,
        }
    }
}

impl PostgresDatabase {
    fn drop_database(&self) {
        let result = PgConnection::establish(&self.admin_url)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ))
                .execute(&mut conn)
                .map_err(|e| e.to_string())
            });
        if let Err(error) = result {
            eprintln!(
                "warning: could not drop test database {}: {error}",
                self.name
            );
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(pg) = &self.postgres {
            pg.drop_database();
        }
    }
}
