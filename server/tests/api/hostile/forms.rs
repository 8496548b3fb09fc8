//! Form values an attacker (or a confused browser) sends: overlong fields, bytes that are not
//! UTF-8, SQL metacharacters, markup. Each gets a form error or is kept as plain text; nothing
//! is half-changed, and what is shown back is escaped.

use serde_json::Value;

use super::{still_serving, users};
use crate::helpers::{form_error, location, spawn_app, TestApp, PASSWORD};

/// A display name of 81 characters (the limit is 80).
fn overlong_name() -> String {
    "n".repeat(81)
}

/// An address of 255 characters (the limit is 254).
fn overlong_email() -> String {
    format!("{}@example.com", "a".repeat(255 - "@example.com".len()))
}

/// The field a form error is about.
fn field_of(error: Option<Value>) -> String {
    let error = error.expect("a form error");
    error["Field"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("not a field error: {error}"))
        .to_owned()
}

/// `(email, display_name)` of the only account.
async fn stored_user(app: &TestApp) -> (String, Option<String>) {
    sqlx::query_as("SELECT email, display_name FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// POSTs `body` as it is (already urlencoded, or not) to a server function, as a form.
async fn post_raw(app: &TestApp, path: &str, body: &'static [u8]) -> reqwest::Response {
    post_raw_as(app, path, "application/x-www-form-urlencoded", body).await
}

/// As [`post_raw`], claiming `content_type`.
async fn post_raw_as(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: &'static [u8],
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("origin", &app.base_url)
        .header("referer", format!("{}/signup", app.base_url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the app answers")
}

#[tokio::test]
async fn an_overlong_name_email_or_password_at_sign_up_gets_a_field_error_and_no_account() {
    let app = spawn_app().await;
    let (name, email, password) = (overlong_name(), overlong_email(), "p".repeat(129));

    for (field, form) in [
        (
            "display_name",
            [
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("display_name", name.as_str()),
            ],
        ),
        (
            "email",
            [
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("display_name", ""),
            ],
        ),
        (
            "password",
            [
                ("email", "ada@example.com"),
                ("password", password.as_str()),
                ("display_name", ""),
            ],
        ),
    ] {
        let response = app.post_form("/api/sign_up", &form).await;

        assert_eq!(response.status(), 302, "back to the form");
        assert_eq!(field_of(form_error(&response)), field);
    }
    assert_eq!(users(&app).await, 0);
}

#[tokio::test]
async fn overlong_values_on_the_account_page_get_a_field_error_and_change_nothing() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let (name, email, password) = (overlong_name(), overlong_email(), "p".repeat(129));

    let cases = [
        (
            "/api/update_display_name",
            vec![("display_name", name.as_str())],
            "display_name",
        ),
        (
            "/api/change_email",
            vec![
                ("new_email", email.as_str()),
                ("current_password", PASSWORD),
            ],
            "new_email",
        ),
        (
            "/api/change_password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", password.as_str()),
            ],
            "new_password",
        ),
    ];
    for (path, form, field) in cases {
        let response = app.post_form(path, &form).await;

        assert_eq!(field_of(form_error(&response)), field, "{path}");
    }
    assert_eq!(stored_user(&app).await, ("ada@example.com".into(), None));
    assert_eq!(app.mail_count(&email).await, 0);
    assert_eq!(app.mail_count("ada@example.com").await, 0);
    let signed_in = app
        .sign_in_with(&app.new_browser(), "ada@example.com", PASSWORD)
        .await;
    assert_eq!(
        location(&signed_in),
        "/account",
        "the password is the old one"
    );
}

#[tokio::test]
async fn a_form_that_is_not_utf8_is_refused_with_400_and_creates_no_account() {
    let app = spawn_app().await;

    for body in [
        b"email=%FF%FE&password=correct+horse+battery&display_name=".as_slice(),
        // Decoded leniently, this was a valid password of eight U+FFFD.
        b"email=ada%40example.com&password=%C0%AF%C0%AF%C0%AF%C0%AF&display_name=",
        b"email=\xff\xfe@example.com&password=correct+horse+battery&display_name=",
        b"display_name=%ED%A0%80&email=ada%40example.com&password=correct+horse+battery",
    ] {
        let response = post_raw(&app, "/api/sign_up", body).await;

        assert_eq!(
            response.status(),
            400,
            "{:?}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(
            response.text().await.unwrap(),
            "The form was not sent as UTF-8."
        );
    }
    assert_eq!(users(&app).await, 0);
    assert!(still_serving(&app).await);
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_refused_whatever_type_it_claims() {
    let app = spawn_app().await;
    // Server functions read the body as a form whatever its type says.
    let body = b"email=ada%40example.com&password=%C0%AF%C0%AF%C0%AF%C0%AF&display_name=";

    for content_type in [
        "text/plain",
        "Application/X-WWW-Form-Urlencoded",
        "application/octet-stream",
    ] {
        let response = post_raw_as(&app, "/api/sign_up", content_type, body).await;

        assert_eq!(response.status(), 400, "{content_type}");
    }
    assert_eq!(users(&app).await, 0);
}

#[tokio::test]
async fn a_form_in_utf8_beyond_ascii_is_kept_as_typed() {
    let app = spawn_app().await;

    let response = post_raw(
        &app,
        "/api/sign_up",
        b"email=zoe%40example.com&password=p%C3%A4ssw%C3%B6rd+%F0%9F%94%91&display_name=Zo%C3%AB+%F0%9F%9A%80",
    )
    .await;

    assert_eq!(
        location(&response),
        "/account",
        "{:?}",
        form_error(&response)
    );
    assert_eq!(
        stored_user(&app).await,
        ("zoe@example.com".into(), Some("Zoë 🚀".into()))
    );
    let signed_in = app
        .sign_in_with(&app.new_browser(), "zoe@example.com", "pässwörd 🔑")
        .await;
    assert_eq!(location(&signed_in), "/account");
}

#[tokio::test]
async fn sql_metacharacters_are_stored_and_compared_as_plain_text() {
    let app = spawn_app().await;
    let email = "o'brien'--@example.com";
    let name = "'; DROP TABLE users; --";
    let password = "\" OR 1=1 --";

    let response = app
        .post_form(
            "/api/sign_up",
            &[
                ("email", email),
                ("password", password),
                ("display_name", name),
            ],
        )
        .await;

    assert_eq!(
        location(&response),
        "/account",
        "{:?}",
        form_error(&response)
    );
    assert_eq!(stored_user(&app).await, (email.into(), Some(name.into())));
    let browser = app.new_browser();
    let signed_in = app.sign_in_with(&browser, email, password).await;
    assert_eq!(
        location(&signed_in),
        "/account",
        "the quoted password works"
    );
    for (email, password) in [
        ("o'brien'--@example.com", "' OR '1'='1"),
        ("' OR '1'='1' --@example.com", "' OR '1'='1"),
        ("x@example.com' OR 1=1 --", "anything"),
    ] {
        let refused = app.sign_in_with(&app.new_browser(), email, password).await;
        let error = form_error(&refused).expect("refused");
        assert!(
            error["Form"] == "That email and password do not match an account."
                || error["Field"]["field"] == "email",
            "{email} / {password}: {error}"
        );
    }
    let refused = app
        .post_form_with(
            &app.new_browser(),
            "/api/sign_up",
            &[("email", name), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(field_of(form_error(&refused)), "email", "not an address");
    // The table is still there, with the one account.
    assert_eq!(users(&app).await, 1);
}

#[tokio::test]
async fn a_display_name_with_markup_is_shown_escaped() {
    let app = spawn_app().await;
    let name = "<script>alert(1)</script>";

    let response = app
        .post_form(
            "/api/sign_up",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("display_name", name),
            ],
        )
        .await;

    assert_eq!(location(&response), "/account");
    for path in ["/account", "/"] {
        let page = app.page(path).await;
        assert!(!page.contains(name), "{path}: {page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}: {page}"
        );
    }
}

#[tokio::test]
async fn an_email_address_with_markup_is_escaped_on_the_page_and_in_the_mails_html() {
    let app = spawn_app().await;
    let markup = "<script>alert(1)</script>@example.com";
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;@example.com";
    app.sign_up("ada@example.com").await;

    let response = app
        .post_form(
            "/api/change_email",
            &[("new_email", markup), ("current_password", PASSWORD)],
        )
        .await;

    assert_eq!(
        location(&response),
        "/account?notice=email-sent",
        "{:?}",
        form_error(&response)
    );
    let (_, _, to_old) = app.mail_to("ada@example.com", 1).await;
    let (_, _, to_new) = app.mail_to(markup, 1).await;
    for html in [&to_old, &to_new] {
        assert!(!html.contains(markup), "{html}");
        assert!(html.contains(escaped), "{html}");
    }
    // Signed up under such an address, the page shows it escaped.
    let browser = app.new_browser();
    let form = [("email", markup), ("password", PASSWORD)];
    let response = app.post_form_with(&browser, "/api/sign_up", &form).await;
    assert_eq!(location(&response), "/account");
    let page = app.account_page(&browser).await.unwrap();
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains(escaped), "{page}");
}
