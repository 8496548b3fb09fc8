//! `/pkg`: precompressed variants chosen by `Accept-Encoding`, cached for a year.

use crate::helpers::spawn_app;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[tokio::test]
async fn pkg_files_are_sent_precompressed_when_the_browser_accepts_it() {
    let app = spawn_app().await;
    let pkg = app.site_root().join("pkg");
    std::fs::write(pkg.join("tollgate.abc123.wasm"), b"plain wasm").unwrap();
    std::fs::write(pkg.join("tollgate.abc123.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(pkg.join("tollgate.abc123.wasm.gz"), b"gzip bytes").unwrap();

    for (accept, encoding, body) in [
        ("br, gzip", Some("br"), "brotli bytes"),
        ("gzip", Some("gzip"), "gzip bytes"),
        ("identity", None, "plain wasm"),
    ] {
        let response = app.get_encoded("/pkg/tollgate.abc123.wasm", accept).await;
        assert_eq!(response.status(), 200, "Accept-Encoding: {accept}");
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            encoding,
            "Accept-Encoding: {accept}"
        );
        assert_eq!(response.headers()["cache-control"], IMMUTABLE);
        assert_eq!(response.headers()["content-type"], "application/wasm");
        assert_eq!(response.bytes().await.unwrap(), body.as_bytes());
    }
}

#[tokio::test]
async fn a_missing_pkg_file_is_a_404_that_is_not_cached() {
    let app = spawn_app().await;

    let response = app.get("/pkg/tollgate.nothere.js").await;

    assert_eq!(response.status(), 404);
    assert!(response.headers().get("cache-control").is_none());
}
