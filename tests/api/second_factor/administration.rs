//! The same switches through the admin API and the console: requiring a
//! second factor of a role, resetting a person's factors; and the console
//! asking its own administrators for the factor their role requires.

use reqwest::StatusCode;

use super::{enrol_during_sign_in, password_step, request_for};
use crate::admin_api::Api;
use crate::helpers::{
    TestApp,
    browser::{self, Person},
};

#[tokio::test]
async fn the_admin_api_requires_mfa_of_a_role_and_resets_a_person_s_factors() {
    let app = TestApp::new()
        .with_client("web", &["--skip-consent"])
        .start()
        .await;
    app.cli(&["role", "add", "staff"], None).ok();
    app.add_user("alice", &["staff"]);
    let api = Api::ops(&app).await;
    api.put("/roles/staff/require-mfa", None).await.expect(204);
    api.put("/roles/nobody/require-mfa", None).await.expect(404);

    let browser = browser::browser();
    let (request, _) = request_for("web");
    let request_id = password_step(&app, &browser, &request, "alice").await;
    enrol_during_sign_in(&app, &browser, &request_id)
        .await
        .next
        .client();

    api.delete("/users/alice/factors").await.expect(204);
    let kinds: Vec<String> = api
        .admin_events()
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.contains(&"admin.role.mfa_requirement".to_owned()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"admin.user.factors_reset".to_owned()),
        "{kinds:?}"
    );
    // Her session ended with the reset.
    let silent = browser::start(&app, &browser, &request.clone().set("prompt", "none")).await;
    browser::assert_error_redirect(&app, &silent.client(), &request, "login_required");

    api.delete("/roles/staff/require-mfa").await.expect(204);
    browser::code_for(&app, &browser::browser(), &request, "alice").await;
}

#[tokio::test]
async fn the_console_asks_an_administrator_for_the_factor_the_admin_role_requires() {
    let app = TestApp::new().with_user("root", &["admin"]).start().await;
    let person = Person::signed_in(&app, "root").await;
    let page = person.get("/admin/roles").await;
    page.expect(200);
    assert!(
        page.html.contains("/admin/roles/admin/require-mfa"),
        "a switch per role"
    );
    let switched = person
        .submit("/admin/roles/admin/require-mfa", &[("confirm", "yes")])
        .await;
    switched.expect(303);

    // The same session is now short of its role's requirement.
    let asked = person.get("/admin/users").await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        asked.location(),
        "/login/second-factor?return_to=%2Fadmin%2Fusers"
    );
    let enrol = person.get(&asked.location()).await;
    enrol.expect(200);
    assert!(enrol.html.contains("totp-secret"), "{}", enrol.html);

    // The reset button on a user's page.
    app.add_user("bob", &[]);
    app.cli(&["role", "require-mfa", "admin", "--off"], None)
        .ok();
    let page = person.get("/admin/users/bob").await;
    page.expect(200);
    assert!(
        page.html.contains("/admin/users/bob/reset-factors"),
        "{}",
        page.html
    );
    let reset = person.submit("/admin/users/bob/reset-factors", &[]).await;
    reset.expect(303);
    assert!(
        reset.location().contains("notice=factors_reset"),
        "{}",
        reset.location()
    );
}
