//! The HTTP servers: the public one and the metrics one.

use std::{net::TcpListener, time::Duration};

use actix_web::{App, HttpResponse, HttpServer, dev::Server, middleware::from_fn, web};

use super::{
    Metrics, admin_api, console, health, middleware, oauth, routes, static_files, ui, wellknown,
};
use crate::app::AppState;

/// How often each node checks whether a key is due for scheduled rotation.
/// (Re-reading the keys after changes is `crate::invalidation::watch`.)
const KEY_ROTATION_CHECK: Duration = Duration::from_secs(30);

/// The largest request body the public endpoints accept (the admin API's
/// JSON has its own limit).
const BODY_LIMIT: usize = 64 * 1024;

pub struct RunningServer {
    server: Server,
    metrics_server: Option<Server>,
    port: u16,
    metrics_port: Option<u16>,
    state: AppState,
}

/// The routes, shared by the real server and nothing else (tests drive the
/// real server over TCP).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        routes::DISCOVERY,
        web::get().to(wellknown::openid_configuration),
    )
    .route(
        routes::OAUTH_METADATA,
        web::get().to(wellknown::oauth_authorization_server),
    )
    .route(routes::JWKS, web::get().to(wellknown::jwks))
    .route(routes::HEALTHZ, web::get().to(health::healthz))
    .route(routes::READYZ, web::get().to(health::readyz))
    .configure(oauth::configure)
    .configure(admin_api::configure)
    .configure(console::configure)
    .configure(ui::configure);
}

/// Binds both listeners and builds the servers; `run` starts them.
pub fn start(
    state: AppState,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
) -> std::io::Result<RunningServer> {
    let port = listener.local_addr()?.port();
    let metrics = web::Data::new(Metrics::default());
    let data = web::Data::new(state.clone());
    let workers = state.settings.server.workers;
    let app_metrics = metrics.clone();
    let discovery = web::Data::new(wellknown::Discovery::new(state.settings.issuer()));
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(app_metrics.clone())
            .app_data(discovery.clone())
            // Every form and raw body the public endpoints read is small;
            // larger ones are refused (413) before anything parses them.
            .app_data(
                web::FormConfig::default()
                    .limit(BODY_LIMIT)
                    .error_handler(|e, _| bad_input_page(e)),
            )
            .app_data(web::QueryConfig::default().error_handler(|e, _| bad_input_page(e)))
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            // Outermost last: security headers land on every response,
            // the refusals of `observe` and `reject_nul` included.
            .wrap(from_fn(middleware::reject_nul))
            .wrap(from_fn(middleware::observe))
            .wrap(from_fn(middleware::security_headers))
            .configure(configure)
            .configure(static_files::configure)
            .default_service(web::to(not_found))
    })
    .shutdown_timeout(10);
    if workers > 0 {
        server = server.workers(workers);
    }
    let server = server.listen(listener)?.run();

    let (metrics_server, metrics_port) = match metrics_listener {
        Some(listener) => {
            let metrics_port = listener.local_addr()?.port();
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(metrics.clone())
                    .route(routes::METRICS, web::get().to(render_metrics))
            })
            .workers(1)
            .disable_signals()
            .listen(listener)?
            .run();
            (Some(server), Some(metrics_port))
        }
        None => (None, None),
    };
    Ok(RunningServer {
        server,
        metrics_server,
        port,
        metrics_port,
        state,
    })
}

pub(super) async fn not_found() -> HttpResponse {
    super::error::error_page(
        actix_web::http::StatusCode::NOT_FOUND,
        "Not found",
        "There is nothing here.",
    )
}

/// A form or query string the pages cannot read (a repeated field, a body
/// of another media type, one too large): the HTML error page with the
/// extractor's own 4xx status, rather than actix's plain-text one.
fn bad_input_page(error: impl actix_web::ResponseError + 'static) -> actix_web::Error {
    let status = error.status_code();
    let page = super::error::error_page(
        status,
        "Bad request",
        "The request could not be read. Go back and try again.",
    );
    actix_web::error::InternalError::from_response(error, page).into()
}

async fn render_metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}

impl RunningServer {
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (graceful: in-flight requests finish).
    pub async fn run(self) -> std::io::Result<()> {
        let jobs = crate::jobs::Jobs::new(&self.state.db);
        let background = [
            actix_web::rt::spawn(rotate_due_keys(self.state.clone(), jobs.clone())),
            actix_web::rt::spawn(crate::invalidation::watch(self.state.clone())),
            actix_web::rt::spawn(crate::invalidation::listen(self.state.clone())),
            actix_web::rt::spawn(write_audit_batches(self.state.clone())),
            actix_web::rt::spawn(crate::housekeeping::run(self.state.clone(), jobs)),
            actix_web::rt::spawn(crate::housekeeping::tend_wal(self.state.clone())),
            actix_web::rt::spawn(crate::oidc::backchannel::run_worker(
                self.state.clone(),
                self.state.backchannel_wake.clone(),
            )),
        ];
        let metrics_handle = self.metrics_server.as_ref().map(Server::handle);
        if let Some(metrics_server) = self.metrics_server {
            actix_web::rt::spawn(metrics_server);
        }
        let result = self.server.await;
        for task in background {
            task.abort();
        }
        if let Some(handle) = metrics_handle {
            handle.stop(true).await;
        }
        result
    }
}

async fn write_audit_batches(state: AppState) {
    state.audit.run_writer(state.db.clone()).await;
}

/// One node of a cluster rotates (`crate::jobs`), the others publish its
/// new key when the change epoch moves.
async fn rotate_due_keys(state: AppState, jobs: crate::jobs::Jobs) {
    let mut interval = actix_web::rt::time::interval(KEY_ROTATION_CHECK);
    interval.tick().await;
    loop {
        interval.tick().await;
        if !jobs.my_turn(crate::jobs::Job::KeyRotation).await {
            continue;
        }
        if let Err(error) = crate::housekeeping::rotate_due_keys(&state).await {
            tracing::warn!(%error, "scheduled key rotation skipped");
        }
    }
}

/// Runs `make`'s future on a fresh actix system (used by `gatehouse serve`).
pub fn system_run<F, Fut>(make: F) -> std::io::Result<()>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<()>>,
{
    actix_web::rt::System::new().block_on(make())
}
