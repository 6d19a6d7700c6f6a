use diesel::prelude::*;

use super::schema::{clients, consents};
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

/// A consent with the name of the client it was given to.
#[derive(Debug, Clone)]
pub struct ConsentWithClient {
    pub consent: ConsentRow,
    pub client_name: String,
}

/// Every consent `user_id` has given, newest first, with each client's
/// name: one query.
pub fn of_user(conn: &mut DbConnection, user_id: &str) -> Result<Vec<ConsentWithClient>, DbError> {
    let rows: Vec<(ConsentRow, String)> = consents::table
        .inner_join(clients::table)
        .filter(consents::user_id.eq(user_id))
        .order((consents::granted_at.desc(), consents::client_id.asc()))
        .select((ConsentRow::as_select(), clients::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(consent, client_name)| ConsentWithClient {
            consent,
            client_name,
        })
        .collect())
}

/// Forgets the consent `user_id` gave `client_id`; how many rows went (0 or 1).
pub fn delete(conn: &mut DbConnection, user_id: &str, client_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(consents::table.find((user_id, client_id))).execute(conn)?)
}
