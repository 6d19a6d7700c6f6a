//! Users, roles, APIs and permissions: the rules, framework-free.

pub mod apis;
mod error;
pub mod names;
pub mod roles;
pub mod setup;
pub mod users;

pub use error::AccountError;
