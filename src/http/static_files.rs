//! `/static/…`: the files of `static/`, compiled into the binary, so that a
//! binary copied anywhere (or run from any directory) serves styled pages.
//! Each answer carries its content type and an ETag (a hash of the bytes):
//! browsers keep the file and revalidate it with a cheap 304, and see a new
//! version at once after an upgrade, without hashed file names.

use std::sync::LazyLock;

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderValue},
    web,
};

use crate::crypto::random;

struct StaticFile {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// Every file under `static/` (a unit test keeps this list complete).
const FILES: &[StaticFile] = &[
    StaticFile {
        name: "gatehouse.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/gatehouse.css"),
    },
    StaticFile {
        name: "passkeys.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/passkeys.js"),
    },
];

/// Revalidate on every use: the ETag makes that a 304 without a body.
const CACHE_CONTROL: &str = "public, no-cache";

/// Strong ETags, computed once: `"` + 128 bits of the SHA-256 + `"`.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|file| {
            let digest = random::sha256(file.bytes);
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!("\"{hex}\"")
        })
        .collect()
});

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(format!("{}/{{name}}", crate::routes::STATIC))
            .route(web::get().to(serve))
            .route(web::head().to(serve)),
    );
}

async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(index) = FILES.iter().position(|file| file.name == name.as_str()) else {
        return super::server::not_found().await;
    };
    let (file, etag) = (&FILES[index], &ETAGS[index]);
    let caching = [
        (header::ETAG, etag.as_str()),
        (header::CACHE_CONTROL, CACHE_CONTROL),
    ];
    if matches_etag(&req, etag) {
        let mut response = HttpResponse::NotModified();
        for header in caching {
            response.insert_header(header);
        }
        return response.finish();
    }
    let mut response = HttpResponse::Ok();
    for header in caching {
        response.insert_header(header);
    }
    response
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(file.content_type),
        ))
        .body(file.bytes)
}

/// `If-None-Match` names this ETag (or is `*`), in any of its listed values.
fn matches_etag(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|candidate| candidate.trim().trim_start_matches("W/"))
        .any(|candidate| candidate == etag || candidate == "*")
}

#[cfg(test)]
mod tests {
    use super::FILES;

    #[test]
    fn every_file_under_static_is_compiled_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut compiled: Vec<String> = FILES.iter().map(|f| f.name.to_owned()).collect();
        compiled.sort();
        assert_eq!(
            on_disk, compiled,
            "add the file to FILES in static_files.rs"
        );
    }
}
