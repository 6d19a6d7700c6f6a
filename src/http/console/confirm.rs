//! The confirmation page a deletion goes through: what it will do, one
//! button that does it (a POST with the CSRF token and `confirm=yes`), and
//! a way back.

use askama::Template;

use super::navigation::ConsolePage;

#[derive(Template)]
#[template(path = "admin/confirm.html")]
pub struct ConfirmPage<'a> {
    pub nav: Vec<&'static ConsolePage>,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub csrf_token: &'a str,
    pub title: String,
    pub consequences: Vec<String>,
    /// Where the button posts.
    pub action: String,
    pub button: String,
    /// Where "Cancel" leads.
    pub cancel: String,
}
