//! Browser sign-in (issue 3): the authorization code flow with PKCE, the
//! login and consent pages, ID and access tokens, userinfo. `flow` holds
//! the small helpers that walk the flow; each other file is one concern.

mod audience;
mod authorize_errors;
mod bounds;
mod client_ip;
mod consent_page;
mod flow;
mod login;
mod pkce;
mod prompt;
mod relying_party;
mod throttle;
mod token_errors;
mod tokens;
mod userinfo;
