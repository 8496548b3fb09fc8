//! Server-rendered pages through the real router.

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_home_page_is_server_rendered_with_the_layout_and_hydration_script() {
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
        html.contains(r#"<nav aria-label="Main""#),
        "header navigation"
    );
    assert!(html.contains("site-footer"), "footer");
    assert!(html.contains("<title>Tollgate</title>"), "title");
    // The islands loader imports the bundle and hydrates each <leptos-island>.
    assert!(html.contains("/pkg/tollgate.js"), "hydration script");
    assert!(
        html.contains("<leptos-island"),
        "the navigation is an island"
    );
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
