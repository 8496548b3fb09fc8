//! With an https `BASE_URL`: browsers are told to stay on https, the session cookie is a
//! `__Host-` one, and the pages' policy lets them reach no WebSocket. Over http (development,
//! these tests' other apps) none of that applies.

use crate::helpers::{
    spawn_app, spawn_app_with, ServerProcess, TestDatabase, PRODUCTION, WEBHOOK_SECRET,
};

const HTTPS_BASE_URL: &str = "https://tollgate.test";

/// A production app (no development helpers, mail over SMTP) served over https.
async fn https_app() -> crate::helpers::TestApp {
    spawn_app_with(&[PRODUCTION, &[("BASE_URL", HTTPS_BASE_URL)]].concat()).await
}

/// The `Content-Security-Policy` of a page response.
fn policy(response: &reqwest::Response) -> String {
    response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_https_site_tells_browsers_to_use_nothing_but_https() {
    let app = https_app().await;

    for path in ["/", "/signin", "/healthz", "/no-such-page"] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=63072000; includeSubDomains",
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_site_over_plain_http_sends_no_strict_transport_security() {
    let app = spawn_app().await;

    let response = app.get("/signin").await;

    assert!(response
        .headers()
        .get("strict-transport-security")
        .is_none());
}

#[tokio::test]
async fn over_https_the_session_cookie_is_a_secure_host_cookie() {
    let app = https_app().await;

    let response = app.sign_up("ada@example.com").await;

    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap())
        .find(|value| value.contains("tollgate_session="))
        .expect("the session cookie is set");
    assert!(cookie.starts_with("__Host-tollgate_session="), "{cookie}");
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).skip(1).collect();
    assert!(attributes.contains(&"Secure"), "{cookie}");
    assert!(attributes.contains(&"Path=/"), "{cookie}");
    assert!(attributes.contains(&"HttpOnly"), "{cookie}");
    assert!(
        !attributes
            .iter()
            .any(|a| a.to_ascii_lowercase().starts_with("domain")),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_production_server_allows_no_websocket_even_when_started_under_cargo_leptos_watch() {
    let database = TestDatabase::create().await;
    let database_url = database.url().to_string();
    let vars = [
        ("DATABASE_URL", database_url.as_str()),
        ("BASE_URL", HTTPS_BASE_URL),
        ("STRIPE_API_BASE", "http://127.0.0.1:9"),
        ("STRIPE_SECRET_KEY", "sk_test_tollgate"),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("TRIAL_LEDGER_KEY", "a-32-character-test-trial-ledger-key"),
        ("LEPTOS_WATCH", "ON"),
    ];
    let server = ServerProcess::start(
        vars.iter()
            .chain(PRODUCTION)
            .map(|(name, value)| (name.to_string(), value.to_string())),
    )
    .await;

    let response = reqwest::get(server.url("/signin")).await.unwrap();

    let policy = policy(&response);
    assert!(policy.contains("connect-src 'self';"), "{policy}");
    assert!(
        !policy.contains("ws:") && !policy.contains("wss:"),
        "{policy}"
    );
}

#[tokio::test]
async fn in_development_under_cargo_leptos_watch_the_live_reload_socket_is_allowed() {
    let app = spawn_app_with(&[("LEPTOS_WATCH", "ON")]).await;

    let response = app.get("/signin").await;

    let policy = policy(&response);
    assert!(policy.contains("connect-src 'self' ws:;"), "{policy}");
}
