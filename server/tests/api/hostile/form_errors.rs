//! Form errors in the URL: a link carrying a made-up `__err` shows nothing, while the error of a
//! form this browser really posted without JavaScript is shown after the redirect, once.

use app::{errors::FormError, server_fns::session::SignIn};
use base64::{engine::general_purpose::URL_SAFE, Engine};
use leptos::server_fn::ServerFn;
use url::Url;

use crate::helpers::{location, spawn_app, without_markers, TestApp};

/// What an attacker would like our sign-in page to say.
const FORGED: &str = "Your account is locked. Call +1 555 0100 to unlock it.";

/// `/signin?{before}&__path=…&__err=…` with [`FORGED`] as the sign-in form's error.
fn forged_link(before: &str) -> String {
    let error = serde_json::to_vec(&FormError::Form(FORGED.to_owned())).unwrap();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("__path", SignIn::PATH)
        .append_pair("__err", &URL_SAFE.encode(error))
        .finish();
    format!("/signin?{before}{query}")
}

/// Posts the sign-in form from the sign-in page as a browser without JavaScript does.
async fn sign_in_from_the_page(
    app: &TestApp,
    client: &reqwest::Client,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/sign_in"))
        .header("origin", &app.base_url)
        .header(
            "referer",
            format!("{}/signin?next=%2Faccount", app.base_url),
        )
        .form(&[("email", "ada@example.com"), ("password", password)])
        .send()
        .await
        .expect("request failed")
}

/// The path and query of an absolute `Location`.
fn path_and_query(location: &str) -> String {
    let url = Url::parse(location).expect("an absolute Location");
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

#[tokio::test]
async fn a_link_with_a_made_up_form_error_shows_no_alert_and_drops_the_error() {
    let app = spawn_app().await;
    let browser = app.new_browser();

    let response = app
        .get_with(&browser, &forged_link("next=%2Faccount&"))
        .await;

    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/signin?next=%2Faccount");
    let body = response.text().await.unwrap();
    assert!(!body.contains("555 0100"), "{body}");
    let page = without_markers(
        app.get_with(&browser, "/signin?next=%2Faccount")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(
        !page.contains("555 0100") && !page.contains(r#"role="alert""#),
        "{page}"
    );
}

#[tokio::test]
async fn a_made_up_path_cannot_turn_the_drop_into_a_redirect_off_site() {
    let app = spawn_app().await;

    let response = app
        .get(&forged_link("").replace("/signin", "//evil.example/signin"))
        .await;

    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/evil.example/signin");
}

#[tokio::test]
async fn a_failed_form_post_without_javascript_shows_its_error_once_after_the_redirect() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let browser = app.new_browser();

    let failed = sign_in_from_the_page(&app, &browser, "not the password").await;
    assert!(failed.status().is_redirection(), "{}", failed.status());
    let back = path_and_query(&location(&failed));
    assert!(
        back.starts_with("/signin?next=%2Faccount&__path="),
        "{back}"
    );

    // The browser that posted holds the error's cookie, which vouches for that error only.
    let forged = app
        .get_with(&browser, &forged_link("next=%2Faccount&"))
        .await;
    assert_eq!(forged.status(), 303);
    let page = app.get_with(&browser, &back).await;
    assert_eq!(page.status(), 200);
    let page = without_markers(page.text().await.unwrap());
    assert!(
        page.contains("That email and password do not match an account."),
        "{page}"
    );

    let again = app.get_with(&browser, &back).await;
    assert_eq!(again.status(), 303, "the error is shown once");
    assert_eq!(location(&again), "/signin?next=%2Faccount");
}

#[tokio::test]
async fn a_second_failure_from_the_error_page_shows_only_the_new_error() {
    let app = spawn_app().await;
    let browser = app.new_browser();

    let first = sign_in_from_the_page(&app, &browser, "first guess").await;
    let back = path_and_query(&location(&first));
    let second = browser
        .post(app.url("/api/sign_in"))
        .header("origin", &app.base_url)
        .header("referer", format!("{}{back}", app.base_url))
        .form(&[("email", "ada@example.com"), ("password", "second guess")])
        .send()
        .await
        .unwrap();

    let again = Url::parse(&location(&second)).unwrap();
    let errors = again
        .query_pairs()
        .filter(|(key, _)| key == "__err")
        .count();
    assert_eq!(errors, 1, "{again}");
    let page = app
        .get_with(&browser, &path_and_query(again.as_str()))
        .await;
    assert_eq!(page.status(), 200);
}
