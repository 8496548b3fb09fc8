//! Sessions: cookie attributes, sign out (this device / everywhere), idle and absolute expiry,
//! clean-up of expired rows.

use std::time::Duration;

use super::signin::{session_cookie, status_with_cookie};
use crate::helpers::{location, spawn_app, spawn_app_with, PASSWORD};

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;

    let response = app.sign_up("ada@example.com").await;

    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.starts_with("tollgate_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "plain http in tests: {set_cookie}"
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_site_is_served_over_https() {
    let app = spawn_app_with(&[("BASE_URL", "https://tollgate.test")]).await;

    let response = app.sign_up("ada@example.com").await;

    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server_not_just_the_cookie() {
    let app = spawn_app().await;
    let cookie = session_cookie(&app.sign_up("ada@example.com").await);

    let response = app.post_form("/api/sign_out", &[]).await;

    assert_eq!(location(&response), "/");
    assert!(app.account_page(&app.client).await.is_none());
    assert_eq!(
        status_with_cookie(&app, &cookie).await,
        302,
        "replayed cookie"
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_the_sessions_of_every_device() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let laptop = app.new_browser();
    app.sign_in_with(&laptop, "ada@example.com", PASSWORD).await;
    assert!(app.account_page(&laptop).await.is_some());

    let response = app.post_form("/api/sign_out_everywhere", &[]).await;

    assert_eq!(location(&response), "/signin?notice=signed-out-everywhere");
    assert!(app.account_page(&app.client).await.is_none());
    assert!(app.account_page(&laptop).await.is_none());
    // Signing in again works.
    app.sign_in_with(&laptop, "ada@example.com", PASSWORD).await;
    assert!(app.account_page(&laptop).await.is_some());
}

#[tokio::test]
async fn a_session_unused_for_the_idle_timeout_ends() {
    let app = spawn_app_with(&[("SESSION_IDLE_TIMEOUT_SECONDS", "1")]).await;
    app.sign_up("ada@example.com").await;
    assert!(app.account_page(&app.client).await.is_some());

    tokio::time::sleep(Duration::from_millis(2100)).await;

    assert!(app.account_page(&app.client).await.is_none());
}

#[tokio::test]
async fn a_session_in_use_outlives_the_idle_timeout() {
    let app = spawn_app_with(&[("SESSION_IDLE_TIMEOUT_SECONDS", "2")]).await;
    app.sign_up("ada@example.com").await;

    // 3.5 s in all, never 2 s without a request.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert!(app.account_page(&app.client).await.is_some());
    }
}

/// The signed-in session's expiry as stored.
async fn stored_expiry(app: &crate::helpers::TestApp) -> time::OffsetDateTime {
    sqlx::query_scalar("SELECT expiry_date FROM tower_sessions.session")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_busy_session_is_not_written_on_every_request() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    app.account_page(&app.client).await.unwrap();
    let renewed = stored_expiry(&app).await;

    for _ in 0..5 {
        assert!(app.account_page(&app.client).await.is_some());
    }

    // With a day's idle timeout it is renewed at most once a minute.
    assert_eq!(stored_expiry(&app).await, renewed);
}

#[tokio::test]
async fn anonymous_visits_store_no_session() {
    let app = spawn_app().await;

    let response = app.get("/").await;

    assert!(response.headers().get("set-cookie").is_none());
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn a_session_older_than_the_absolute_timeout_ends_even_while_in_use() {
    let app = spawn_app_with(&[
        ("SESSION_IDLE_TIMEOUT_SECONDS", "2"),
        ("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "2"),
    ])
    .await;
    app.sign_up("ada@example.com").await;

    // Kept busy, so the idle timeout never applies.
    for _ in 0..3 {
        assert!(app.account_page(&app.client).await.is_some());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(1600)).await;

    assert!(app.account_page(&app.client).await.is_none());
}

#[tokio::test]
async fn expired_sessions_are_deleted_periodically() {
    let app = spawn_app_with(&[("SESSION_CLEANUP_INTERVAL_SECONDS", "1")]).await;
    sqlx::query(
        "INSERT INTO tower_sessions.session (id, data, expiry_date)
         VALUES ('expired', '\\x80', now() - interval '1 minute'),
                ('current', '\\x80', now() + interval '1 hour')",
    )
    .execute(&app.db)
    .await
    .unwrap();

    let mut remaining = Vec::new();
    for _ in 0..50 {
        remaining = sqlx::query_scalar::<_, String>("SELECT id FROM tower_sessions.session")
            .fetch_all(&app.db)
            .await
            .unwrap();
        if remaining == ["current"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(remaining, ["current"]);
}
