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

/// Replaces the remembered consent in one statement, so that two approvals
/// at the same moment (two tabs, two nodes) both succeed and the later
/// one stands; a delete then insert let both insert and one fail.
pub fn save(conn: &mut DbConnection, row: &ConsentRow) -> Result<(), DbError> {
    let statement = diesel::insert_into(consents::table)
        .values(row)
        .on_conflict((consents::user_id, consents::client_id))
        .do_update()
        .set((
            consents::scope.eq(&row.scope),
            consents::resources.eq(&row.resources),
            consents::granted_at.eq(row.granted_at),
        ));
    // ON CONFLICT is spelled per backend; MultiConnection does not carry it.
    match conn {
        DbConnection::Postgres(pg) => statement.execute(pg)?,
        DbConnection::Sqlite(sqlite) => statement.execute(sqlite)?,
    };
    Ok(())
}

/// Forgets every consent given to `client_id`: each person is asked again.
pub fn delete_for_client(conn: &mut DbConnection, client_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(consents::table.filter(consents::client_id.eq(client_id))).execute(conn)?)
}
