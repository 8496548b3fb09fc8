//! The webhook inbox: the endpoint records and answers without asking Stripe anything; workers
//! apply, retry with backoff, take over a dead worker's claim once its lease runs out, and never
//! store a fetch over a later one.

use backend::billing::{subscriptions, Ticket};
use serde_json::json;

use super::{
    deliver, deliver_at, event, outcome, recorded, stripe_cli_at,
    subscriber::{paid, stored_subscription, subscribed},
};
use crate::helpers::TestApp;

/// A Stripe that accepts connections and never answers.
async fn silent_stripe() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{address}")
}

/// The event's `(attempts, next attempt is in the future)`.
async fn schedule(app: &TestApp, event_id: &str) -> (i32, bool) {
    sqlx::query_as("SELECT attempts, next_attempt_at > now() FROM stripe_events WHERE id = $1")
        .bind(event_id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_event_is_recorded_and_answered_while_stripe_does_not_answer_and_its_failures_are_retried(
) {
    let silent = silent_stripe().await;
    let app = crate::helpers::spawn_app_with(&[
        ("STRIPE_API_BASE", silent.as_str()),
        ("STRIPE_TIMEOUT_SECONDS", "1"),
    ])
    .await;
    let updated = event(
        "customer.subscription.updated",
        json!({ "id": "sub_silent", "object": "subscription", "customer": "cus_silent" }),
    );

    // Answered at once: had the endpoint asked Stripe, it would have failed after the timeout.
    let (status, answer) = deliver_at(app.url("/webhooks/stripe"), updated.clone()).await;
    assert_eq!((status, answer.as_str()), (200, "received"));

    let id = updated["id"].as_str().unwrap();
    let failed = outcome(&app, id).await;
    assert!(failed.starts_with("failed: "), "{failed}");
    assert!(
        failed.contains("Stripe"),
        "the error names the step: {failed}"
    );
    assert_eq!(
        schedule(&app, id).await,
        (1, true),
        "retried later, with backoff"
    );

    let failing = stripe_cli_at(app.database.url().as_str(), &silent, &["failing"]).await;
    let listed = String::from_utf8_lossy(&failing.stdout);
    assert!(failing.status.success(), "{listed}");
    assert!(
        listed.contains(id) && listed.contains("1 attempts"),
        "{listed}"
    );

    let retry = stripe_cli_at(app.database.url().as_str(), &silent, &["retry", id]).await;
    assert!(
        retry.status.success(),
        "{}",
        String::from_utf8_lossy(&retry.stderr)
    );
    let retried = super::eventually(30, || async { schedule(&app, id).await.0 >= 2 }).await;
    assert!(retried, "the command queued it again and a worker took it");

    let unknown = stripe_cli_at(
        app.database.url().as_str(),
        &silent,
        &["retry", "evt_unknown"],
    )
    .await;
    assert!(
        !unknown.status.success(),
        "an unknown event is not silently accepted"
    );
}

#[tokio::test]
async fn an_event_claimed_by_a_worker_that_died_is_applied_by_another_once_its_lease_runs_out() {
    let (app, stripe, ada) = subscribed("tollgate_pro_monthly").await;
    let path = format!("/v1/subscriptions/{}", ada.subscription);
    stripe.ok(&path, &[("cancel_at_period_end", "true")]).await;
    let updated = event(
        "customer.subscription.updated",
        json!({ "id": ada.subscription, "object": "subscription" }),
    );
    // Claimed as a worker claims (an attempt counted, the next one a lease away) by a worker
    // that then died.
    sqlx::query(
        "INSERT INTO stripe_events (id, type, object_id, created, payload, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, now(), $4, 1, now() + interval '1 hour')",
    )
    .bind(updated["id"].as_str())
    .bind("customer.subscription.updated")
    .bind(&ada.subscription)
    .bind(&updated)
    .execute(&app.db)
    .await
    .unwrap();

    // The workers are running (they apply another event) but leave the claimed one alone.
    let other = event(
        "product.updated",
        json!({ "id": "prod_gone", "object": "product" }),
    );
    assert_eq!(deliver(&app, &other).await, (200, "applied".to_owned()));
    let id = updated["id"].as_str().unwrap();
    assert_eq!(recorded(&app, id).await, Some((1, false, None)));
    let before = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert!(
        !before.cancel_at_period_end,
        "not applied while the lease holds"
    );

    // The lease runs out.
    sqlx::query("UPDATE stripe_events SET next_attempt_at = now() WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();

    assert_eq!(outcome(&app, id).await, "applied");
    assert_eq!(recorded(&app, id).await, Some((2, true, None)));
    let after = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert!(after.cancel_at_period_end);
}

#[tokio::test]
async fn a_fetch_that_started_earlier_never_overwrites_what_a_later_one_stored() {
    let (app, stripe, ada) = paid("tollgate_pro_monthly").await;
    let state = app.state();
    let earlier = Ticket::draw(&app.db).await.unwrap();
    let before_change = subscriptions::fetch(&state.stripe, &ada.subscription)
        .await
        .unwrap()
        .expect("in Stripe");
    let path = format!("/v1/subscriptions/{}", ada.subscription);
    stripe.ok(&path, &[("cancel_at_period_end", "true")]).await;
    let later = Ticket::draw(&app.db).await.unwrap();
    let after_change = subscriptions::fetch(&state.stripe, &ada.subscription)
        .await
        .unwrap()
        .expect("in Stripe");

    // The later fetch is stored first; the earlier one arrives after it (a slow Stripe call).
    let mut tx = app.db.begin().await.unwrap();
    let stored = subscriptions::store_fetched(&mut tx, after_change, later)
        .await
        .unwrap();
    assert!(stored.is_some_and(|s| s.cancel_at_period_end));
    let stale = subscriptions::store_fetched(&mut tx, before_change.clone(), earlier)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert!(stale.is_none(), "refused: a later fetch was stored");
    let kept = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert!(kept.cancel_at_period_end, "the later state stays");

    // The same old answer under a ticket drawn after the last store would be stored: the order
    // of the fetches decides, not the content.
    let newest = Ticket::draw(&app.db).await.unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let stored = subscriptions::store_fetched(&mut tx, before_change, newest)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(stored.is_some());
}
