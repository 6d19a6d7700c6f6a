//! CORS for browser apps calling `/token` and `/userinfo`: any origin, no
//! credentials (cookies are never needed there).

use actix_web::{HttpResponse, HttpResponseBuilder, http::header};

pub fn allow_any_origin(builder: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    builder.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
}

pub async fn preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Content-Type",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        .finish()
}
