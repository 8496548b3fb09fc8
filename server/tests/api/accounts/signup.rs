//! `/signup` and `POST /api/sign_up`.

use serde_json::json;

use crate::helpers::{form_error, location, spawn_app, PASSWORD};

#[tokio::test]
async fn signing_up_creates_the_account_signs_in_and_shows_the_name_in_the_header() {
    let app = spawn_app().await;

    let response = app
        .post_form(
            "/api/sign_up",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("display_name", "Ada"),
            ],
        )
        .await;

    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/account");
    let page = app.account_page(&app.client).await.expect("signed in");
    assert!(page.contains(">Ada</li>"), "the header shows the name");
    assert!(page.contains("Signed in as ada@example.com"));
}

#[tokio::test]
async fn emails_are_stored_trimmed_and_lower_cased() {
    let app = spawn_app().await;

    app.sign_up("  Grace.Hopper@Example.COM ").await;

    let stored: String = sqlx::query_scalar("SELECT email FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, "grace.hopper@example.com");
}

#[tokio::test]
async fn an_email_already_used_in_another_case_is_refused_on_the_email_field() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    let response = app
        .post_form_with(
            &app.new_browser(),
            "/api/sign_up",
            &[("email", "ADA@example.com"), ("password", PASSWORD)],
        )
        .await;

    assert_eq!(response.status(), 302, "back to the form");
    assert_eq!(
        form_error(&response),
        Some(json!({ "Field": {
            "field": "email",
            "message": "An account with this email already exists."
        }}))
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn passwords_must_be_8_to_128_characters() {
    let app = spawn_app().await;
    let too_long = "x".repeat(129);

    for password in ["short", too_long.as_str()] {
        let response = app
            .post_form(
                "/api/sign_up",
                &[("email", "ada@example.com"), ("password", password)],
            )
            .await;
        let error = form_error(&response).expect("a form error");
        assert_eq!(error["Field"]["field"], "password", "{error}");
    }
    let longest = "x".repeat(128);
    let response = app
        .post_form(
            "/api/sign_up",
            &[("email", "ada@example.com"), ("password", &longest)],
        )
        .await;
    assert_eq!(location(&response), "/account");
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_with_owasp_parameters() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();

    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn the_password_hash_never_appears_in_a_page() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();

    for path in ["/", "/account"] {
        let html = app.page(path).await;
        assert!(!html.contains("$argon2"), "{path}");
        assert!(!html.contains(&hash), "{path}");
    }
}

#[tokio::test]
async fn the_signup_page_works_without_javascript_with_labels_and_autocomplete() {
    let app = spawn_app().await;

    let html = app.page("/signup").await;

    assert!(
        html.contains(r#"<form action="/api/sign_up" method="post">"#),
        "{html}"
    );
    assert!(html.contains(r#"<label for="signup-email">Email</label>"#));
    assert!(html.contains(r#"autocomplete="email""#));
    assert!(html.contains(r#"autocomplete="new-password""#));
}

#[tokio::test]
async fn a_field_error_comes_back_inline_on_the_page() {
    let app = spawn_app().await;
    let response = app
        .post_form(
            "/api/sign_up",
            &[("email", "not-an-email"), ("password", PASSWORD)],
        )
        .await;
    // The browser follows the redirect back to the form, which renders the error.
    let back = location(&response).replace("/form?", "/signup?");
    let back = back.trim_start_matches(&app.base_url);

    let html = app.page(back).await;

    assert!(
        html.contains("Enter an email address like name@example.com."),
        "{html}"
    );
    assert!(html.contains(r#"aria-invalid="true""#));
}
