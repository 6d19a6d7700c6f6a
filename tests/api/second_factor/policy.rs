//! `acr_values`: a client asking for a second factor gets it asked for;
//! unknown values are ignored.

use super::{MFA_ACR, enrol_during_sign_in, password_step, request_for};
use crate::helpers::{TestApp, browser};

#[tokio::test]
async fn acr_values_asking_for_multi_factor_enrols_a_person_without_one_and_unknown_values_are_ignored()
 {
    let app = TestApp::new()
        .with_user("bob", &[])
        .with_client("web", &["--skip-consent"])
        .start()
        .await;
    let browser = browser::browser();
    let (request, _) = request_for("web");
    // Unknown values alone change nothing.
    let unknown = request.clone().set("acr_values", "urn:example:gold 0");
    browser::code_for(&app, &browser, &unknown, "bob").await;

    let asking = request
        .clone()
        .set("acr_values", &format!("urn:example:gold {MFA_ACR}"));
    // Already signed in with a password: prompt=none cannot step up.
    let silent = browser::start(&app, &browser, &asking.clone().set("prompt", "none")).await;
    browser::assert_error_redirect(&app, &silent.client(), &asking, "interaction_required");
    let request_id = browser::start(&app, &browser, &asking)
        .await
        .second_factor();
    enrol_during_sign_in(&app, &browser, &request_id)
        .await
        .next
        .client();

    // A fresh sign-in asking for it goes to the second step after the password.
    let other = browser::browser();
    password_step(&app, &other, &asking, "bob").await;
}
