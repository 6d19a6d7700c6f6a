//! Resource servers (issue 4): the actix-web example
//! (`examples/resource_server/`) and the FastAPI example (`examples/fastapi/`)
//! run as real processes against a live Gatehouse, and decide from its
//! tokens alone. Also: what the tokens say per audience, and how a role
//! change shows in the next token.
//!
//! The school of `docs/AUTHORIZATION.md`: `suman` is a `school-admin` (and a
//! `librarian`), `rahul` a `student`; the `reporter` service account holds
//! `report-reader`. Two APIs: the school (`students:delete`,
//! `students:read`) and the library (`books:lend`, `books:read`).

mod checks;
mod claims;
mod examples;
mod fastapi;
mod forge;
mod rust;
mod school;
