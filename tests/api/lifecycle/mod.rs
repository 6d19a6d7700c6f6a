//! Token and session lifecycle (issue 5): refresh token rotation and reuse
//! detection, revocation (RFC 7009), introspection (RFC 7662),
//! RP-initiated and back-channel logout, signing key rotation and
//! revocation, token lifetime caps, and the housekeeping sweep. `flow`
//! holds the shared pieces.

mod backchannel;
mod caches;
mod cut_off;
mod flow;
mod housekeeping;
mod introspect;
mod keys;
mod lifetime;
mod logout;
mod refresh;
mod revocation;
mod revoke;

use crate::helpers::TestApp;

#[tokio::test]
async fn discovery_lists_the_lifecycle_endpoints_and_features() {
    let app = TestApp::spawn().await;
    let doc = app.get_json("/.well-known/openid-configuration").await;
    let issuer = app.issuer.as_str();
    assert_eq!(
        doc["revocation_endpoint"],
        format!("{issuer}/revoke"),
        "{doc}"
    );
    assert_eq!(
        doc["introspection_endpoint"],
        format!("{issuer}/introspect"),
        "{doc}"
    );
    assert_eq!(
        doc["end_session_endpoint"],
        format!("{issuer}/logout"),
        "{doc}"
    );
    assert_eq!(doc["backchannel_logout_supported"], true, "{doc}");
    assert_eq!(doc["backchannel_logout_session_supported"], true, "{doc}");
    let grants = doc["grant_types_supported"].as_array().unwrap();
    assert!(grants.iter().any(|g| g == "refresh_token"), "{doc}");
    assert!(
        doc["scopes_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "offline_access")
    );
    // Each advertised endpoint answers (not 404) at the advertised URL.
    for name in ["revocation_endpoint", "introspection_endpoint"] {
        let url = doc[name].as_str().unwrap();
        let response = reqwest::Client::new()
            .post(url)
            .form(&[("token", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{name}: unauthenticated");
    }
    let logout = reqwest::Client::new()
        .get(doc["end_session_endpoint"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
}
