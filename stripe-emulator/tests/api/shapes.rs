//! Every object the emulator answers has the shape Stripe's type gives it for our API version:
//! each always-present field, nothing Stripe's type lacks. The check runs on every answer
//! (a mismatch is a 500); this test makes one object of each kind the emulator keeps and reads
//! them all back, expanded, to be sure each kind was checked.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::helpers::Emulator;

/// Each object kind reached by `value`, counted.
fn kinds_in(value: &Value, seen: &mut BTreeMap<String, usize>) {
    stripe_emulator::shapes::kinds(value, seen);
    assert!(
        stripe_emulator::shapes::problems(value).is_empty(),
        "{:?}",
        stripe_emulator::shapes::problems(value)
    );
}

#[tokio::test]
async fn every_kind_of_object_the_emulator_keeps_has_stripes_shape() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2_900).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    let subscription = subscription["id"].as_str().unwrap();
    let session = emulator
        .ok(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
                ("success_url", "https://example.com/ok"),
            ],
        )
        .await;
    let session = session["id"].as_str().unwrap();
    let portal = emulator
        .ok(
            "/v1/billing_portal/sessions",
            &[
                ("customer", &customer),
                ("return_url", "https://example.com"),
            ],
        )
        .await;
    emulator
        .ok(
            "/v1/webhook_endpoints",
            &[
                ("url", "https://example.com/hook"),
                ("enabled_events[]", "*"),
            ],
        )
        .await;
    emulator
        .ok(
            "/v1/test_helpers/test_clocks",
            &[("frozen_time", "1800000000")],
        )
        .await;
    let gone = emulator
        .ok("/v1/customers", &[("email", "gone@example.com")])
        .await;
    let deleted: Value = emulator
        .client
        .delete(emulator.url(&format!("/v1/customers/{}", gone["id"].as_str().unwrap())))
        .bearer_auth(crate::helpers::KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    emulator
        .ok(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("allowed_payment_method_types[]", "card"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    emulator
        .ok(
            "/v1/setup_intents",
            &[("customer", &customer), ("payment_method", "pm_card_visa")],
        )
        .await;
    emulator
        .ok(
            "/v1/plans",
            &[
                ("amount", "500"),
                ("currency", "usd"),
                ("interval", "month"),
                ("product[name]", "Legacy"),
            ],
        )
        .await;
    emulator
        .ok(
            "/v1/invoiceitems",
            &[
                ("customer", &customer),
                ("amount", "300"),
                ("currency", "usd"),
            ],
        )
        .await;
    emulator
        .ok(
            "/v1/billing_portal/configurations",
            &[("features[invoice_history][enabled]", "true")],
        )
        .await;
    emulator.advance_days(35).await;

    let mut seen = BTreeMap::new();
    kinds_in(&portal, &mut seen);
    kinds_in(&deleted, &mut seen);
    for path in [
        "/v1/products?limit=100",
        "/v1/prices?limit=100&expand[]=data.product",
        "/v1/customers?limit=100",
        &format!("/v1/customers/{customer}/payment_methods"),
        "/v1/subscriptions?status=all&expand[]=data.latest_invoice",
        &format!("/v1/subscription_items?subscription={subscription}"),
        "/v1/invoices?limit=100",
        "/v1/checkout/sessions?limit=100",
        &format!("/v1/checkout/sessions/{session}/line_items"),
        "/v1/events?limit=100",
        "/v1/webhook_endpoints",
        "/v1/test_helpers/test_clocks",
        "/v1/payment_intents",
        "/v1/charges",
        "/v1/setup_intents",
        "/v1/plans",
        "/v1/invoiceitems",
        "/v1/billing_portal/configurations",
    ] {
        kinds_in(&emulator.fetch(path).await, &mut seen);
    }
    // The money after the sale: a refund, a dispute, a file, a payout and the balance.
    let charge = emulator.pay(2000, "pm_card_bypassPending").await;
    emulator
        .ok(
            "/v1/refunds",
            &[
                ("charge", charge["id"].as_str().unwrap()),
                ("amount", "100"),
            ],
        )
        .await;
    emulator.pay(1000, "pm_card_createDispute").await;
    emulator
        .upload("dispute_evidence", "receipt.pdf", b"%PDF-1.4")
        .await;
    emulator
        .ok("/v1/payouts", &[("amount", "100"), ("currency", "usd")])
        .await;
    emulator
        .ok("/v1/topups", &[("amount", "500"), ("currency", "usd")])
        .await;
    for path in [
        "/v1/balance",
        "/v1/balance_transactions?limit=100",
        "/v1/refunds",
        "/v1/disputes",
        "/v1/files",
        "/v1/payouts",
        "/v1/topups",
    ] {
        kinds_in(&emulator.fetch(path).await, &mut seen);
    }
    // The older card sources: a token, a card added from it and one from a test token, one deleted.
    let token = emulator
        .ok(
            "/v1/tokens",
            &[
                ("card[number]", "4242424242424242"),
                ("card[exp_month]", "8"),
                ("card[exp_year]", "2031"),
            ],
        )
        .await;
    kinds_in(&token, &mut seen);
    let sources = format!("/v1/customers/{customer}/sources");
    emulator
        .ok(&sources, &[("source", token["id"].as_str().unwrap())])
        .await;
    let spare = emulator.ok(&sources, &[("source", "tok_visa")]).await;
    let (_, deleted_card) = emulator
        .delete(&format!("{sources}/{}", spare["id"].as_str().unwrap()))
        .await;
    kinds_in(&deleted_card, &mut seen);
    for path in [
        sources.clone(),
        format!("/v1/customers/{customer}?expand[]=sources&expand[]=default_source"),
        format!("/v1/customers/{customer}/payment_methods"),
    ] {
        kinds_in(&emulator.fetch(&path).await, &mut seen);
    }
    let invoices = emulator.fetch("/v1/invoices?limit=1").await;
    let invoice = invoices["data"][0]["id"].as_str().unwrap();
    kinds_in(
        &emulator
            .fetch(&format!("/v1/invoices/{invoice}/lines"))
            .await,
        &mut seen,
    );

    for kind in [
        "card",
        "deleted card",
        "token",
        "topup",
        "balance",
        "balance_transaction",
        "dispute",
        "file",
        "payout",
        "refund",
        "billing_portal.configuration",
        "billing_portal.session",
        "charge",
        "checkout.session",
        "customer",
        "deleted customer",
        "event",
        "invoice",
        "item",
        "line_item",
        "invoiceitem",
        "payment_intent",
        "payment_method",
        "plan",
        "price",
        "product",
        "setup_intent",
        "subscription",
        "subscription_item",
        "test_helpers.test_clock",
        "webhook_endpoint",
    ] {
        assert!(seen.contains_key(kind), "no {kind} was checked: {seen:?}");
    }
}
