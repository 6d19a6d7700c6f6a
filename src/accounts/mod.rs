//! Users, roles, APIs and permissions: the rules, framework-free.

pub mod apis;
mod error;
pub mod grants;
pub mod login;
pub mod names;
pub mod passkeys;
pub mod roles;
pub mod sessions;
pub mod setup;
pub mod throttle;
pub mod users;

pub use error::AccountError;
