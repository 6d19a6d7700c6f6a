//! Several nodes on one PostgreSQL (issue 13): what one node starts another
//! finishes, a change on one is in force on the others within two seconds,
//! and what must happen once happens once. PostgreSQL only: SQLite is one
//! node. Most nodes here are in-process servers sharing one `TestEnv`;
//! `topology` drives the real binary behind nginx with the
//! `deploy/cluster` script.

mod kit;

mod changes;
mod jobs;
mod sign_in;
mod startup;
mod throttling;
mod topology;
