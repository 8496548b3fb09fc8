//! `POST /api/sign_in`: credentials, enumeration resistance, return path, session id cycling.

use crate::helpers::{form_error, location, spawn_app, PASSWORD};

#[tokio::test]
async fn signing_in_returns_to_the_page_the_user_came_from() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let browser = app.new_browser();

    let response = app
        .post_form_with(
            &browser,
            "/api/sign_in",
            &[
                ("email", "ADA@example.com "),
                ("password", PASSWORD),
                ("next", "/account?tab=email"),
            ],
        )
        .await;

    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/account?tab=email");
    assert!(app.account_page(&browser).await.is_some());
}

#[tokio::test]
async fn only_same_site_paths_are_accepted_as_the_return_target() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    for hostile in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let response = app
            .post_form_with(
                &app.new_browser(),
                "/api/sign_in",
                &[
                    ("email", "ada@example.com"),
                    ("password", PASSWORD),
                    ("next", hostile),
                ],
            )
            .await;
        assert_eq!(location(&response), "/account", "{hostile}");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    let wrong_password = app
        .sign_in_with(&app.new_browser(), "ada@example.com", "not the password")
        .await;
    let unknown_email = app
        .sign_in_with(&app.new_browser(), "nobody@example.com", "not the password")
        .await;

    assert_eq!(wrong_password.status(), unknown_email.status());
    assert_eq!(location(&wrong_password), location(&unknown_email));
    let error = form_error(&wrong_password).unwrap();
    assert_eq!(
        error["Form"],
        "That email and password do not match an account."
    );
    // No session is started; the only cookie carries the form's error to the page it returns to.
    let cookie_names = |response: &reqwest::Response| -> Vec<String> {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|cookie| {
                cookie
                    .to_str()
                    .unwrap()
                    .split('=')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(cookie_names(&wrong_password), ["tollgate_form_error"]);
    assert_eq!(cookie_names(&unknown_email), cookie_names(&wrong_password));
}

#[tokio::test]
async fn an_unknown_email_costs_one_password_check_like_a_wrong_password() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let browser = app.new_browser();
    let checks = || app.served.password_hashing.runs();

    let before = checks();
    app.sign_in_with(&browser, "ada@example.com", "not the password")
        .await;
    let wrong_password = checks() - before;
    let before = checks();
    app.sign_in_with(&browser, "nobody@example.com", "not the password")
        .await;
    let unknown_email = checks() - before;

    // The unknown email is checked against a dummy hash with the same parameters (a unit test
    // in `backend::auth::password`): the same work, so the answer takes as long.
    assert_eq!(wrong_password, 1);
    assert_eq!(unknown_email, 1);
}

#[tokio::test]
async fn signing_in_again_cycles_the_session_id_and_the_old_id_stops_working() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let browser = app.new_browser();

    let first = session_cookie(
        &app.sign_in_with(&browser, "ada@example.com", PASSWORD)
            .await,
    );
    let second = session_cookie(
        &app.sign_in_with(&browser, "ada@example.com", PASSWORD)
            .await,
    );

    assert_ne!(first, second);
    assert_eq!(
        status_with_cookie(&app, &first).await,
        302,
        "the old id is dead"
    );
    assert_eq!(status_with_cookie(&app, &second).await, 200);
}

/// The `tollgate_session=…` pair a response sets.
pub fn session_cookie(response: &reqwest::Response) -> String {
    let set_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("tollgate_session="))
        .expect("a session cookie is set");
    set_cookie.split(';').next().unwrap().to_owned()
}

/// `GET /account` sending exactly `cookie`: 200 when it is a signed-in session, else 302.
pub async fn status_with_cookie(app: &crate::helpers::TestApp, cookie: &str) -> u16 {
    crate::helpers::cookieless_browser()
        .get(app.url("/account"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
