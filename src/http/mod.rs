//! The only actix-web code: routes, extractors, middleware, pages, and the
//! one place errors become responses.

mod admin_api;
pub(crate) mod client_ip;
mod console;
pub(crate) mod csrf;
pub(crate) mod error;
mod health;
mod metrics;
mod middleware;
pub(crate) mod oauth;
mod session_cookie;
pub use crate::routes;

pub mod server;
mod static_files;
mod ui;
mod wellknown;

pub use error::AppError;
pub use metrics::Metrics;
