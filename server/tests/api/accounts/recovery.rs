//! Forgot password and reset by emailed token.

use sha2::{Digest, Sha256};

use crate::helpers::{form_error, link_in, location, spawn_app, PASSWORD};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Requests a reset for `email` and returns the `/reset-password?token=…` link mailed to it.
async fn reset_link(app: &crate::helpers::TestApp, email: &str, n: usize) -> String {
    let response = app
        .post_form_with(
            &app.new_browser(),
            "/api/forgot_password",
            &[("email", email)],
        )
        .await;
    assert_eq!(location(&response), "/forgot-password?sent=1");
    let (subject, text, html) = app.mail_to(email, n).await;
    assert_eq!(subject, "Reset your Tollgate password");
    let link = link_in(&text);
    assert!(link.starts_with("/reset-password?token="), "{link}");
    assert!(
        html.contains(&format!("{}{link}", app.base_url)),
        "the HTML body links too"
    );
    link
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_owned()
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let link = reset_link(&app, "ada@example.com", 1).await;

    let page = app.page(&link).await;
    assert!(page.contains("Choose a new password"));
    let response = app
        .post_form_with(
            &app.new_browser(),
            "/api/reset_password",
            &[("token", &token_of(&link)), ("password", NEW_PASSWORD)],
        )
        .await;

    assert_eq!(location(&response), "/signin?notice=password-reset");
    let old = app
        .sign_in_with(&app.new_browser(), "ada@example.com", PASSWORD)
        .await;
    assert!(form_error(&old).is_some(), "the old password is refused");
    let new = app
        .sign_in_with(&app.new_browser(), "ada@example.com", NEW_PASSWORD)
        .await;
    assert_eq!(location(&new), "/account");
}

#[tokio::test]
async fn an_earlier_reset_link_is_refused_once_a_newer_one_is_sent() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let earlier = token_of(&reset_link(&app, "ada@example.com", 1).await);
    let newer = token_of(&reset_link(&app, "ada@example.com", 2).await);

    let with_earlier = app
        .post_form_with(
            &app.new_browser(),
            "/api/reset_password",
            &[("token", &earlier), ("password", NEW_PASSWORD)],
        )
        .await;
    let with_newer = app
        .post_form_with(
            &app.new_browser(),
            "/api/reset_password",
            &[("token", &newer), ("password", NEW_PASSWORD)],
        )
        .await;

    let error = form_error(&with_earlier).expect("the earlier link is refused");
    assert!(
        error["Form"].as_str().unwrap().contains("invalid"),
        "{error}"
    );
    assert_eq!(location(&with_newer), "/signin?notice=password-reset");
}

#[tokio::test]
async fn a_reset_token_works_only_once() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let token = token_of(&reset_link(&app, "ada@example.com", 1).await);
    let reset = |password: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            app.post_form_with(
                &app.new_browser(),
                "/api/reset_password",
                &[("token", &token), ("password", password)],
            )
            .await
        }
    };

    assert_eq!(
        location(&reset(NEW_PASSWORD).await),
        "/signin?notice=password-reset"
    );
    let again = reset("yet another password").await;

    let error = form_error(&again).expect("refused");
    assert!(
        error["Form"].as_str().unwrap().contains("invalid"),
        "{error}"
    );
}

#[tokio::test]
async fn an_expired_reset_token_is_refused() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let token = token_of(&reset_link(&app, "ada@example.com", 1).await);
    sqlx::query("UPDATE auth_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();

    let response = app
        .post_form(
            "/api/reset_password",
            &[("token", &token), ("password", NEW_PASSWORD)],
        )
        .await;

    assert!(form_error(&response).is_some());
}

#[tokio::test]
async fn reset_tokens_expire_after_an_hour_and_are_stored_only_as_a_hash() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let token = token_of(&reset_link(&app, "ada@example.com", 1).await);

    let (hash, lifetime): (Vec<u8>, f64) = sqlx::query_as(
        "SELECT token_hash, extract(epoch FROM expires_at - created_at)::float8 FROM auth_tokens \
         WHERE purpose = 'password_reset'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();

    assert_eq!(hash, Sha256::digest(token.as_bytes()).to_vec());
    // Exactly: the expiry comes from the database clock that redeeming compares against, not
    // from the app's.
    assert_eq!(lifetime, 3600.0);
}

#[tokio::test]
async fn resetting_the_password_signs_out_every_session() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let token = token_of(&reset_link(&app, "ada@example.com", 1).await);

    app.post_form_with(
        &app.new_browser(),
        "/api/reset_password",
        &[("token", &token), ("password", NEW_PASSWORD)],
    )
    .await;

    assert!(app.account_page(&app.client).await.is_none());
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_an_unknown_email_and_sends_nothing() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    let known = app
        .post_form("/api/forgot_password", &[("email", "ada@example.com")])
        .await;
    let unknown = app
        .post_form("/api/forgot_password", &[("email", "nobody@example.com")])
        .await;

    assert_eq!(known.status(), unknown.status());
    assert_eq!(location(&known), location(&unknown));
    app.mail_to("ada@example.com", 1).await;
    assert_eq!(app.mail_count("nobody@example.com").await, 0);
}

#[tokio::test]
async fn forgot_password_takes_no_longer_for_a_known_email_than_for_an_unknown_one() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let time = |email: &'static str| {
        let app = &app;
        async move {
            let started = std::time::Instant::now();
            app.post_form("/api/forgot_password", &[("email", email)])
                .await;
            started.elapsed()
        }
    };

    let mut known = std::time::Duration::MAX;
    let mut unknown = std::time::Duration::MAX;
    for _ in 0..5 {
        known = known.min(time("ada@example.com").await);
        unknown = unknown.min(time("nobody@example.com").await);
    }

    // The lookup, token and mail happen after the answer, so both do the same work in-request.
    assert!(
        known <= unknown * 3 + std::time::Duration::from_millis(10),
        "known {known:?} vs unknown {unknown:?}"
    );
}

#[tokio::test]
async fn a_broken_token_table_changes_no_answer_and_leaks_nothing() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    sqlx::query("DROP TABLE auth_tokens")
        .execute(&app.db)
        .await
        .unwrap();

    // Forgot-password still answers as always (the failure is logged, no mail goes out)…
    let forgot = app
        .post_form("/api/forgot_password", &[("email", "ada@example.com")])
        .await;
    assert_eq!(location(&forgot), "/forgot-password?sent=1");
    // …and a reset fails with a generic sentence, not the database's words.
    let reset = app
        .post_form(
            "/api/reset_password",
            &[("token", "whatever"), ("password", NEW_PASSWORD)],
        )
        .await;

    let error = form_error(&reset).expect("an error comes back");
    let message = error["Form"].as_str().unwrap();
    assert!(
        message.starts_with("Something went wrong on our side"),
        "{message}"
    );
    assert!(!error.to_string().contains("auth_tokens"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail_count("ada@example.com").await, 0);
}
