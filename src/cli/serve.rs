use std::{net::TcpListener, sync::Arc};

use super::CliError;
use crate::accounts::setup;
use crate::clock::Clock;
use crate::config::Settings;
use crate::http::{routes, server};
use crate::startup::build_state;

pub fn run(settings: Settings, clock: Arc<dyn Clock>) -> Result<(), CliError> {
    let listen = settings.server.listen.clone();
    let metrics_listen = settings.server.metrics_listen.clone();
    let issuer = settings.issuer().to_owned();
    let state = build_state(settings, clock.clone())?;
    let listener = TcpListener::bind(&listen)
        .map_err(|e| CliError(format!("cannot listen on {listen}: {e}")))?;
    let metrics_listener = if metrics_listen.is_empty() {
        None
    } else {
        Some(TcpListener::bind(&metrics_listen).map_err(|e| {
            CliError(format!(
                "cannot listen on {metrics_listen} for metrics: {e}"
            ))
        })?)
    };
    let now = clock.now();
    if let Some(token) = state
        .db
        .run_blocking(|conn| setup::issue_token(conn, now))?
    {
        // Printed, not logged: it is a one-time credential for whoever runs
        // the server, and log pipelines keep things forever.
        println!(
            "No administrator exists yet. Create one at:\n\n    {}{}?token={}\n\n(or run `gatehouse user add NAME --role admin --password-stdin`)",
            issuer,
            routes::SETUP,
            token.expose()
        );
    }
    // The address bound, not the one asked for: with port 0 it is the only
    // way to learn where the server is.
    let listen = listener
        .local_addr()
        .map_or(listen, |address| address.to_string());
    tracing::info!(%issuer, %listen, metrics = %metrics_listen, backend = ?state.db.backend(), "gatehouse starting");
    if let crate::accounts::passkeys::Passkeys::Off(reason) = &state.passkeys {
        tracing::info!(%reason, "passkeys are off");
    }
    actix_web_system(move || async move {
        let running = server::start(state, listener, metrics_listener)?;
        running.run().await
    })
    .map_err(|e| CliError(format!("server error: {e}")))
}

/// Runs the async server on the actix runtime (signals, workers).
fn actix_web_system<F, Fut>(make: F) -> std::io::Result<()>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<()>>,
{
    crate::http::server::system_run(make)
}
