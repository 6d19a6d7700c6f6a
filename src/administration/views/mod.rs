//! The read side of administration: one function per view that the
//! console, the admin API and the command line show, so that all three
//! show the same things by the same rules (which sessions are live, which
//! clients exist with what). Each view takes a connection and the settings
//! and time it needs, never `AppState`, and costs a fixed number of
//! queries whatever the number of rows (the count is in each function's
//! comment). Views return plain structs, reusing the database row types
//! where they fit; the front ends only render them.

pub mod account;
pub mod audit;
pub mod clients;
pub mod directory;
pub mod keys;
pub mod passkeys;
pub mod users;
