use std::time::Duration;

use actix_web::{HttpResponse, web};

use crate::app::AppState;

/// The process is alive.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// How long readiness waits for the database, so that it answers within a
/// second: a load balancer's probe must get its answer before its own
/// timeout, and the pool's checkout (`database.connect_timeout_secs`, 5 s)
/// is longer than a probe's.
const READY_WITHIN: Duration = Duration::from_millis(750);

/// The process can serve: the database answers, within `READY_WITHIN`.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.run_within(READY_WITHIN, crate::db::ping).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
