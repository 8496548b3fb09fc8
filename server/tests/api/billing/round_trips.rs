//! What a signed-in page costs the database: one round trip for the session with its account,
//! one for everything the page shows (the catalog comes from memory, loaded by an earlier page).

use super::subscriber::subscribed;
use crate::helpers::{fewest_statements, spawn_app_with, without_markers, TestApp};

/// A subscriber to Pro, signed in to `app.client`, with the catalog in the app's memory.
async fn subscriber() -> TestApp {
    let (app, _stripe, _ada) = subscribed("tollgate_pro_monthly").await;
    let pricing = app.get_with(&app.client, "/pricing").await;
    assert_eq!(pricing.status(), 200, "the pricing page loads the catalog");
    app
}

/// `GET path` as the signed-in subscriber: the status, the page, and the statements it took.
async fn page(app: &TestApp, path: &str) -> (u16, String, Vec<String>) {
    let ((status, page), statements) = fewest_statements(|| async {
        let response = app.get_with(&app.client, path).await;
        let status = response.status().as_u16();
        (
            status,
            without_markers(response.text().await.expect("a body")),
        )
    })
    .await;
    (status, page, statements)
}

#[tokio::test]
async fn a_subscribers_dashboard_takes_two_database_round_trips() {
    let app = subscriber().await;

    let (status, page, statements) = page(&app, "/dashboard").await;

    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Usage report"), "{page}");
    assert!(statements.len() <= 2, "{statements:#?}");
}

#[tokio::test]
async fn a_subscribers_account_page_takes_two_database_round_trips() {
    let app = subscriber().await;

    let (status, page, statements) = page(&app, "/account").await;

    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Pro"), "the plan is listed: {page}");
    assert!(statements.len() <= 2, "{statements:#?}");
}

#[tokio::test]
async fn the_account_pages_billing_server_function_takes_two_database_round_trips() {
    let app = subscriber().await;

    let ((status, body), statements) = fewest_statements(|| async {
        let response = app
            .client
            .post(app.url("/api/billing"))
            .header("accept", "application/json")
            .header("origin", &app.base_url)
            .form(&[] as &[(&str, &str)])
            .send()
            .await
            .expect("request failed");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    })
    .await;

    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Pro"), "the plan is listed: {body}");
    assert!(statements.len() <= 2, "{statements:#?}");
}

#[tokio::test]
async fn a_session_written_before_rows_named_their_account_stays_signed_in_and_names_it_when_renewed(
) {
    // Renewed every two seconds: a quarter of the idle timeout.
    let app = spawn_app_with(&[("SESSION_IDLE_TIMEOUT_SECONDS", "8")]).await;
    app.sign_up("ada@example.com").await;
    sqlx::query("UPDATE tower_sessions.session SET user_id = NULL")
        .execute(&app.db)
        .await
        .unwrap();

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let page = app.account_page(&app.client).await;

    assert!(page.is_some_and(|page| page.contains("ada@example.com")));
    let named: Vec<Option<uuid::Uuid>> =
        sqlx::query_scalar("SELECT user_id FROM tower_sessions.session")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let ada: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(named, [Some(ada)]);
}
