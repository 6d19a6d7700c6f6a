use diesel::prelude::*;

use super::schema::consents;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents)]
pub struct ConsentRow {
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub resources: String,
    pub granted_at: i64,
}

pub fn find(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
) -> Result<Option<ConsentRow>, DbError> {
    super::unique_row(
        consents::table
            .find((user_id, client_id))
            .select(ConsentRow::as_select()),
        conn,
    )
}

/// Replaces the remembered consent (delete + insert: portable upsert).
pub fn save(conn: &mut DbConnection, row: &ConsentRow) -> Result<(), DbError> {
    diesel::delete(consents::table.find((&row.user_id, &row.client_id))).execute(conn)?;
    diesel::insert_into(consents::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Forgets every consent given to `client_id`: each person is asked again.
pub fn delete_for_client(conn: &mut DbConnection, client_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(consents::table.filter(consents::client_id.eq(client_id))).execute(conn)?)
}
