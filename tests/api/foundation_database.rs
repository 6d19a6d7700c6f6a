//! The database layer as an operator meets it: a bad URL is a clear error,
//! an unavailable database is a 503, and the two migration sets describe
//! the same schema.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use diesel::{
    Connection, QueryableByName, RunQueryDsl, pg::PgConnection, sql_types::Text,
    sqlite::SqliteConnection,
};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use gatehouse::{
    config::DatabaseUrl,
    db::{Db, DbError},
};

use crate::helpers::{
    TestApp, TestDatabase, cli_command, postgres_admin_url, require_tool, run_cli,
};

const UNREACHABLE: &str = "postgres://nobody@127.0.0.1:1/nope";

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect()
}

#[test]
fn an_unreachable_postgres_url_is_a_clear_error_from_db_connect() {
    let url = DatabaseUrl::parse(UNREACHABLE).unwrap();
    assert!(matches!(url, DatabaseUrl::Postgres(_)));
    let started = Instant::now();
    let error =
        Db::connect(&url, 1, Duration::from_secs(5)).expect_err("nothing listens on port 1");
    assert!(matches!(error, DbError::Unavailable(_)), "{error:?}");
    assert!(error.to_string().contains("PostgreSQL"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a refused connection fails at once"
    );
}

#[test]
fn an_unreachable_postgres_url_fails_the_cli_and_creates_no_sqlite_file() {
    let cwd = tempfile::tempdir().unwrap();
    for args in [
        &["--database-url", UNREACHABLE, "migrate"][..],
        &["--database-url", UNREACHABLE, "user", "list"][..],
        &["--database-url", UNREACHABLE, "keys", "list"][..],
    ] {
        let out = run_cli(cli_command(cwd.path()), args, None);
        let line = out.fails_with(1);
        assert!(line.contains("PostgreSQL"), "{out}");
        assert!(!line.contains("sqlite"), "{out}");
    }
    // The same URL through the environment.
    let mut command = cli_command(cwd.path());
    command.env("GATEHOUSE_DATABASE_URL", UNREACHABLE);
    let out = run_cli(command, &["migrate"], None);
    assert!(out.fails_with(1).contains("PostgreSQL"), "{out}");

    assert!(
        files_in(cwd.path()).is_empty(),
        "files were created: {:?}",
        files_in(cwd.path())
    );
}

/// Holds every pooled connection until told to let go.
fn hold_all_connections(app: &TestApp) -> std::sync::mpsc::Sender<()> {
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let db = app.state.db.clone();
    std::thread::spawn(move || {
        let _ = db.run_blocking(|_conn| {
            let _ = held_tx.send(());
            let _ = release_rx.recv_timeout(Duration::from_secs(30));
            Ok::<_, DbError>(())
        });
    });
    held_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("took the connection");
    release_tx
}

#[tokio::test]
async fn readyz_is_503_while_no_database_connection_can_be_had() {
    let app = TestApp::spawn_with(|settings| {
        settings.database.pool_size = 1;
        settings.database.connect_timeout_secs = 1;
    })
    .await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    let release = hold_all_connections(&app);
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.text().await.unwrap(), "database unavailable");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status(), 200);

    release.send(()).unwrap();
    let mut status = 0;
    for _ in 0..50 {
        status = app.get("/readyz").await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "ready again once a connection is free");
}

#[tokio::test]
async fn readyz_is_503_when_the_postgres_database_is_gone() {
    if !require_tool("postgres") {
        return;
    }
    let app = TestApp::spawn_with(|settings| settings.database.connect_timeout_secs = 1).await;
    assert!(app.is_postgres());
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert!(app.env.db.drop_now());
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

// ---------------------------------------------------------------------
// Schema parity between migrations/postgres and migrations/sqlite.

fn migrations_dir(dialect: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect)
}

fn migration_names(dialect: &str) -> Vec<String> {
    let mut names: Vec<String> = files_in(&migrations_dir(dialect))
        .into_iter()
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_dialects_have_the_same_migrations_each_with_up_and_down() {
    let postgres = migration_names("postgres");
    let sqlite = migration_names("sqlite");
    assert!(!postgres.is_empty());
    assert_eq!(
        postgres, sqlite,
        "migrations/postgres and migrations/sqlite differ"
    );
    for dialect in ["postgres", "sqlite"] {
        for name in &postgres {
            for file in ["up.sql", "down.sql"] {
                let path = migrations_dir(dialect).join(name).join(file);
                assert!(path.is_file(), "{} is missing", path.display());
            }
        }
    }
}

/// A column as both dialects can describe it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    kind: &'static str,
    not_null: bool,
}

type Schema = BTreeMap<String, BTreeMap<String, Column>>;

fn portable_type(declared: &str) -> &'static str {
    match declared.trim().to_ascii_lowercase().as_str() {
        "text" | "varchar" | "character varying" => "text",
        "bigint" | "int8" => "bigint",
        "integer" | "int" | "int4" => "integer",
        "boolean" | "bool" => "boolean",
        "blob" | "bytea" => "bytes",
        other => panic!("non-portable column type {other:?} (see DESIGN.md: Data)"),
    }
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    column_type: String,
    #[diesel(sql_type = Text)]
    not_null: String,
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

fn to_schema(rows: Vec<ColumnRow>) -> Schema {
    let mut schema = Schema::new();
    for row in rows {
        schema.entry(row.table_name).or_default().insert(
            row.column_name,
            Column {
                kind: portable_type(&row.column_type),
                not_null: row.not_null == "1",
            },
        );
    }
    schema
}

/// The live SQLite schema. SQLite lets a non-INTEGER primary key hold NULL
/// unless told otherwise; PostgreSQL does not: count primary keys as NOT NULL.
/// An INTEGER PRIMARY KEY is the 64-bit rowid: a BIGINT.
fn sqlite_schema(conn: &mut SqliteConnection) -> (Schema, BTreeSet<String>) {
    let rows = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name, \
         CASE WHEN p.pk > 0 AND lower(p.type) = 'integer' THEN 'bigint' ELSE p.type END \
         AS column_type, \
         CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN '1' ELSE '0' END AS not_null \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
         AND m.name <> '__diesel_schema_migrations'",
    )
    .load::<ColumnRow>(conn)
    .unwrap();
    let indexes = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    )
    .load::<NameRow>(conn)
    .unwrap();
    (
        to_schema(rows),
        indexes.into_iter().map(|r| r.name).collect(),
    )
}

fn postgres_schema(conn: &mut PgConnection) -> (Schema, BTreeSet<String>) {
    let rows = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
         data_type::text AS column_type, \
         CASE WHEN is_nullable = 'NO' THEN '1' ELSE '0' END AS not_null \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load::<ColumnRow>(conn)
    .unwrap();
    // Indexes made by CREATE INDEX, not the ones behind PRIMARY KEY/UNIQUE.
    let indexes = diesel::sql_query(
        "SELECT i.indexname::text AS name FROM pg_indexes i \
         WHERE i.schemaname = 'public' AND NOT EXISTS ( \
           SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    )
    .load::<NameRow>(conn)
    .unwrap();
    (
        to_schema(rows),
        indexes.into_iter().map(|r| r.name).collect(),
    )
}

/// The schema the PostgreSQL up.sql files describe, for runs without a
/// PostgreSQL server. Understands CREATE/DROP TABLE and the ALTER TABLE
/// column actions; anything else that changes columns fails loudly.
fn parsed_postgres_schema() -> (Schema, BTreeSet<String>) {
    let mut schema = Schema::new();
    let mut indexes = BTreeSet::new();
    for name in migration_names("postgres") {
        let sql =
            std::fs::read_to_string(migrations_dir("postgres").join(&name).join("up.sql")).unwrap();
        let without_comments: String = sql
            .lines()
            .map(|line| line.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ");
        for statement in without_comments.split(';') {
            let words: Vec<&str> = statement.split_whitespace().collect();
            apply_statement(&mut schema, &mut indexes, &words, &name);
        }
    }
    (schema, indexes)
}

fn unquote(identifier: &str) -> String {
    identifier.trim_matches('"').to_owned()
}

fn upper(words: &[&str], n: usize) -> Vec<String> {
    words
        .iter()
        .take(n)
        .map(|w| w.to_ascii_uppercase())
        .collect()
}

fn apply_statement(
    schema: &mut Schema,
    indexes: &mut BTreeSet<String>,
    words: &[&str],
    migration: &str,
) {
    let head = upper(words, 6);
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let skip_if_exists = |at: usize| -> usize {
        if head.get(at) == Some(&"IF") {
            at + if head.get(at + 1) == Some(&"NOT") {
                3
            } else {
                2
            }
        } else {
            at
        }
    };
    match head.as_slice() {
        ["CREATE", "TABLE", ..] => {
            let at = skip_if_exists(2);
            let rest = words[at..].join(" ");
            let open = rest.find('(').unwrap();
            let close = rest.rfind(')').unwrap();
            let table = unquote(rest[..open].trim());
            let mut columns = BTreeMap::new();
            let mut primary_key = Vec::new();
            for item in split_top_level(&rest[open + 1..close]) {
                let item_words: Vec<&str> = item.split_whitespace().collect();
                let first = item_words[0].to_ascii_uppercase();
                if first == "PRIMARY" {
                    let cols = &item[item.find('(').unwrap() + 1..item.rfind(')').unwrap()];
                    primary_key.extend(cols.split(',').map(|c| unquote(c.trim())));
                    continue;
                }
                if ["UNIQUE", "FOREIGN", "CONSTRAINT", "CHECK", "EXCLUDE"].contains(&first.as_str())
                {
                    continue;
                }
                columns.insert(unquote(item_words[0]), column_from(&item_words[1..]));
            }
            for col in primary_key {
                columns
                    .get_mut(&col)
                    .unwrap_or_else(|| panic!("{table}.{col}"))
                    .not_null = true;
            }
            schema.insert(table, columns);
        }
        ["DROP", "TABLE", ..] => {
            let at = skip_if_exists(2);
            for table in words[at..].join(" ").split(',') {
                schema.remove(&unquote(table.trim()));
            }
        }
        ["ALTER", "TABLE", ..] => {
            let at = skip_if_exists(2);
            let table = unquote(words[at]);
            for action in split_top_level(&words[at + 1..].join(" ")) {
                alter(schema, &table, &action, migration);
            }
        }
        ["CREATE", "INDEX", ..] | ["CREATE", "UNIQUE", "INDEX", ..] => {
            let at = head.iter().position(|w| *w == "INDEX").unwrap() + 1;
            let at = skip_if_exists(at);
            indexes.insert(unquote(words[at]));
        }
        ["DROP", "INDEX", ..] => {
            indexes.remove(&unquote(words[skip_if_exists(2)]));
        }
        _ => {}
    }
}

fn column_from(words: &[&str]) -> Column {
    let rest = words.join(" ").to_ascii_uppercase();
    Column {
        kind: portable_type(words[0]),
        not_null: rest.contains("NOT NULL") || rest.contains("PRIMARY KEY"),
    }
}

fn alter(schema: &mut Schema, table: &str, action: &str, migration: &str) {
    let words: Vec<&str> = action.split_whitespace().collect();
    let head = upper(&words, 6);
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let columns = schema
        .get_mut(table)
        .unwrap_or_else(|| panic!("{migration}: ALTER TABLE {table} before CREATE TABLE"));
    let after_if = |at: usize| {
        if head.get(at) == Some(&"IF") {
            at + if head.get(at + 1) == Some(&"NOT") {
                3
            } else {
                2
            }
        } else {
            at
        }
    };
    match head.as_slice() {
        ["ADD", "COLUMN", ..] => {
            let at = after_if(2);
            columns.insert(unquote(words[at]), column_from(&words[at + 1..]));
        }
        ["DROP", "COLUMN", ..] => {
            columns.remove(&unquote(words[after_if(2)]));
        }
        ["RENAME", "COLUMN", _, "TO", ..] => {
            let column = columns.remove(&unquote(words[2])).unwrap();
            columns.insert(unquote(words[4]), column);
        }
        ["ALTER", "COLUMN", _, "SET", "NOT", ..] => {
            columns.get_mut(&unquote(words[2])).unwrap().not_null = true
        }
        ["ALTER", "COLUMN", _, "DROP", "NOT", ..] => {
            columns.get_mut(&unquote(words[2])).unwrap().not_null = false
        }
        ["ALTER", "COLUMN", _, "SET", "DEFAULT", ..]
        | ["ALTER", "COLUMN", _, "DROP", "DEFAULT", ..] => {}
        // A collation change keeps the column's type (TEXT) and nullability.
        ["ALTER", "COLUMN", _, "TYPE", "TEXT", "COLLATE", ..] => {}
        ["ADD", "CONSTRAINT", ..]
        | ["DROP", "CONSTRAINT", ..]
        | ["ADD", "UNIQUE", ..]
        | ["ADD", "FOREIGN", ..] => {}
        _ => panic!(
            "{migration}: the schema parity test cannot read `ALTER TABLE {table} {action}`; \
             teach tests/api/foundation_database.rs about it (or run with {})",
            crate::helpers::POSTGRES_URL_ENV
        ),
    }
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current).trim().to_owned());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_owned());
    }
    parts
}

/// Applies the embedded SQLite migrations (what the server runs).
fn migrated_sqlite(dir: &Path) -> SqliteConnection {
    let path = dir.join("schema.db");
    let db = Db::connect(
        &DatabaseUrl::Sqlite(path.clone()),
        1,
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(db.run_blocking(gatehouse::db::run_migrations).unwrap() > 0);
    SqliteConnection::establish(path.to_str().unwrap()).unwrap()
}

fn assert_same_schema(
    expected: &(Schema, BTreeSet<String>),
    actual: &(Schema, BTreeSet<String>),
    what: &str,
) {
    let expected_tables: BTreeSet<&String> = expected.0.keys().collect();
    let actual_tables: BTreeSet<&String> = actual.0.keys().collect();
    assert_eq!(expected_tables, actual_tables, "{what}: tables differ");
    for (table, columns) in &expected.0 {
        assert_eq!(
            Some(columns),
            actual.0.get(table),
            "{what}: columns of {table} differ"
        );
    }
    assert_eq!(expected.1, actual.1, "{what}: named indexes differ");
}

#[test]
fn both_migration_sets_produce_the_same_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_schema(&mut migrated_sqlite(dir.path()));
    assert!(sqlite.0.contains_key("users") && sqlite.0.contains_key("signing_keys"));

    // Always: against what the PostgreSQL files say.
    assert_same_schema(
        &parsed_postgres_schema(),
        &sqlite,
        "postgres up.sql (parsed) vs sqlite",
    );

    // With a server: against what PostgreSQL actually built.
    if postgres_admin_url().is_some() {
        let database = TestDatabase::create_postgres(&postgres_admin_url().unwrap());
        let db = Db::connect(
            &DatabaseUrl::parse(database.url()).unwrap(),
            1,
            Duration::from_secs(5),
        )
        .unwrap();
        db.run_blocking(gatehouse::db::run_migrations).unwrap();
        let mut conn = PgConnection::establish(database.url()).unwrap();
        let postgres = postgres_schema(&mut conn);
        drop(conn);
        drop(db);
        assert_same_schema(&postgres, &sqlite, "postgres (live) vs sqlite");
    }
}

#[test]
fn sqlite_down_migrations_undo_everything() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = FileBasedMigrations::from_path(migrations_dir("sqlite")).unwrap();
    let mut conn =
        SqliteConnection::establish(dir.path().join("down.db").to_str().unwrap()).unwrap();
    conn.run_pending_migrations(migrations.clone()).unwrap();
    conn.revert_all_migrations(migrations.clone()).unwrap();
    let (schema, indexes) = sqlite_schema(&mut conn);
    assert!(
        schema.is_empty() && indexes.is_empty(),
        "left behind: {schema:?} {indexes:?}"
    );
    // And up again from there.
    conn.run_pending_migrations(migrations).unwrap();
}

#[test]
fn postgres_down_migrations_undo_everything() {
    if !require_tool("postgres") {
        return;
    }
    let database = TestDatabase::create_postgres(&postgres_admin_url().unwrap());
    let migrations = FileBasedMigrations::from_path(migrations_dir("postgres")).unwrap();
    let mut conn = PgConnection::establish(database.url()).unwrap();
    conn.run_pending_migrations(migrations.clone()).unwrap();
    conn.revert_all_migrations(migrations.clone()).unwrap();
    let (schema, indexes) = postgres_schema(&mut conn);
    assert!(
        schema.is_empty() && indexes.is_empty(),
        "left behind: {schema:?} {indexes:?}"
    );
    conn.run_pending_migrations(migrations).unwrap();
}

/// Transactions that read before they write must not fail when another
/// connection writes in between: on SQLite a deferred transaction cannot
/// upgrade a stale read snapshot to a write (SQLITE_BUSY_SNAPSHOT, which
/// the busy timeout does not wait out), so write transactions take the
/// write lock first and queue instead.
#[tokio::test]
async fn concurrent_read_then_write_transactions_all_commit() {
    let app = TestApp::spawn().await;
    let mut tasks = Vec::new();
    for n in 0..24 {
        let db = app.state.db.clone();
        tasks.push(tokio::spawn(async move {
            db.transaction(move |conn| {
                let before = gatehouse::db::audit::recent(conn, None, 1000)?.len();
                // Give another transaction time to write in between.
                std::thread::sleep(std::time::Duration::from_millis(5));
                gatehouse::audit::record(
                    conn,
                    gatehouse::audit::Event {
                        kind: "test.concurrent",
                        subject: Some(&n.to_string()),
                        ..Default::default()
                    },
                    0,
                )?;
                Ok::<usize, DbError>(before)
            })
            .await
        }));
    }
    for task in tasks {
        let outcome = task.await.unwrap();
        assert!(outcome.is_ok(), "a transaction failed: {outcome:?}");
    }
    let recorded = app
        .db(|conn| gatehouse::db::audit::recent(conn, Some("test.concurrent"), 100))
        .len();
    assert_eq!(recorded, 24);
}
