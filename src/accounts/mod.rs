//! Users, roles, APIs and permissions: the rules, framework-free.

pub mod apis;
pub mod assurance;
mod error;
pub mod grants;
pub mod login;
pub mod names;
pub mod passkeys;
pub mod password_policy;
pub mod recovery_codes;
pub mod roles;
pub mod second_factor;
pub mod sessions;
pub mod setup;
pub mod throttle;
pub mod totp;
pub mod users;

pub use error::AccountError;
