//! Balance transactions and the Balance: a captured charge's money less Stripe's fee, pending for
//! two days of the emulator's clock, then available with `balance.available`.

use crate::helpers::Emulator;

#[tokio::test]
async fn a_charge_of_20_dollars_nets_19_12_after_the_2_9_percent_and_30_cent_fee() {
    let emulator = Emulator::start().await;
    let charge = emulator.pay(2000, "pm_card_visa").await;
    let id = charge["id"].as_str().unwrap();
    let txn = charge["balance_transaction"].as_str().unwrap();
    assert!(txn.starts_with("txn_"), "{charge}");

    let expanded = emulator
        .fetch(&format!("/v1/charges/{id}?expand[]=balance_transaction"))
        .await;
    let transaction = &expanded["balance_transaction"];
    assert_eq!(transaction["object"], "balance_transaction");
    assert_eq!(
        (
            transaction["amount"].as_i64(),
            transaction["fee"].as_i64(),
            transaction["net"].as_i64()
        ),
        (Some(2000), Some(88), Some(1912))
    );
    assert_eq!(transaction["type"], "charge");
    assert_eq!(transaction["reporting_category"], "charge");
    assert_eq!(transaction["source"], id);
    assert_eq!(transaction["status"], "pending");
    assert_eq!(
        transaction["available_on"].as_i64().unwrap() - transaction["created"].as_i64().unwrap(),
        2 * 86_400
    );
    assert_eq!(transaction["fee_details"][0]["amount"], 88);
    assert_eq!(transaction["fee_details"][0]["type"], "stripe_fee");
    assert_eq!(
        transaction["fee_details"][0]["description"],
        "Stripe processing fees"
    );

    let intent = charge["payment_intent"].as_str().unwrap();
    let with_charge = emulator
        .fetch(&format!(
            "/v1/payment_intents/{intent}?expand[]=latest_charge.balance_transaction"
        ))
        .await;
    assert_eq!(
        with_charge["latest_charge"]["balance_transaction"]["net"],
        1912
    );
    let listed = emulator
        .fetch("/v1/charges?expand[]=data.balance_transaction")
        .await;
    assert_eq!(listed["data"][0]["balance_transaction"]["fee"], 88);
}

#[tokio::test]
async fn the_money_is_pending_for_two_days_then_available_with_balance_available() {
    let emulator = Emulator::start().await;
    assert_eq!(emulator.usd_balance().await, (0, 0));
    emulator.pay(2000, "pm_card_visa").await;
    emulator.pay(1000, "pm_card_visa").await;
    // 1000 − (29 + 30) = 941
    assert_eq!(emulator.usd_balance().await, (0, 1912 + 941));

    emulator.advance_days(1).await;
    assert_eq!(emulator.usd_balance().await, (0, 2853));
    assert!(!emulator
        .event_types()
        .await
        .contains(&"balance.available".to_owned()));

    emulator.advance_days(1).await;
    assert_eq!(emulator.usd_balance().await, (2853, 0));
    let events = emulator.fetch("/v1/events?type=balance.available").await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1);
    assert_eq!(events["data"][0]["data"]["object"]["object"], "balance");
    assert_eq!(
        events["data"][0]["data"]["object"]["available"][0]["amount"],
        2853
    );

    let transactions = emulator.fetch("/v1/balance_transactions").await;
    assert!(transactions["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|transaction| transaction["status"] == "available"));
}

#[tokio::test]
async fn a_capture_later_records_the_captured_amount_only() {
    let emulator = Emulator::start().await;
    let intent = emulator
        .ok(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("allowed_payment_method_types[]", "card"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    let charge = intent["latest_charge"].as_str().unwrap();
    let authorized = emulator.fetch(&format!("/v1/charges/{charge}")).await;
    assert!(authorized["balance_transaction"].is_null());
    assert_eq!(emulator.usd_balance().await, (0, 0));

    let id = intent["id"].as_str().unwrap();
    emulator
        .ok(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "1500")],
        )
        .await;
    let captured = emulator
        .fetch(&format!(
            "/v1/charges/{charge}?expand[]=balance_transaction"
        ))
        .await;
    // 1500 × 2.9 % = 43.5 → 44, + 30
    assert_eq!(captured["balance_transaction"]["amount"], 1500);
    assert_eq!(captured["balance_transaction"]["fee"], 74);
    assert_eq!(emulator.usd_balance().await, (0, 1426));
}

#[tokio::test]
async fn balance_transactions_filter_by_type_and_source_and_page() {
    let emulator = Emulator::start().await;
    let first = emulator.pay(2000, "pm_card_visa").await;
    emulator.pay(3000, "pm_card_visa").await;
    emulator.pay(4000, "pm_card_visa").await;
    let id = first["id"].as_str().unwrap();
    let by_source = emulator
        .fetch(&format!("/v1/balance_transactions?source={id}"))
        .await;
    assert_eq!(by_source["data"].as_array().unwrap().len(), 1);
    assert_eq!(by_source["data"][0]["amount"], 2000);
    let page = emulator
        .fetch("/v1/balance_transactions?type=charge&limit=2")
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(page["has_more"], true);
    let last = page["data"][1]["id"].as_str().unwrap();
    let rest = emulator
        .fetch(&format!(
            "/v1/balance_transactions?type=charge&starting_after={last}"
        ))
        .await;
    assert_eq!(rest["data"][0]["amount"], 2000);
    assert_eq!(rest["has_more"], false);
    let none = emulator.fetch("/v1/balance_transactions?type=refund").await;
    assert!(none["data"].as_array().unwrap().is_empty());

    let missing = emulator.get("/v1/balance_transactions/txn_nope").await;
    assert_eq!(missing.0, 404);
    assert_eq!(missing.1["error"]["code"], "resource_missing");
}

#[tokio::test]
async fn each_paid_subscription_invoice_is_a_charge_on_the_ledger() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    emulator.subscribe(&customer, &price, &[]).await;
    let charges = emulator
        .fetch(&format!(
            "/v1/charges?customer={customer}&expand[]=data.balance_transaction"
        ))
        .await;
    assert_eq!(charges["data"].as_array().unwrap().len(), 1, "{charges}");
    assert_eq!(charges["data"][0]["balance_transaction"]["net"], 1912);
    let intent = emulator
        .fetch(&format!(
            "/v1/payment_intents/{}",
            charges["data"][0]["payment_intent"].as_str().unwrap()
        ))
        .await;
    assert_eq!(intent["description"], "Subscription creation");

    emulator.advance_days(31).await;
    let charges = emulator
        .fetch(&format!("/v1/charges?customer={customer}"))
        .await;
    assert_eq!(charges["data"].as_array().unwrap().len(), 2);
    assert_eq!(emulator.usd_balance().await, (1912, 1912));
}

#[tokio::test]
async fn the_0077_card_bypasses_the_pending_balance() {
    let emulator = Emulator::start().await;
    emulator.pay(2000, "pm_card_bypassPending").await;
    assert_eq!(emulator.usd_balance().await, (1912, 0));
    let types = emulator.event_types().await;
    assert!(
        types.ends_with(&[
            "payment_intent.succeeded".to_owned(),
            "balance.available".to_owned()
        ]),
        "{types:?}"
    );
}
