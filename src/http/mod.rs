//! The only actix-web code: routes, extractors, middleware, pages, and the
//! one place errors become responses.

mod csrf;
mod error;
mod health;
mod metrics;
mod middleware;
pub mod routes;
pub mod server;
mod ui;
mod wellknown;

pub use error::AppError;
pub use metrics::Metrics;
