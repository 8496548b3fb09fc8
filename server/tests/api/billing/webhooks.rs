//! `POST /webhooks/stripe`: signatures, the duplicate check, concurrent deliveries, and a failed
//! application that Stripe's retry applies.

use backend::stripe::signature::sign;
use serde_json::{json, Value};

use super::{
    app_for, deliver, deliver_at, deliver_concurrently, event, eventually, now, outcome,
    post_webhook, recorded, Stripe,
};
use crate::helpers::{spawn_app, spawn_app_with, TestApp, WEBHOOK_SECRET};

/// An event type Tollgate does not handle.
fn unknown_event() -> Value {
    event(
        "issuing_card.created",
        json!({ "id": "ic_1", "object": "issuing.card" }),
    )
}

async fn stored_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM stripe_events")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// A product in the emulator and the `product.created` event it emitted.
async fn product_event(stripe: &Stripe, name: &str) -> (String, Value) {
    let product = stripe.ok("/v1/products", &[("name", name)]).await;
    let id = product["id"].as_str().unwrap().to_owned();
    let created = stripe.events(&["product."]).await;
    let event = created
        .into_iter()
        .find(|event| event["data"]["object"]["id"] == id.as_str())
        .expect("the emulator emitted product.created");
    (id, event)
}

async fn stored_name(app: &TestApp, product_id: &str) -> Option<String> {
    sqlx::query_scalar("SELECT name FROM stripe_products WHERE id = $1")
        .bind(product_id)
        .fetch_optional(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_missing_wrong_or_stale_signature_is_refused_with_400_and_nothing_is_stored() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&unknown_event()).unwrap();

    let cases = [
        ("missing", None),
        (
            "wrong secret",
            Some(sign(&body, "whsec_someone_else", now())),
        ),
        ("stale", Some(sign(&body, WEBHOOK_SECRET, now() - 600))),
        ("malformed", Some("t=abc,v1=00".to_owned())),
    ];
    for (case, signature) in cases {
        let (status, answer) = post_webhook(&app, &body, signature.as_deref()).await;
        assert_eq!(status, 400, "{case}: {answer}");
    }

    // A signature over other bytes (the same JSON re-serialised) does not pass either.
    let spaced = serde_json::to_vec_pretty(&unknown_event()).unwrap();
    let (status, _) = post_webhook(&app, &spaced, Some(&sign(&body, WEBHOOK_SECRET, now()))).await;
    assert_eq!(status, 400, "signature over other bytes");
    assert_eq!(stored_events(&app).await, 0);
}

#[tokio::test]
async fn a_signature_made_with_either_of_two_rotated_secrets_is_accepted() {
    let app = spawn_app_with(&[("STRIPE_WEBHOOK_SECRET", "whsec_old,whsec_new")]).await;

    for secret in ["whsec_old", "whsec_new"] {
        let body = serde_json::to_vec(&unknown_event()).unwrap();
        let (status, answer) = post_webhook(&app, &body, Some(&sign(&body, secret, now()))).await;
        assert_eq!(status, 200, "{secret}: {answer}");
    }
    let body = serde_json::to_vec(&unknown_event()).unwrap();
    let (status, _) = post_webhook(&app, &body, Some(&sign(&body, WEBHOOK_SECRET, now()))).await;
    assert_eq!(status, 400, "the secret no longer configured");
    assert_eq!(stored_events(&app).await, 2);
}

#[tokio::test]
async fn an_unknown_event_type_is_acknowledged_and_recorded_as_applied() {
    let app = spawn_app().await;
    let event = unknown_event();

    let (status, answer) = deliver(&app, &event).await;

    assert_eq!(status, 200);
    assert!(answer.contains("nothing to do"), "{answer}");
    let (attempts, applied, error) = recorded(&app, event["id"].as_str().unwrap())
        .await
        .expect("recorded");
    assert_eq!(
        (attempts, applied, error),
        (0, true, None),
        "done, never handed to a worker"
    );
    let (kind, object_id): (String, Option<String>) =
        sqlx::query_as("SELECT type, object_id FROM stripe_events")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(kind, "issuing_card.created");
    assert_eq!(object_id.as_deref(), Some("ic_1"));
}

#[tokio::test]
async fn the_same_event_delivered_twice_is_applied_once_and_the_second_answer_says_duplicate() {
    let stripe = Stripe::start().await;
    let app = app_for(&stripe).await;
    let (product, event) = product_event(&stripe, "Hobby").await;

    let (status, answer) = deliver(&app, &event).await;
    assert_eq!((status, answer.as_str()), (200, "applied"));
    assert_eq!(stored_name(&app, &product).await.as_deref(), Some("Hobby"));
    // Behind the app's back: a second application would re-fetch and overwrite this.
    sqlx::query("UPDATE stripe_products SET name = 'Changed locally' WHERE id = $1")
        .bind(&product)
        .execute(&app.db)
        .await
        .unwrap();

    let (status, answer) = deliver(&app, &event).await;

    assert_eq!(status, 200);
    assert!(answer.starts_with("duplicate"), "{answer}");
    let (attempts, applied, _) = recorded(&app, event["id"].as_str().unwrap()).await.unwrap();
    assert_eq!((attempts, applied), (1, true));
    assert_eq!(
        stored_name(&app, &product).await.as_deref(),
        Some("Changed locally"),
        "not applied a second time"
    );
}

#[tokio::test]
async fn five_concurrent_deliveries_of_one_event_all_succeed_and_apply_it_once() {
    let stripe = Stripe::start().await;
    let app = app_for(&stripe).await;
    let (product, event) = product_event(&stripe, "Pro").await;

    let (applied, duplicates) = deliver_concurrently(&app, &event, 5).await;

    assert_eq!((applied, duplicates), (1, 4));
    assert_eq!(stored_events(&app).await, 1);
    let (attempts, applied, _) = recorded(&app, event["id"].as_str().unwrap()).await.unwrap();
    assert_eq!((attempts, applied), (1, true));
    assert_eq!(stored_name(&app, &product).await.as_deref(), Some("Pro"));
}

#[tokio::test]
async fn an_event_that_fails_to_apply_keeps_its_error_and_is_retried_until_applied() {
    let stripe = Stripe::start().await;
    let app = app_for(&stripe).await;
    let (product, event) = product_event(&stripe, "Lifetime").await;
    let event_id = event["id"].as_str().unwrap();
    sqlx::query("ALTER TABLE stripe_products RENAME TO stripe_products_gone")
        .execute(&app.db)
        .await
        .unwrap();

    let (status, answer) = deliver_at(app.url("/webhooks/stripe"), event.clone()).await;

    assert_eq!(
        (status, answer.as_str()),
        (200, "received"),
        "recorded all the same"
    );
    let failed = outcome(&app, event_id).await;
    assert!(failed.starts_with("failed: "), "{failed}");
    assert!(
        failed.contains("stripe_products"),
        "the cause is kept: {failed}"
    );
    let (attempts, applied, _) = recorded(&app, event_id).await.expect("recorded");
    assert_eq!((attempts, applied), (1, false));

    sqlx::query("ALTER TABLE stripe_products_gone RENAME TO stripe_products")
        .execute(&app.db)
        .await
        .unwrap();

    // Retried after the backoff (5 s), without another delivery.
    let applied = eventually(30, || async {
        recorded(&app, event_id)
            .await
            .is_some_and(|(_, applied, _)| applied)
    })
    .await;
    assert!(applied, "retried and applied");
    assert_eq!(recorded(&app, event_id).await, Some((2, true, None)));
    assert_eq!(
        stored_name(&app, &product).await.as_deref(),
        Some("Lifetime")
    );
}

#[tokio::test]
async fn an_event_about_a_subscription_stripe_no_longer_has_is_acknowledged_not_retried_forever() {
    let stripe = Stripe::start().await;
    let app = app_for(&stripe).await;
    let gone = event(
        "customer.subscription.deleted",
        json!({ "id": "sub_deleted_with_its_test_data", "object": "subscription" }),
    );

    let (status, answer) = deliver(&app, &gone).await;

    assert_eq!(status, 200, "{answer}");
    let (_, applied, error) = recorded(&app, gone["id"].as_str().unwrap())
        .await
        .expect("recorded");
    assert!(applied && error.is_none());
}
