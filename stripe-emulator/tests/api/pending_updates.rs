//! Pending updates (`payment_behavior=pending_if_incomplete`): a price swap invoiced at once
//! applies only once its invoice is paid.

use serde_json::Value;

use crate::helpers::Emulator;

/// A customer subscribed to Hobby ($9, paid) whose default card now declines every charge
/// (0341), and the Pro price ($29): (customer, subscription, Pro price).
async fn hobby_on_a_declining_card(emulator: &Emulator) -> (String, Value, String) {
    let hobby = emulator.monthly_price("Hobby", 900).await;
    let pro = emulator.monthly_price("Pro", 2900).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &hobby, &[]).await;
    set_default_card(emulator, &customer, "pm_card_chargeCustomerFail").await;
    (customer, subscription, pro)
}

/// Attaches a test PaymentMethod (`pm_card_visa`, …) and makes it the customer's default.
async fn set_default_card(emulator: &Emulator, customer: &str, test_method: &str) {
    let attached = emulator
        .ok(
            &format!("/v1/payment_methods/{test_method}/attach"),
            &[("customer", customer)],
        )
        .await;
    emulator
        .ok(
            &format!("/v1/customers/{customer}"),
            &[(
                "invoice_settings[default_payment_method]",
                attached["id"].as_str().unwrap(),
            )],
        )
        .await;
}

/// Swaps the subscription's one item to `price` with `always_invoice` and pending updates.
async fn upgrade(emulator: &Emulator, subscription: &Value, price: &str) -> (u16, Value) {
    let id = subscription["id"].as_str().unwrap();
    let item = subscription["items"]["data"][0]["id"].as_str().unwrap();
    emulator
        .post(
            &format!("/v1/subscriptions/{id}"),
            &[
                ("items[0][id]", item),
                ("items[0][price]", price),
                ("proration_behavior", "always_invoice"),
                ("payment_behavior", "pending_if_incomplete"),
            ],
        )
        .await
}

fn price_of(subscription: &Value) -> &str {
    subscription["items"]["data"][0]["price"]["id"]
        .as_str()
        .unwrap()
}

#[tokio::test]
async fn a_pending_update_that_is_paid_at_once_applies_like_any_update() {
    let emulator = Emulator::start().await;
    let hobby = emulator.monthly_price("Hobby", 900).await;
    let pro = emulator.monthly_price("Pro", 2900).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &hobby, &[]).await;

    let (status, updated) = upgrade(&emulator, &subscription, &pro).await;

    assert_eq!(status, 200, "{updated}");
    assert_eq!(price_of(&updated), pro);
    assert_eq!(updated["status"], "active");
    assert!(updated["pending_update"].is_null());
    let events = emulator.event_types().await;
    assert_eq!(
        events.last().map(String::as_str),
        Some("customer.subscription.updated")
    );
    assert!(!events.iter().any(|kind| kind.contains("pending_update")));
}

#[tokio::test]
async fn a_declined_pending_update_keeps_the_old_plan_and_waits_with_an_open_invoice() {
    let emulator = Emulator::start().await;
    let (_, subscription, pro) = hobby_on_a_declining_card(&emulator).await;
    let hobby = price_of(&subscription).to_owned();

    let (status, held) = upgrade(&emulator, &subscription, &pro).await;

    assert_eq!(status, 200, "{held}");
    assert_eq!(held["status"], "active");
    assert_eq!(price_of(&held), hobby);
    let pending = &held["pending_update"];
    assert_eq!(
        pending["subscription_items"][0]["price"]["id"],
        pro.as_str()
    );
    assert_eq!(
        pending["subscription_items"][0]["id"],
        subscription["items"]["data"][0]["id"]
    );
    let created = held["created"].as_i64().unwrap();
    let expires_at = pending["expires_at"].as_i64().unwrap();
    assert!(expires_at > created && expires_at <= created + 23 * 3600 + 3600);
    assert!(pending["billing_cycle_anchor"].is_null());
    let invoice = emulator
        .fetch(&format!(
            "/v1/invoices/{}",
            held["latest_invoice"].as_str().unwrap()
        ))
        .await;
    assert_eq!(invoice["status"], "open");
    assert_eq!(invoice["billing_reason"], "subscription_update");
    assert_ne!(held["latest_invoice"], subscription["latest_invoice"]);
    let stored = emulator
        .fetch(&format!(
            "/v1/subscriptions/{}",
            held["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(stored, held);
    let events = emulator.event_types().await;
    assert_eq!(
        events.last().map(String::as_str),
        Some("customer.subscription.updated")
    );
    assert!(events.contains(&"invoice.payment_failed".to_owned()));
}

#[tokio::test]
async fn a_pending_update_applies_when_its_invoice_is_paid_later() {
    let emulator = Emulator::start().await;
    let (customer, subscription, pro) = hobby_on_a_declining_card(&emulator).await;
    let (_, held) = upgrade(&emulator, &subscription, &pro).await;
    set_default_card(&emulator, &customer, "pm_card_visa").await;
    // A new card alone does not apply it: the subscription is not past due.
    let id = held["id"].as_str().unwrap();
    let waiting = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert!(!waiting["pending_update"].is_null());

    let invoice = emulator
        .ok(
            &format!(
                "/v1/invoices/{}/pay",
                held["latest_invoice"].as_str().unwrap()
            ),
            &[],
        )
        .await;

    assert_eq!(invoice["status"], "paid");
    let applied = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(price_of(&applied), pro);
    assert_eq!(applied["status"], "active");
    assert!(applied["pending_update"].is_null());
    assert_eq!(applied["latest_invoice"], held["latest_invoice"]);
    let events = emulator.fetch("/v1/events?limit=1").await;
    let event = &events["data"][0];
    assert_eq!(
        event["type"],
        "customer.subscription.pending_update_applied"
    );
    assert_eq!(event["data"]["object"]["pending_update"], Value::Null);
    assert!(!event["data"]["previous_attributes"]["pending_update"].is_null());
}

#[tokio::test]
async fn an_unpaid_pending_update_expires_and_its_invoice_is_voided() {
    let emulator = Emulator::start().await;
    let (_, subscription, pro) = hobby_on_a_declining_card(&emulator).await;
    let hobby = price_of(&subscription).to_owned();
    let (_, held) = upgrade(&emulator, &subscription, &pro).await;
    let id = held["id"].as_str().unwrap();

    emulator.running.emulator.advance(24 * 3600);

    let expired = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert!(expired["pending_update"].is_null());
    assert_eq!(price_of(&expired), hobby);
    assert_eq!(expired["status"], "active");
    let invoice = emulator
        .fetch(&format!(
            "/v1/invoices/{}",
            held["latest_invoice"].as_str().unwrap()
        ))
        .await;
    assert_eq!(invoice["status"], "void");
    let events = emulator.event_types().await;
    let expiry = events
        .iter()
        .position(|kind| kind == "customer.subscription.pending_update_expired")
        .expect("the expiry is announced");
    assert_eq!(events[expiry + 1], "invoice.voided");
}

#[tokio::test]
async fn a_second_pending_update_replaces_the_first_and_voids_its_invoice() {
    let emulator = Emulator::start().await;
    let (_, subscription, pro) = hobby_on_a_declining_card(&emulator).await;
    let (_, first) = upgrade(&emulator, &subscription, &pro).await;
    let (refused, _) = upgrade(&emulator, &subscription, "price_missing").await;
    assert_ne!(refused, 200, "an unknown price is refused");
    let kept = emulator
        .fetch(&format!(
            "/v1/invoices/{}",
            first["latest_invoice"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        kept["status"], "open",
        "a refused update leaves the waiting one alone"
    );

    let (status, second) = upgrade(&emulator, &subscription, &pro).await;

    assert_eq!(status, 200, "{second}");
    assert_ne!(second["latest_invoice"], first["latest_invoice"]);
    assert!(!second["pending_update"].is_null());
    let voided = emulator
        .fetch(&format!(
            "/v1/invoices/{}",
            first["latest_invoice"].as_str().unwrap()
        ))
        .await;
    assert_eq!(voided["status"], "void");
}

#[tokio::test]
async fn a_parameter_pending_updates_do_not_support_is_refused() {
    let emulator = Emulator::start().await;
    let (_, subscription, pro) = hobby_on_a_declining_card(&emulator).await;
    let id = subscription["id"].as_str().unwrap();
    let item = subscription["items"]["data"][0]["id"].as_str().unwrap();

    let (status, body) = emulator
        .post(
            &format!("/v1/subscriptions/{id}"),
            &[
                ("items[0][id]", item),
                ("items[0][price]", &pro),
                ("payment_behavior", "pending_if_incomplete"),
                ("cancel_at_period_end", "true"),
            ],
        )
        .await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["param"], "cancel_at_period_end");
    let unchanged = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(price_of(&unchanged), price_of(&subscription));
    assert_eq!(unchanged["cancel_at_period_end"], false);

    let (status, body) = emulator
        .post(
            "/v1/subscriptions",
            &[
                ("customer", subscription["customer"].as_str().unwrap()),
                ("items[0][price]", &pro),
                ("payment_behavior", "pending_if_incomplete"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "payment_behavior");
}
