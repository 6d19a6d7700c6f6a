//! The actix-web example, `examples/resource_server/`.

use super::checks;
use super::examples::RunningExample;
use super::school::School;
use crate::helpers::TestApp;

#[tokio::test]
async fn actix_example_lets_only_admins_delete_and_everyone_read_their_profile() {
    let school = School::spawn().await;
    let example = RunningExample::rust(&school.app.issuer, &[]);
    checks::authorizes_by_permission(&school, &example).await;
}

#[tokio::test]
async fn actix_example_refuses_tokens_it_must_not_trust() {
    let school = School::spawn().await;
    let example = RunningExample::rust(&school.app.issuer, &[]);
    checks::rejects_bad_tokens(&school, &example).await;
}

#[tokio::test]
async fn actix_example_fetches_the_jwks_again_for_a_new_key() {
    let school = School::spawn().await;
    // The default cooldown: only refetches for unknown kids are rate
    // limited, so the first one after startup goes through.
    let example = RunningExample::rust(&school.app.issuer, &[]);
    checks::follows_key_rotation(&school, &example).await;
}

#[tokio::test]
async fn actix_example_answers_503_when_the_keys_cannot_be_fetched() {
    // No school needed: the token is refused before its claims matter.
    let app = TestApp::spawn().await;
    // Nothing listens on port 9 of the loopback (discard).
    let example =
        RunningExample::rust(&app.issuer, &[("JWKS_URI", "http://127.0.0.1:9/jwks.json")]);
    checks::fails_closed_without_keys(&app, &example).await;
}
