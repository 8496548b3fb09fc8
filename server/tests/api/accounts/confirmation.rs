//! Confirming the account's address: the link mailed at sign-up, asked for again from the account
//! page, and an email change, which confirms the new address by its own link.

use crate::helpers::{location, spawn_app, TestApp, PASSWORD};

/// Whether the account of `email` has its address confirmed.
async fn confirmed(app: &TestApp, email: &str) -> bool {
    sqlx::query_scalar("SELECT email_verified_at IS NOT NULL FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_link_mailed_at_sign_up_confirms_the_address_once() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    assert!(!confirmed(&app, "ada@example.com").await);

    let followed = app
        .confirm_address_with(&app.new_browser(), "ada@example.com", 1)
        .await;

    assert_eq!(location(&followed), "/account?notice=email-confirmed");
    assert!(confirmed(&app, "ada@example.com").await);
    let again = app
        .confirm_address_with(&app.client, "ada@example.com", 1)
        .await;
    assert_eq!(location(&again), "/account?notice=link-invalid", "used");
}

#[tokio::test]
async fn a_link_asked_for_again_replaces_the_first() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let resent = app.post_form("/api/resend_confirmation", &[]).await;
    assert_eq!(location(&resent), "/account?notice=confirmation-sent");

    let first = app
        .confirm_address_with(&app.client, "ada@example.com", 1)
        .await;
    assert_eq!(location(&first), "/account?notice=link-invalid", "replaced");
    assert!(!confirmed(&app, "ada@example.com").await);
    let second = app
        .confirm_address_with(&app.client, "ada@example.com", 2)
        .await;
    assert_eq!(location(&second), "/account?notice=email-confirmed");
}

#[tokio::test]
async fn an_email_change_confirms_the_new_address_and_the_old_address_link_confirms_nothing() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let asked = app
        .post_form(
            "/api/change_email",
            &[
                ("new_email", "ada@new.example"),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&asked), "/account?notice=email-sent");
    let link = crate::helpers::link_in(&app.mail_to("ada@new.example", 1).await.1);
    let changed = app.confirm_email_with(&app.client, &link).await;
    assert_eq!(location(&changed), "/account?notice=email-changed");
    assert!(
        confirmed(&app, "ada@new.example").await,
        "its link reached it"
    );
    sqlx::query("UPDATE users SET email_verified_at = NULL")
        .execute(&app.db)
        .await
        .unwrap();

    let old = app
        .confirm_address_with(&app.client, "ada@example.com", 1)
        .await;

    assert_eq!(location(&old), "/account?notice=link-invalid");
    assert!(!confirmed(&app, "ada@new.example").await);
}
