//! Gatehouse: an OAuth 2.0 / OpenID Connect identity provider.
//!
//! Dependencies point inward: `cli`/`http` → `administration` → `oidc` →
//! `oauth` → `accounts` → `crypto` → `db` (docs/ARCHITECTURE.md). Only
//! `http` knows actix-web; only `db` knows diesel.

pub mod accounts;
pub mod administration;
pub mod app;
pub mod audit;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod housekeeping;
pub mod http;
pub mod invalidation;
pub mod jobs;
pub mod oauth;
pub mod oidc;
pub mod routes;
pub mod secret;
pub mod startup;
pub mod telemetry;
pub mod utc;
