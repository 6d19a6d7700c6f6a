use diesel::{pg::PgConnection, sqlite::SqliteConnection};

/// One connection to whichever backend the URL chose.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}
