//! One integration-test binary: the real server, started on port 0 per
//! test, and the real `gatehouse` command line. See `helpers` for `TestApp`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod account;
mod admin_api;
mod browser;
mod cli;
mod cli_clients;
mod cli_directory;
mod cli_keys;
mod cli_users;
mod client_update;
mod cluster;
mod console;
mod drift;
mod foundation;
mod foundation_database;
mod foundation_keys;
mod foundation_setup;
mod hostile;
mod lifecycle;
mod passkeys;
mod password_policy;
mod polish;
mod races;
mod resource_servers;
pub mod second_factor;
mod sign_in;
mod sqlite_wal;
mod user_search;
