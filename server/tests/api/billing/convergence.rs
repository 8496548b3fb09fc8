//! Events arrive late, twice, out of order and at the same time; the stored state is Stripe's
//! latest all the same: every order of one subscription's real events ends in the same rows, an
//! old event cannot revive a canceled subscription, and ten concurrent deliveries apply once.

use serde_json::Value;

use super::{
    deliver, deliver_concurrently, event, recorded,
    subscriber::{
        count, events_of, expected_from, in_stripe, last_event, paid, stored_invoice,
        stored_subscription, StoredInvoice, StoredSubscription,
    },
};
use crate::helpers::TestApp;

/// Every ordering of `items` (Heap's algorithm).
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    fn heap<T: Clone>(k: usize, items: &mut Vec<T>, out: &mut Vec<Vec<T>>) {
        if k <= 1 {
            out.push(items.clone());
            return;
        }
        for i in 0..k {
            heap(k - 1, items, out);
            let swap = if k.is_multiple_of(2) { i } else { 0 };
            items.swap(swap, k - 1);
        }
    }
    let mut out = Vec::new();
    heap(items.len(), &mut items.to_vec(), &mut out);
    out
}

/// Forgets every subscription, invoice and event the app stored (the customer stays).
async fn forget_billing_state(app: &TestApp) {
    sqlx::query(
        "TRUNCATE subscription_items, subscriptions, invoices, stripe_events, \
         billing_notifications",
    )
    .execute(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn every_order_of_a_subscriptions_four_events_converges_on_stripes_current_state() {
    let (app, stripe, ada) = paid("tollgate_hobby_monthly").await;
    // Created incomplete, paid, active; then set to cancel at the period's end.
    let path = format!("/v1/subscriptions/{}", ada.subscription);
    stripe.ok(&path, &[("cancel_at_period_end", "true")]).await;
    let created = last_event(&stripe, "customer.subscription.created", &ada.subscription).await;
    let paid = last_event(&stripe, "invoice.paid", &ada.subscription).await;
    let updated = events_of(&stripe, "customer.subscription.updated", &ada.subscription).await;
    assert_eq!(updated.len(), 2, "activated, then set to cancel");
    let statuses: Vec<&Value> = [&created, &updated[0], &updated[1]]
        .iter()
        .map(|event| &event["data"]["object"]["status"])
        .collect();
    assert_eq!(statuses, ["incomplete", "active", "active"]);
    let sequence = vec![
        created,
        updated[0].clone(),
        paid.clone(),
        updated[1].clone(),
    ];
    let (now, card) = in_stripe(&stripe, &ada.subscription).await;
    let expected = expected_from(&now, card.as_ref());
    assert!(expected.cancel_at_period_end && expected.status == "active");
    let invoice_id = paid["data"]["object"]["id"].as_str().unwrap();

    let orders = permutations(&sequence);
    assert_eq!(orders.len(), 24);
    let mut outcomes: Vec<(Option<StoredSubscription>, Option<StoredInvoice>)> = Vec::new();
    for order in &orders {
        forget_billing_state(&app).await;
        for event in order {
            let (status, answer) = deliver(&app, event).await;
            assert_eq!((status, answer.as_str()), (200, "applied"));
        }
        outcomes.push((
            stored_subscription(&app, &ada.subscription).await,
            stored_invoice(&app, invoice_id).await,
        ));
    }

    for (order, (subscription, invoice)) in orders.iter().zip(&outcomes) {
        let kinds: Vec<&str> = order.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(subscription.as_ref(), Some(&expected), "{kinds:?}");
        let (_, status, total, _, _, _) = invoice.as_ref().expect("the invoice is stored");
        assert_eq!((status.as_str(), *total), ("paid", 900), "{kinds:?}");
    }
    assert!(outcomes.windows(2).all(|pair| pair[0] == pair[1]));
}

#[tokio::test]
async fn an_old_event_saying_trialing_delivered_after_the_cancellation_leaves_it_canceled() {
    let (app, stripe, ada) = paid("tollgate_pro_monthly").await;
    let created = last_event(&stripe, "customer.subscription.created", &ada.subscription).await;
    assert_eq!(created["data"]["object"]["status"], "trialing");
    let (status, _) = stripe
        .delete(&format!("/v1/subscriptions/{}", ada.subscription))
        .await;
    assert_eq!(status, 200);
    let deleted = last_event(&stripe, "customer.subscription.deleted", &ada.subscription).await;
    assert_eq!(deliver(&app, &deleted).await.0, 200);

    // Stripe retries the old event late; a copy with its own id stands for a stale duplicate.
    for stale in [
        created.clone(),
        event(
            "customer.subscription.updated",
            created["data"]["object"].clone(),
        ),
    ] {
        let (status, answer) = deliver(&app, &stale).await;

        assert_eq!((status, answer.as_str()), (200, "applied"));
        let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
        assert_eq!(stored.status, "canceled");
        assert!(stored.ended_at.is_some());
    }
    let success = format!("/checkout/success?session_id={}", ada.session);
    assert_eq!(app.get(&success).await.status(), 200);
    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert_eq!(
        stored.status, "canceled",
        "nor does the success page opened late"
    );
    let reports = app.get("/api/reports").await;
    assert_eq!(reports.status(), 402, "a canceled trial grants nothing");
}

#[tokio::test]
async fn ten_concurrent_deliveries_of_one_event_apply_it_once_and_store_one_row() {
    let (app, stripe, ada) = paid("tollgate_pro_monthly").await;
    let created = last_event(&stripe, "customer.subscription.created", &ada.subscription).await;

    let (applied, duplicates) = deliver_concurrently(&app, &created, 10).await;

    assert_eq!((applied, duplicates), (1, 9));
    let id = created["id"].as_str().unwrap();
    assert_eq!(recorded(&app, id).await, Some((1, true, None)));
    assert_eq!(count(&app, "stripe_events").await, 1);
    assert_eq!(count(&app, "subscriptions").await, 1);
    assert_eq!(count(&app, "subscription_items").await, 1);
    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert_eq!(stored.status, "trialing");
}
