//! The FastAPI example, `examples/fastapi/` (needs `GATEHOUSE_TEST_PYTHON`).

use super::checks;
use super::examples::{RunningExample, python};
use super::school::School;
use crate::helpers::TestApp;

#[tokio::test]
async fn fastapi_example_lets_only_admins_delete_and_everyone_read_their_profile() {
    let Some(python) = python() else { return };
    let school = School::spawn().await;
    let example = RunningExample::fastapi(&python, &school.app.issuer, &[]);
    checks::authorizes_by_permission(&school, &example).await;
}

#[tokio::test]
async fn fastapi_example_refuses_tokens_it_must_not_trust() {
    let Some(python) = python() else { return };
    let school = School::spawn().await;
    let example = RunningExample::fastapi(&python, &school.app.issuer, &[]);
    checks::rejects_bad_tokens(&school, &example).await;
}

#[tokio::test]
async fn fastapi_example_fetches_the_jwks_again_for_a_new_key() {
    let Some(python) = python() else { return };
    let school = School::spawn().await;
    // PyJWKClient counts its cooldown from every fetch, the first included:
    // with the default (30 s) a key rotated right after startup would wait.
    let example = RunningExample::fastapi(
        &python,
        &school.app.issuer,
        &[("JWKS_REFRESH_COOLDOWN_SECS", "0")],
    );
    checks::follows_key_rotation(&school, &example).await;
}

#[tokio::test]
async fn fastapi_example_answers_503_when_the_keys_cannot_be_fetched() {
    let Some(python) = python() else { return };
    // No school needed: the token is refused before its claims matter.
    let app = TestApp::spawn().await;
    let example = RunningExample::fastapi(
        &python,
        &app.issuer,
        &[("JWKS_URI", "http://127.0.0.1:9/jwks.json")],
    );
    checks::fails_closed_without_keys(&app, &example).await;
}
