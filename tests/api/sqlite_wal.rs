//! SQLite's write-ahead log stays bounded (issue 12): a log that readers
//! kept from being reset is cut back once they let go, by the server's own
//! checkpoints rather than SQLite's passive ones.

use std::time::{Duration, Instant};

use gatehouse::db::{DbConnection, DbError};

use crate::helpers::TestApp;

fn wal_bytes(app: &TestApp) -> u64 {
    std::fs::metadata(app.env.data_dir().join("test.db-wal")).map_or(0, |m| m.len())
}

#[tokio::test]
async fn a_log_grown_under_a_reader_is_cut_back_once_the_reader_is_gone() {
    let app = TestApp::spawn().await;
    if app.is_postgres() {
        return; // PostgreSQL keeps its own log.
    }
    // A reader holds its snapshot: no checkpoint may reset the log.
    let (reading, wait_reading) = std::sync::mpsc::channel();
    let (done, wait_done) = std::sync::mpsc::channel::<()>();
    let db = app.state.db.clone();
    let reader = std::thread::spawn(move || {
        let _ = db.run_blocking(|conn| {
            diesel::connection::Connection::transaction::<(), DbError, _>(conn, |conn| {
                diesel::RunQueryDsl::execute(
                    diesel::sql_query("SELECT count(*) FROM users"),
                    conn,
                )?;
                reading.send(()).unwrap();
                let _ = wait_done.recv();
                Ok(())
            })
        });
    });
    wait_reading.recv().unwrap();
    // About 24 MiB of writes, one commit each, while the snapshot is held.
    let padding = "x".repeat(64 * 1024);
    for _ in 0..384 {
        let sql = format!(
            "INSERT INTO audit_events (id, occurred_at, kind, details) \
             VALUES (lower(hex(randomblob(16))), 0, 'test.fill', '{padding}')"
        );
        app.db(move |conn: &mut DbConnection| {
            diesel::RunQueryDsl::execute(diesel::sql_query(sql), conn)?;
            Ok(())
        });
    }
    let grown = wal_bytes(&app);
    assert!(grown > 16 << 20, "the log grew to only {grown} bytes");
    done.send(()).unwrap();
    reader.join().unwrap();

    let started = Instant::now();
    while wal_bytes(&app) > 1 << 20 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the log is still {} bytes",
            wal_bytes(&app)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
