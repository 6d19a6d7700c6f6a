//! Point 9: `static/` is compiled into the binary. The server run from a
//! directory with no `static/` in it serves the stylesheet with its content
//! type and a validator; the bytes are in the binary itself.

use super::served::Served;
use crate::helpers::{TestEnv, gatehouse_bin};

const CSS: &str = include_str!("../../../static/gatehouse.css");

#[tokio::test]
async fn the_stylesheet_is_served_from_the_binary_wherever_it_runs() {
    let env = TestEnv::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let served = Served::start(&env, elsewhere.path());
    let client = reqwest::Client::new();
    let url = format!("{}/static/gatehouse.css", served.address);

    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/css; charset=utf-8");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let cache = headers["cache-control"].to_str().unwrap();
    assert!(cache.starts_with("public"), "{cache}");
    assert_eq!(response.text().await.unwrap(), CSS);

    // Revalidation costs no body.
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());

    // HEAD, and an unknown file.
    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let missing = client
        .get(format!("{}/static/missing.css", served.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // Not read from beside the source tree at run time: in the binary.
    let binary = std::fs::read(gatehouse_bin()).unwrap();
    let needle = CSS.as_bytes();
    assert!(
        binary.windows(needle.len()).any(|window| window == needle),
        "static/gatehouse.css is not compiled into {}",
        gatehouse_bin()
    );
}
