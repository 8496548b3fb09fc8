//! Session ids under attack: an id planted in the browser before sign-in is never the signed-in
//! id (fixation), and an ended session stays ended even when a request that began before its end
//! saves it afterwards (resurrection).

use tower_sessions::session::Id;

use super::signin::{session_cookie, status_with_cookie};
use crate::helpers::{cookieless_browser, location, spawn_app, TestApp, PASSWORD};

/// Posts a form sending exactly `cookie` (a browser the attacker planted it in).
async fn post_with_cookie(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    cookieless_browser()
        .post(app.url(path))
        .header("cookie", cookie)
        .header("origin", &app.base_url)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// How many stored sessions have this `tollgate_session=…` cookie's id.
async fn rows_of(app: &TestApp, cookie: &str) -> i64 {
    let id = cookie.split_once('=').unwrap().1;
    sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_made_up_session_id_planted_before_sign_in_or_sign_up_is_not_the_id_after_it() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    for (path, form) in [
        (
            "/api/sign_in",
            [("email", "ada@example.com"), ("password", PASSWORD)],
        ),
        (
            "/api/sign_up",
            [("email", "grace@example.com"), ("password", PASSWORD)],
        ),
    ] {
        let planted = format!("tollgate_session={}", Id::default());

        let response = post_with_cookie(&app, &planted, path, &form).await;

        assert_eq!(location(&response), "/account", "{path}");
        let issued = session_cookie(&response);
        assert_ne!(issued, planted, "{path}");
        assert_eq!(status_with_cookie(&app, &issued).await, 200, "{path}");
        assert_eq!(status_with_cookie(&app, &planted).await, 302, "{path}");
        assert_eq!(rows_of(&app, &planted).await, 0, "{path}");
    }
}

#[tokio::test]
async fn an_attackers_own_session_planted_in_a_victims_browser_is_replaced_at_sign_in() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let mallory = app.new_browser();
    let response = app
        .post_form_with(
            &mallory,
            "/api/sign_up",
            &[("email", "mallory@example.com"), ("password", PASSWORD)],
        )
        .await;
    let planted = session_cookie(&response);
    assert_eq!(status_with_cookie(&app, &planted).await, 200);

    // Ada signs in on a browser carrying Mallory's session cookie.
    let form = [("email", "ada@example.com"), ("password", PASSWORD)];
    let response = post_with_cookie(&app, &planted, "/api/sign_in", &form).await;

    let issued = session_cookie(&response);
    assert_ne!(issued, planted);
    assert_eq!(
        status_with_cookie(&app, &planted).await,
        302,
        "Mallory's cookie does not open Ada's account"
    );
    assert_eq!(rows_of(&app, &planted).await, 0);
    let page = crate::helpers::without_markers(
        reqwest::Client::new()
            .get(app.url("/account"))
            .header("cookie", &issued)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(page.contains("Signed in as ada@example.com"), "{page}");
}

#[tokio::test]
async fn a_request_that_began_before_sign_out_and_renews_the_session_does_not_bring_it_back() {
    let app = spawn_app().await;
    let cookie = session_cookie(&app.sign_up("ada@example.com").await);
    // The account page reads the invoices after loading the session, and renews the session
    // (its first request since signing in) once rendered. Hold it between the two.
    let mut lock = app.db.begin().await.unwrap();
    sqlx::query("LOCK TABLE invoices IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let account = tokio::spawn({
        let (url, cookie) = (app.url("/account"), cookie.clone());
        async move {
            cookieless_browser()
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    wait_for_a_blocked_query(&app).await;

    let signed_out = post_with_cookie(&app, &cookie, "/api/sign_out", &[]).await;
    assert_eq!(location(&signed_out), "/");
    assert_eq!(rows_of(&app, &cookie).await, 0, "signing out deleted it");
    lock.rollback().await.unwrap();
    assert_eq!(account.await.unwrap(), 200, "it began signed in");

    assert_eq!(rows_of(&app, &cookie).await, 0, "not stored again");
    assert_eq!(status_with_cookie(&app, &cookie).await, 302);
}

/// Waits (up to 10 s) until a query of the app waits for a lock.
async fn wait_for_a_blocked_query(app: &TestApp) {
    for _ in 0..100 {
        let blocked: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        if blocked > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the account page never waited for the locked table");
}
