//! `/healthz` and `/readyz`.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_on, TestDatabase};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
}

#[tokio::test]
async fn readyz_answers_ready_when_the_database_is_reachable() {
    let app = spawn_app().await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "ready", "database": "ok" })
    );
}

#[tokio::test]
async fn readyz_answers_503_when_the_database_is_gone_while_healthz_stays_ok() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    app.database.drop_now().await;

    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "unavailable", "database": "unreachable" })
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn migrations_are_applied_at_start_up() {
    let app = spawn_app_on(TestDatabase::create_empty().await, &[]).await;

    let pool = sqlx::PgPool::connect(app.database.url().as_str())
        .await
        .unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .unwrap();

    assert_eq!(applied, backend::db::MIGRATOR.iter().count() as i64);
}
