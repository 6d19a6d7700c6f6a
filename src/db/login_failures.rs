use diesel::prelude::*;

use super::schema::login_failures;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_failures)]
pub struct LoginFailureRow {
    pub throttle_key: String,
    pub failures: i64,
    pub first_failure_at: i64,
    pub last_failure_at: i64,
    pub blocked_until: i64,
}

pub fn find(conn: &mut DbConnection, key: &str) -> Result<Option<LoginFailureRow>, DbError> {
    super::unique_row(
        login_failures::table
            .find(key)
            .select(LoginFailureRow::as_select()),
        conn,
    )
}

/// Writes the row, inserting it if it is new.
pub fn save(conn: &mut DbConnection, row: &LoginFailureRow) -> Result<(), DbError> {
    let updated = diesel::update(login_failures::table.find(&row.throttle_key))
        .set(row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(login_failures::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    diesel::delete(login_failures::table.find(key)).execute(conn)?;
    Ok(())
}
