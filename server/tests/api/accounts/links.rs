//! Mailed links (password reset, email change): what revokes them, and their clean-up.

use std::time::Duration;

use crate::helpers::{link_in, location, spawn_app, spawn_app_with, TestApp, PASSWORD};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Asks (as the signed-in `app.client`) to move the account to `new_email`, and returns the
/// `n`th confirmation link mailed there.
async fn email_change_link(app: &TestApp, new_email: &str, n: usize) -> String {
    let response = app
        .post_form(
            "/api/change_email",
            &[("new_email", new_email), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&response), "/account?notice=email-sent");
    link_in(&app.mail_to(new_email, n).await.1)
}

/// Follows a confirmation link from a browser that is not signed in; returns the redirect target.
async fn follow(app: &TestApp, link: &str) -> String {
    location(&app.confirm_email_with(&app.new_browser(), link).await)
}

/// Asks, from another browser, for a password reset for ada@example.com; returns the mailed link.
async fn reset_link(app: &TestApp) -> String {
    app.post_form_with(
        &app.new_browser(),
        "/api/forgot_password",
        &[("email", "ada@example.com")],
    )
    .await;
    link_in(&app.mail_to("ada@example.com", 1).await.1)
}

async fn stored_email(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT email FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_email_change_link_dies_when_the_password_is_changed() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let link = email_change_link(&app, "mallory@evil.example", 1).await;

    let changed = app
        .post_form(
            "/api/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&changed), "/account?notice=password-changed");

    assert_eq!(follow(&app, &link).await, "/account?notice=link-invalid");
    assert_eq!(stored_email(&app).await, "ada@example.com");
}

#[tokio::test]
async fn an_email_change_link_dies_when_the_password_is_reset() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let reset_link = reset_link(&app).await;
    let link = email_change_link(&app, "mallory@evil.example", 1).await;
    let token = reset_link.split("token=").nth(1).unwrap();

    let reset = app
        .post_form_with(
            &app.new_browser(),
            "/api/reset_password",
            &[("token", token), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(location(&reset), "/signin?notice=password-reset");

    assert_eq!(follow(&app, &link).await, "/account?notice=link-invalid");
    assert_eq!(stored_email(&app).await, "ada@example.com");
}

#[tokio::test]
async fn an_email_change_link_dies_after_sign_out_everywhere() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let link = email_change_link(&app, "mallory@evil.example", 1).await;

    let response = app.post_form("/api/sign_out_everywhere", &[]).await;
    assert_eq!(location(&response), "/signin?notice=signed-out-everywhere");

    assert_eq!(follow(&app, &link).await, "/account?notice=link-invalid");
    assert_eq!(stored_email(&app).await, "ada@example.com");
}

#[tokio::test]
async fn a_reset_link_dies_when_the_password_is_changed() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let reset_link = reset_link(&app).await;
    let token = reset_link.split("token=").nth(1).unwrap();
    app.post_form(
        "/api/change_password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
        ],
    )
    .await;

    let reset = app
        .post_form_with(
            &app.new_browser(),
            "/api/reset_password",
            &[("token", token), ("password", "the attacker's choice")],
        )
        .await;

    assert_ne!(location(&reset), "/signin?notice=password-reset");
    let signed_in = app
        .sign_in_with(&app.new_browser(), "ada@example.com", NEW_PASSWORD)
        .await;
    assert_eq!(location(&signed_in), "/account");
}

#[tokio::test]
async fn only_the_newest_email_change_link_works() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let first = email_change_link(&app, "ada@old-plan.example", 1).await;
    let newest = email_change_link(&app, "ada@new.example", 1).await;

    assert_eq!(follow(&app, &first).await, "/account?notice=link-invalid");
    assert_eq!(follow(&app, &newest).await, "/account?notice=email-changed");
    assert_eq!(stored_email(&app).await, "ada@new.example");
}

#[tokio::test]
async fn confirming_an_email_change_signs_out_other_devices_but_not_this_one() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let laptop = app.new_browser();
    app.sign_in_with(&laptop, "ada@example.com", PASSWORD).await;
    let link = email_change_link(&app, "ada@new.example", 1).await;

    let confirmed = app.confirm_email_with(&app.client, &link).await;

    assert_eq!(location(&confirmed), "/account?notice=email-changed");
    assert!(app.account_page(&laptop).await.is_none());
    let page = app
        .account_page(&app.client)
        .await
        .expect("still signed in");
    assert!(page.contains("Signed in as ada@new.example"));
}

#[tokio::test]
async fn tokens_expired_over_a_day_ago_are_deleted_periodically() {
    let app = spawn_app_with(&[("SESSION_CLEANUP_INTERVAL_SECONDS", "1")]).await;
    app.sign_up("ada@example.com").await;
    sqlx::query(
        "INSERT INTO auth_tokens (token_hash, user_id, purpose, expires_at)
         SELECT '\\x01'::bytea, id, 'password_reset', now() - interval '25 hours' FROM users
         UNION ALL
         SELECT '\\x02', id, 'password_reset', now() - interval '23 hours' FROM users
         UNION ALL
         SELECT '\\x03', id, 'password_reset', now() + interval '1 hour' FROM users",
    )
    .execute(&app.db)
    .await
    .unwrap();

    let mut remaining = Vec::new();
    for _ in 0..50 {
        remaining = sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT token_hash FROM auth_tokens WHERE purpose = 'password_reset' ORDER BY token_hash",
        )
        .fetch_all(&app.db)
        .await
        .unwrap();
        if remaining.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(remaining, [vec![2u8], vec![3u8]]);
}
