//! The sign-in tests' people: the flow itself is the kit's
//! (`helpers::browser`).

use crate::helpers::TestApp;
pub use crate::helpers::browser::*;
pub use crate::helpers::{PASSWORD, REDIRECT_URI};

/// Alice, with an email address and a name.
pub fn add_alice(app: &TestApp) -> String {
    app.add_user_with(gatehouse::accounts::users::NewUser {
        username: "alice".into(),
        email: Some("alice@example.com".into()),
        name: Some("Alice Liddell".into()),
        ..Default::default()
    })
}

/// Registers alice and a confidential client `web`, signs alice in with
/// `scope` and redeems the code: the token response.
pub async fn tokens_for(app: &TestApp, secret: &str, scope: &str) -> Tokens {
    let request = AuthRequest::new("web").set("scope", scope);
    let code = code_for(app, &app.client, &request, "alice").await;
    token_ok(redeem(app, ClientAuth::Basic("web", secret), &code, None).await).await
}
