//! Signed-in pages kept in memory (`SIGNED_IN_PAGE_CACHE_SECONDS`): served again to the same
//! session until anything about the account changes — here, on another replica, or behind the
//! app's back — and never to anyone else.

use std::time::{Duration, Instant};

use crate::helpers::{spawn_app_with, without_markers, TestApp, PASSWORD};

/// Long enough that only an announced change, never the time limit, can end a kept page here.
const KEPT: (&str, &str) = ("SIGNED_IN_PAGE_CACHE_SECONDS", "600");

/// How long a change may take to reach a replica before a test gives up (it takes milliseconds).
const ARRIVAL: Duration = Duration::from_secs(20);

fn x_cache(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("x-cache")
        .map(|value| value.to_str().unwrap().to_owned())
}

fn nonce(response: &reqwest::Response) -> String {
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    csp.split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {csp}"))
        .to_owned()
}

/// `GET url` with `client` until `done` holds for the answer; panics after [`ARRIVAL`].
async fn until(
    client: &reqwest::Client,
    url: &str,
    done: impl Fn(u16, &str) -> bool,
) -> (Option<String>, String) {
    let started = Instant::now();
    loop {
        let response = client.get(url).send().await.expect("request failed");
        let status = response.status().as_u16();
        let cache = x_cache(&response);
        let page = without_markers(response.text().await.unwrap());
        if done(status, &page) {
            return (cache, page);
        }
        assert!(
            started.elapsed() < ARRIVAL,
            "{url} still answers {status} ({cache:?}) after {ARRIVAL:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn signed_up(app: &TestApp) {
    app.sign_up("ada@example.com").await;
}

/// `GET url` with `client` until the answer is a kept page (the first render is kept once the
/// announcements of the writes before it, such as signing in, have arrived); that answer.
async fn kept(client: &reqwest::Client, url: &str) -> reqwest::Response {
    let started = Instant::now();
    loop {
        let response = client.get(url).send().await.expect("request failed");
        assert_eq!(response.status(), 200, "{url}");
        if x_cache(&response).as_deref() == Some("hit") {
            return response;
        }
        assert!(started.elapsed() < ARRIVAL, "{url} is never kept");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_signed_in_page_is_served_again_until_the_account_changes_behind_the_apps_back() {
    let app = spawn_app_with(&[KEPT]).await;
    signed_up(&app).await;

    let first = app.get("/account").await;
    assert_eq!(x_cache(&first).as_deref(), Some("miss"));
    let first = kept(&app.client, &app.url("/account")).await;
    let second = kept(&app.client, &app.url("/account")).await;

    assert_ne!(
        nonce(&first),
        nonce(&second),
        "each answer has its own nonce"
    );
    assert_eq!(second.headers()["cache-control"], "no-store");
    let (first, second) = (first.text().await.unwrap(), second.text().await.unwrap());
    assert_eq!(first.len(), second.len(), "the same page");

    // A change no request of this app made: only the announcement can tell the app.
    sqlx::query("UPDATE users SET display_name = 'Countess'")
        .execute(&app.db)
        .await
        .unwrap();
    let (cache, page) = until(&app.client, &app.url("/account"), |_, page| {
        page.contains("Countess")
    })
    .await;
    assert_eq!(cache.as_deref(), Some("miss"), "{page}");
}

#[tokio::test]
async fn a_kept_page_is_never_served_to_another_session_of_the_same_account() {
    let app = spawn_app_with(&[KEPT]).await;
    signed_up(&app).await;
    kept(&app.client, &app.url("/account")).await;

    let laptop = app.new_browser();
    app.sign_in_with(&laptop, "ada@example.com", PASSWORD).await;
    let other = app.get_with(&laptop, "/account").await;

    assert_eq!(other.status(), 200);
    assert_eq!(x_cache(&other).as_deref(), Some("miss"));
    // Only pages answered 200 are kept: the locked dashboard (402) is rendered each time.
    for _ in 0..2 {
        let locked = app.get("/dashboard").await;
        assert_eq!(locked.status(), 402);
        assert_eq!(x_cache(&locked), None);
    }
    // And a visitor with no session is sent to sign in, not shown anyone's page.
    let visitor = app.get_with(&app.new_browser(), "/account").await;
    assert_eq!(visitor.status(), 302);
}

#[tokio::test]
async fn what_a_signed_in_user_does_is_never_answered_from_before_it() {
    let app = spawn_app_with(&[KEPT]).await;
    signed_up(&app).await;
    kept(&app.client, &app.url("/account")).await;

    app.post_form("/api/update_display_name", &[("display_name", "Countess")])
        .await;
    let after = app.get("/account").await;

    // At once: marked changed on this replica when the form was answered.
    assert_eq!(x_cache(&after).as_deref(), Some("miss"));
    assert!(after.text().await.unwrap().contains("Countess"));

    app.post_form("/api/sign_out", &[]).await;
    assert_eq!(app.get("/account").await.status(), 302);
}

#[tokio::test]
async fn signing_out_everywhere_on_one_replica_ends_the_pages_another_replica_kept() {
    let app = spawn_app_with(&[KEPT]).await;
    let replica = app.replica().await;
    signed_up(&app).await;
    let laptop = app.new_browser();
    app.sign_in_with(&laptop, "ada@example.com", PASSWORD).await;
    kept(&laptop, &replica.url("/account")).await;

    let response = app.post_form("/api/sign_out_everywhere", &[]).await;
    assert_eq!(response.status(), 302);

    let (cache, _) = until(&laptop, &replica.url("/account"), |status, _| status == 302).await;
    assert_eq!(cache, None, "the sign-in redirect is never kept");
}

#[tokio::test]
async fn with_the_cache_off_every_signed_in_page_is_rendered() {
    let app = spawn_app_with(&[("SIGNED_IN_PAGE_CACHE_SECONDS", "0")]).await;
    signed_up(&app).await;
    for _ in 0..2 {
        let response = app.get("/account").await;
        assert_eq!(response.status(), 200);
        assert_eq!(x_cache(&response), None);
    }
}
