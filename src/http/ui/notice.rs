//! Pages that say where to go: the landing page at `/`, `/login` opened
//! directly, and the end of the first-run setup.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;

use crate::app::AppState;
use crate::http::AppError;
use crate::routes;

pub struct Link {
    pub href: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub links: &'a [Link],
}

impl NoticePage<'_> {
    pub fn respond(&self, status: StatusCode) -> Result<HttpResponse, AppError> {
        let body = self.render().map_err(AppError::internal)?;
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body))
    }
}

/// The administration console, where an administrator signs in.
pub const CONSOLE: Link = Link {
    href: routes::ADMIN,
    label: "Administration console",
};

/// The account page, where anyone with an account can go: their password,
/// second factors, sessions and applications.
pub const ACCOUNT: Link = Link {
    href: routes::ACCOUNT,
    label: "Your account",
};

/// `/`: what this server is, and where its public parts are.
pub async fn landing(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let message = format!(
        "This is Gatehouse, the sign-in service (an OAuth 2.0 and OpenID Connect provider) at {}. \
         Applications send you here to sign in; open the application you want to use and sign in from there.",
        state.settings.issuer()
    );
    NoticePage {
        title: "Gatehouse",
        message: &message,
        links: &[
            Link {
                href: routes::DISCOVERY,
                label: "OpenID Connect discovery document",
            },
            Link {
                href: routes::JWKS,
                label: "Public signing keys (JWKS)",
            },
            ACCOUNT,
            CONSOLE,
        ],
    }
    .respond(StatusCode::OK)
}

/// `/login` with neither a pending request nor a page to return to: it was
/// opened directly (a bookmark, a typed address). Nothing has expired, but
/// the request lacks what the page needs: 400, with directions.
pub fn login_without_request() -> Result<HttpResponse, AppError> {
    NoticePage {
        title: "Sign in from your application",
        message: "Applications bring you to this page when you sign in to them. Open the application you want to use and sign in from there. To manage your password, sessions and applications, open your account; administrators sign in to the console.",
        links: &[ACCOUNT, CONSOLE],
    }
    .respond(StatusCode::BAD_REQUEST)
}
