//! `/account`: display name, email change, password change, deletion.

use crate::helpers::{form_error, link_in, location, spawn_app, PASSWORD};

#[tokio::test]
async fn the_account_page_sends_signed_out_visitors_to_sign_in_and_back() {
    let app = spawn_app().await;

    let response = app.get("/account").await;

    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/signin?next=/account");
}

#[tokio::test]
async fn pages_for_a_signed_in_user_are_not_cached() {
    let app = spawn_app().await;
    assert!(app.get("/").await.headers().get("cache-control").is_none());
    app.sign_up("ada@example.com").await;

    let response = app.get("/account").await;

    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn a_changed_display_name_shows_in_the_header_at_once() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let before = app.page("/").await;
    assert!(
        before.contains(">ada@example.com</li>"),
        "the email until a name is set"
    );

    let response = app
        .post_form(
            "/api/update_display_name",
            &[("display_name", " Countess Ada ")],
        )
        .await;

    assert_eq!(location(&response), "/account?notice=name-saved");
    let after = app.page("/").await;
    assert!(after.contains(">Countess Ada</li>"));
}

#[tokio::test]
async fn profile_changes_require_a_signed_in_user_inside_the_server_function() {
    let app = spawn_app().await;

    let response = app
        .post_form("/api/update_display_name", &[("display_name", "Mallory")])
        .await;

    let error = form_error(&response).expect("refused");
    assert_eq!(error["Form"], "Your session has ended. Sign in again.");
}

#[tokio::test]
async fn changing_the_email_mails_a_link_to_the_new_address_and_tells_the_old_one() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    let response = app
        .post_form(
            "/api/change_email",
            &[
                ("new_email", "Ada@New.example"),
                ("current_password", PASSWORD),
            ],
        )
        .await;

    assert_eq!(location(&response), "/account?notice=email-sent");
    let (subject, text, _) = app.mail_to("ada@new.example", 1).await;
    assert_eq!(subject, "Confirm your new Tollgate email address");
    let (notice, notice_text, _) = app.mail_to("ada@example.com", 1).await;
    assert_eq!(notice, "Your Tollgate email address is being changed");
    assert!(notice_text.contains("ada@new.example"));
    // Nothing changes until the link is followed.
    let page = app.account_page(&app.client).await.unwrap();
    assert!(page.contains("Signed in as ada@example.com"));

    // Opening the link changes nothing (mail scanners open links too).
    let opened = app.get(&link_in(&text)).await;
    assert_eq!(opened.status(), 200);
    assert_eq!(stored_email_of(&app).await, "ada@example.com");
    let confirmed = app.confirm_email_with(&app.client, &link_in(&text)).await;

    assert_eq!(location(&confirmed), "/account?notice=email-changed");
    let page = app.account_page(&app.client).await.unwrap();
    assert!(page.contains("Signed in as ada@new.example"));
    let signed_in = app
        .sign_in_with(&app.new_browser(), "ada@new.example", PASSWORD)
        .await;
    assert_eq!(location(&signed_in), "/account");
    // The link works once.
    let again = app.confirm_email_with(&app.client, &link_in(&text)).await;
    assert_eq!(location(&again), "/account?notice=link-invalid");
}

#[tokio::test]
async fn changing_the_email_needs_the_current_password_and_a_free_address() {
    let app = spawn_app().await;
    app.sign_up("grace@example.com").await;
    app.post_form("/api/sign_out", &[]).await;
    app.sign_up("ada@example.com").await;

    let wrong = app
        .post_form(
            "/api/change_email",
            &[
                ("new_email", "ada@new.example"),
                ("current_password", "wrong password"),
            ],
        )
        .await;
    let taken = app
        .post_form(
            "/api/change_email",
            &[
                ("new_email", "GRACE@example.com"),
                ("current_password", PASSWORD),
            ],
        )
        .await;

    assert_eq!(
        form_error(&wrong).unwrap()["Field"]["field"],
        "current_password"
    );
    assert_eq!(form_error(&taken).unwrap()["Field"]["field"], "new_email");
    assert_eq!(app.mail_count("ada@new.example").await, 0);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_other_devices_only() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let laptop = app.new_browser();
    app.sign_in_with(&laptop, "ada@example.com", PASSWORD).await;

    let wrong = app
        .post_form(
            "/api/change_password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "a new password"),
            ],
        )
        .await;
    assert_eq!(
        form_error(&wrong).unwrap()["Field"]["field"],
        "current_password"
    );

    let response = app
        .post_form(
            "/api/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new password"),
            ],
        )
        .await;

    assert_eq!(location(&response), "/account?notice=password-changed");
    assert!(
        app.account_page(&app.client).await.is_some(),
        "this device stays in"
    );
    assert!(
        app.account_page(&laptop).await.is_none(),
        "the other is signed out"
    );
    let new = app
        .sign_in_with(&app.new_browser(), "ada@example.com", "a new password")
        .await;
    assert_eq!(location(&new), "/account");
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_removes_the_data_and_sessions() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let laptop = app.new_browser();
    app.sign_in_with(&laptop, "ada@example.com", PASSWORD).await;
    app.post_form("/api/forgot_password", &[("email", "ada@example.com")])
        .await;
    app.mail_to("ada@example.com", 1).await;

    let wrong = app
        .post_form("/api/delete_account", &[("password", "not my password")])
        .await;
    assert_eq!(form_error(&wrong).unwrap()["Field"]["field"], "password");

    let response = app
        .post_form("/api/delete_account", &[("password", PASSWORD)])
        .await;

    assert_eq!(location(&response), "/?notice=account-deleted");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM auth_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!((users, tokens), (0, 0));
    assert!(app.account_page(&app.client).await.is_none());
    assert!(app.account_page(&laptop).await.is_none());
    let again = app
        .sign_in_with(&app.new_browser(), "ada@example.com", PASSWORD)
        .await;
    assert!(form_error(&again).is_some());
}

async fn stored_email_of(app: &crate::helpers::TestApp) -> String {
    sqlx::query_scalar("SELECT email FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap()
}
