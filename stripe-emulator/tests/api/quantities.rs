//! Per-seat quantities: a quantity change's prorations (credit at the old quantity, charge at the
//! new) kept for the next invoice, billed at once with `always_invoice`, or left out with `none`;
//! the subscription item endpoint; `previous_attributes` carrying the old quantity; Checkout's
//! line item quantity.

use serde_json::Value;

use crate::helpers::Emulator;

/// A customer paying 10.00 a seat for 2 seats, and the subscription's item id.
async fn two_seats(emulator: &Emulator) -> (Value, String) {
    let price = emulator.monthly_price("Seats", 1000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator
        .subscribe(&customer, &price, &[("items[0][quantity]", "2")])
        .await;
    let item = subscription["items"]["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (subscription, item)
}

async fn invoices_of(emulator: &Emulator, subscription: &str) -> Vec<Value> {
    let list = emulator
        .fetch(&format!(
            "/v1/invoices?subscription={subscription}&limit=100"
        ))
        .await;
    list["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn more_seats_are_prorated_onto_the_next_invoice_not_a_new_one() {
    let emulator = Emulator::start().await;
    let (subscription, item) = two_seats(&emulator).await;
    let id = subscription["id"].as_str().unwrap();
    emulator.advance_days(15).await;
    let updated = emulator
        .ok(
            &format!("/v1/subscriptions/{id}"),
            &[("items[0][id]", &item), ("items[0][quantity]", "5")],
        )
        .await;
    assert_eq!(updated["items"]["data"][0]["quantity"], 5);
    assert_eq!(updated["items"]["data"][0]["id"], item);
    assert_eq!(
        invoices_of(&emulator, id).await.len(),
        1,
        "no invoice for the change itself"
    );
    let customer = subscription["customer"].as_str().unwrap();
    let pending = emulator
        .fetch(&format!(
            "/v1/invoiceitems?customer={customer}&pending=true"
        ))
        .await;
    let pending = pending["data"].as_array().unwrap().clone();
    assert_eq!(
        pending.len(),
        2,
        "a credit and a charge wait as invoice items"
    );
    assert!(pending.iter().all(|item| item["proration"] == true));
    assert!(pending
        .iter()
        .all(|item| item["parent"]["subscription_details"]["subscription"] == id));
    let event = emulator
        .fetch("/v1/events?type=customer.subscription.updated&limit=1")
        .await;
    let previous = &event["data"][0]["data"]["previous_attributes"];
    assert_eq!(previous["items"]["data"][0]["quantity"], 2);

    emulator.advance_days(20).await;
    let invoices = invoices_of(&emulator, id).await;
    assert_eq!(invoices.len(), 2);
    let renewal = &invoices[0];
    let lines = renewal["lines"]["data"].as_array().unwrap();
    let prorations: Vec<&Value> = lines
        .iter()
        .filter(|line| line["parent"]["subscription_item_details"]["proration"] == true)
        .collect();
    assert_eq!(prorations.len(), 2, "{lines:?}");
    let credit = prorations
        .iter()
        .find(|line| line["amount"].as_i64().unwrap() < 0)
        .unwrap();
    let charge = prorations
        .iter()
        .find(|line| line["amount"].as_i64().unwrap() > 0)
        .unwrap();
    assert_eq!(credit["quantity"], 2);
    assert_eq!(charge["quantity"], 5);
    assert!(credit["description"]
        .as_str()
        .unwrap()
        .starts_with("Unused time on Seats"));
    let cycle = lines
        .iter()
        .find(|line| line["parent"]["subscription_item_details"]["proration"] == false)
        .unwrap();
    assert_eq!(cycle["quantity"], 5);
    assert_eq!(cycle["amount"], 5000);
    let extra = charge["amount"].as_i64().unwrap() + credit["amount"].as_i64().unwrap();
    assert!(
        extra > 0 && extra < 3000,
        "three seats for about half a month: {extra}"
    );
    assert_eq!(renewal["amount_due"].as_i64().unwrap(), 5000 + extra);
    for item in &pending {
        let item_id = item["id"].as_str().unwrap();
        let now = emulator.fetch(&format!("/v1/invoiceitems/{item_id}")).await;
        assert_eq!(now["invoice"], renewal["id"]);
        assert!(prorations
            .iter()
            .any(|line| line["parent"]["subscription_item_details"]["invoice_item"] == item_id));
    }
}

#[tokio::test]
async fn always_invoice_bills_a_quantity_change_at_once_and_none_bills_nothing_extra() {
    let emulator = Emulator::start().await;
    let (subscription, item) = two_seats(&emulator).await;
    let id = subscription["id"].as_str().unwrap();
    emulator.advance_days(10).await;
    emulator
        .ok(
            &format!("/v1/subscription_items/{item}"),
            &[("quantity", "3"), ("proration_behavior", "always_invoice")],
        )
        .await;
    let invoices = invoices_of(&emulator, id).await;
    assert_eq!(invoices.len(), 2);
    assert_eq!(invoices[0]["billing_reason"], "subscription_update");
    assert_eq!(invoices[0]["status"], "paid");
    assert!(invoices[0]["amount_paid"].as_i64().unwrap() > 0);
    let item_now = emulator
        .fetch(&format!("/v1/subscription_items/{item}"))
        .await;
    assert_eq!(item_now["quantity"], 3);

    emulator
        .ok(
            &format!("/v1/subscriptions/{id}"),
            &[
                ("items[0][id]", &item),
                ("items[0][quantity]", "1"),
                ("proration_behavior", "none"),
            ],
        )
        .await;
    emulator.advance_days(25).await;
    let invoices = invoices_of(&emulator, id).await;
    assert_eq!(invoices[0]["billing_reason"], "subscription_cycle");
    assert_eq!(
        invoices[0]["amount_due"], 1000,
        "one seat, nothing prorated"
    );
}

#[tokio::test]
async fn checkout_line_item_quantity_becomes_the_subscription_item_quantity() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Seats", 1200).await;
    let session = emulator
        .ok(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("success_url", "https://example.com/done"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "4"),
            ],
        )
        .await;
    assert_eq!(session["amount_total"], 4800);
    let url = session["url"].as_str().unwrap();
    let paid = emulator
        .submit(
            url,
            &[
                ("email", "seats@example.com"),
                ("card_number", "4242 4242 4242 4242"),
                ("card_expiry", "12 / 34"),
                ("card_cvc", "123"),
            ],
        )
        .await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    let id = session["id"].as_str().unwrap();
    let done = emulator
        .fetch(&format!("/v1/checkout/sessions/{id}?expand[]=subscription"))
        .await;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["subscription"]["items"]["data"][0]["quantity"], 4);
}

#[tokio::test]
async fn changing_an_item_the_subscription_does_not_have_is_refused() {
    let emulator = Emulator::start().await;
    let (subscription, _) = two_seats(&emulator).await;
    let id = subscription["id"].as_str().unwrap();
    let (status, body) = emulator
        .post(
            &format!("/v1/subscriptions/{id}"),
            &[("items[0][id]", "si_unknown"), ("items[0][quantity]", "3")],
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "resource_missing");
    assert_eq!(body["error"]["param"], "items[0][id]");
    assert_eq!(
        body["error"]["message"],
        "No such subscription item: 'si_unknown'"
    );
    let (status, body) = emulator
        .post("/v1/subscription_items/si_unknown", &[("quantity", "3")])
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        body["error"]["message"],
        "No such subscription item: 'si_unknown'"
    );
}
