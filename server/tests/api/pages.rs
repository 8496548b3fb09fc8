//! Server-rendered pages through the real router.

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_home_page_is_server_rendered_with_the_layout_and_nothing_to_hydrate() {
    let app = spawn_app().await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Subscriptions for your Rust product"),
        "hero heading"
    );
    assert!(
        html.contains(r#"<nav aria-label="Main" class="site-nav">"#),
        "header navigation"
    );
    assert!(html.contains("site-footer"), "footer");
    assert!(html.contains("<title>Tollgate</title>"), "title");
    // The menu is a <details> disclosure: nothing to hydrate, so no bundle, no island, no
    // hydration markers.
    assert!(
        html.contains(r#"<details class="site-nav__menu">"#),
        "the menu works without JavaScript"
    );
    for script in [
        "/pkg/tollgate.js",
        ".wasm",
        "<leptos-island",
        "modulepreload",
    ] {
        assert!(!html.contains(script), "{script} on a page with no island");
    }
}

#[tokio::test]
async fn no_page_loads_the_wasm_bundle_or_its_loader() {
    let app = spawn_app().await;

    for path in ["/", "/pricing", "/signin", "/signup", "/forgot-password"] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(!html.contains(".wasm"), "{path} preloads the WASM bundle");
        assert!(
            !html.contains("/pkg/tollgate.js"),
            "{path} imports the bundle"
        );
        assert!(
            !html.contains(r#"<script type="module""#),
            "{path} has a loader"
        );
    }
}

#[tokio::test]
async fn an_unknown_path_answers_404_with_the_not_found_page() {
    let app = spawn_app().await;

    let response = app.get("/definitely/not/here").await;

    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn pages_are_sent_compressed_to_browsers_that_accept_it() {
    let app = spawn_app().await;

    for encoding in ["br", "gzip"] {
        let response = app.get_encoded("/", encoding).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], encoding);
    }
}
