//! Subscriptions over time, driven by clock advances.

use crate::helpers::Emulator;

/// A customer on card 0341 whose one-day trial ended with a failed charge: (customer, subscription).
async fn past_due(emulator: &Emulator) -> (String, String) {
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_chargeCustomerFail").await;
    let subscription = emulator
        .subscribe(&customer, &price, &[("trial_period_days", "1")])
        .await;
    let id = subscription["id"].as_str().unwrap().to_owned();
    emulator.advance_days(2).await;
    assert_eq!(
        emulator.fetch(&format!("/v1/subscriptions/{id}")).await["status"],
        "past_due"
    );
    (customer, id)
}

#[tokio::test]
async fn a_trial_ends_with_a_paid_invoice_and_the_subscription_becomes_active() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator
        .subscribe(&customer, &price, &[("trial_period_days", "14")])
        .await;
    assert_eq!(subscription["status"], "trialing");
    let id = subscription["id"].as_str().unwrap();

    emulator.advance_days(12).await;
    assert!(emulator
        .event_types()
        .await
        .contains(&"customer.subscription.trial_will_end".to_owned()));
    emulator.advance_days(3).await;

    let subscription = emulator
        .fetch(&format!("/v1/subscriptions/{id}?expand[]=latest_invoice"))
        .await;
    assert_eq!(subscription["status"], "active");
    assert_eq!(subscription["latest_invoice"]["status"], "paid");
    assert_eq!(subscription["latest_invoice"]["amount_paid"], 2000);
    let item = &subscription["items"]["data"][0];
    assert_eq!(item["current_period_start"], subscription["trial_end"]);
    assert!(item["current_period_end"].as_i64() > item["current_period_start"].as_i64());
}

#[tokio::test]
async fn each_period_end_renews_with_a_new_paid_invoice() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    assert_eq!(subscription["status"], "active");
    let first_end = subscription["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap();

    emulator.advance_days(25).await;
    let upcoming = emulator.fetch("/v1/events?type=invoice.upcoming").await;
    assert_eq!(
        upcoming["data"].as_array().unwrap().len(),
        1,
        "invoice.upcoming a week before"
    );
    assert!(upcoming["data"][0]["data"]["object"]["id"].is_null());
    assert_eq!(upcoming["data"][0]["data"]["object"]["amount_due"], 2000);
    emulator.advance_days(7).await;

    let id = subscription["id"].as_str().unwrap();
    let renewed = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(renewed["status"], "active");
    assert_eq!(
        renewed["items"]["data"][0]["current_period_start"],
        first_end
    );
    let invoices = emulator
        .fetch(&format!("/v1/invoices?subscription={id}"))
        .await;
    let reasons: Vec<&str> = invoices["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|invoice| invoice["billing_reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["subscription_cycle", "subscription_create"]);
    assert!(invoices["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|invoice| invoice["status"] == "paid"));
}

#[tokio::test]
async fn a_renewal_on_a_failing_card_goes_past_due_then_canceled_after_the_retries() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_chargeCustomerFail").await;
    // 0341 attaches but every charge fails, so start on a trial and let the renewal fail.
    let subscription = emulator
        .subscribe(&customer, &price, &[("trial_period_days", "3")])
        .await;
    let id = subscription["id"].as_str().unwrap();

    emulator.advance_days(4).await;
    let past_due = emulator
        .fetch(&format!("/v1/subscriptions/{id}?expand[]=latest_invoice"))
        .await;
    assert_eq!(past_due["status"], "past_due");
    assert_eq!(past_due["latest_invoice"]["status"], "open");
    assert!(past_due["latest_invoice"]["next_payment_attempt"].is_i64());

    emulator.advance_days(20).await;
    let canceled = emulator
        .fetch(&format!("/v1/subscriptions/{id}?expand[]=latest_invoice"))
        .await;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["cancellation_details"]["reason"], "payment_failed");
    assert_eq!(canceled["latest_invoice"]["attempt_count"], 4);
    let types = emulator.event_types().await;
    assert_eq!(
        types
            .iter()
            .filter(|kind| *kind == "invoice.payment_failed")
            .count(),
        4
    );
    assert!(types.contains(&"customer.subscription.deleted".to_owned()));
}

#[tokio::test]
async fn a_past_due_subscription_recovers_when_the_card_is_replaced() {
    let emulator = Emulator::start().await;
    let (customer, id) = past_due(&emulator).await;
    let id = id.as_str();

    let card = emulator
        .ok(
            "/v1/payment_methods",
            &[("type", "card"), ("card[token]", "tok_visa")],
        )
        .await;
    let pm = card["id"].as_str().unwrap();
    emulator
        .ok(
            &format!("/v1/payment_methods/{pm}/attach"),
            &[("customer", &customer)],
        )
        .await;
    emulator
        .ok(
            &format!("/v1/subscriptions/{id}"),
            &[("default_payment_method", pm)],
        )
        .await;

    let recovered = emulator
        .fetch(&format!("/v1/subscriptions/{id}?expand[]=latest_invoice"))
        .await;
    assert_eq!(recovered["status"], "active");
    assert_eq!(recovered["latest_invoice"]["status"], "paid");
}

#[tokio::test]
async fn cancel_at_period_end_cancels_when_the_period_ends_and_not_before() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    let id = subscription["id"].as_str().unwrap();
    let updated = emulator
        .ok(
            &format!("/v1/subscriptions/{id}"),
            &[("cancel_at_period_end", "true")],
        )
        .await;
    assert_eq!(
        updated["cancel_at"],
        subscription["items"]["data"][0]["current_period_end"]
    );

    emulator.advance_days(20).await;
    assert_eq!(
        emulator.fetch(&format!("/v1/subscriptions/{id}")).await["status"],
        "active"
    );
    emulator.advance_days(15).await;
    let canceled = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(
        canceled["ended_at"],
        subscription["items"]["data"][0]["current_period_end"]
    );
    let invoices = emulator
        .fetch(&format!("/v1/invoices?subscription={id}"))
        .await;
    assert_eq!(
        invoices["data"].as_array().unwrap().len(),
        1,
        "no renewal invoice after cancel"
    );
}

#[tokio::test]
async fn a_trial_without_a_card_pauses_and_resumes_with_a_paid_invoice() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator
        .ok("/v1/customers", &[("email", "nocard@example.com")])
        .await;
    let customer = customer["id"].as_str().unwrap();
    let subscription = emulator
        .subscribe(
            customer,
            &price,
            &[
                ("trial_period_days", "7"),
                (
                    "trial_settings[end_behavior][missing_payment_method]",
                    "pause",
                ),
            ],
        )
        .await;
    let id = subscription["id"].as_str().unwrap();
    emulator.advance_days(8).await;
    assert_eq!(
        emulator.fetch(&format!("/v1/subscriptions/{id}")).await["status"],
        "paused"
    );

    let card = emulator
        .ok(
            "/v1/payment_methods/pm_card_visa/attach",
            &[("customer", customer)],
        )
        .await;
    let pm = card["id"].as_str().unwrap();
    emulator
        .ok(
            &format!("/v1/customers/{customer}"),
            &[("invoice_settings[default_payment_method]", pm)],
        )
        .await;
    let resumed = emulator
        .ok(
            &format!("/v1/subscriptions/{id}/resume?expand[]=latest_invoice"),
            &[],
        )
        .await;
    assert_eq!(resumed["status"], "active");
    assert_eq!(resumed["latest_invoice"]["status"], "paid");
    let types = emulator.event_types().await;
    assert!(types.contains(&"customer.subscription.paused".to_owned()));
    assert!(types.contains(&"customer.subscription.resumed".to_owned()));
}

#[tokio::test]
async fn a_test_clock_moves_only_its_own_customers() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let start = 1_800_000_000i64.to_string();
    let clock = emulator
        .ok("/v1/test_helpers/test_clocks", &[("frozen_time", &start)])
        .await;
    let clock_id = clock["id"].as_str().unwrap();
    let on_clock = emulator
        .ok(
            "/v1/customers",
            &[("test_clock", clock_id), ("payment_method", "pm_card_visa")],
        )
        .await;
    let on_clock = on_clock["id"].as_str().unwrap();
    let pm = emulator
        .fetch(&format!("/v1/customers/{on_clock}/payment_methods"))
        .await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let subscription = emulator
        .subscribe(on_clock, &price, &[("default_payment_method", &pm)])
        .await;
    assert_eq!(subscription["start_date"], 1_800_000_000);
    let elsewhere = emulator.customer_with("pm_card_visa").await;
    let other = emulator.subscribe(&elsewhere, &price, &[]).await;

    let target = (1_800_000_000i64 + 40 * 86_400).to_string();
    let advanced = emulator
        .ok(
            &format!("/v1/test_helpers/test_clocks/{clock_id}/advance"),
            &[("frozen_time", &target)],
        )
        .await;
    assert_eq!(advanced["status"], "advancing");
    assert_eq!(
        emulator
            .fetch(&format!("/v1/test_helpers/test_clocks/{clock_id}"))
            .await["status"],
        "ready"
    );

    let id = subscription["id"].as_str().unwrap();
    let invoices = emulator
        .fetch(&format!("/v1/invoices?subscription={id}"))
        .await;
    assert_eq!(
        invoices["data"].as_array().unwrap().len(),
        2,
        "the clock's subscription renewed"
    );
    let other_id = other["id"].as_str().unwrap();
    let other_invoices = emulator
        .fetch(&format!("/v1/invoices?subscription={other_id}"))
        .await;
    assert_eq!(
        other_invoices["data"].as_array().unwrap().len(),
        1,
        "others did not move"
    );
}

#[tokio::test]
async fn a_price_swap_mid_period_puts_prorations_on_the_next_invoice() {
    let emulator = Emulator::start().await;
    let hobby = emulator.monthly_price("Hobby", 1000).await;
    let pro = emulator.monthly_price("Pro", 3000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &hobby, &[]).await;
    let id = subscription["id"].as_str().unwrap();
    let item = subscription["items"]["data"][0]["id"].as_str().unwrap();
    emulator.advance_days(10).await;

    let preview = emulator
        .ok(
            "/v1/invoices/create_preview",
            &[
                ("subscription", id),
                ("subscription_details[items][0][id]", item),
                ("subscription_details[items][0][price]", &pro),
            ],
        )
        .await;
    let prorations: Vec<i64> = preview["lines"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["parent"]["subscription_item_details"]["proration"] == true)
        .map(|line| line["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(prorations.len(), 2);
    assert!(prorations[0] < 0 && prorations[1] > 0, "{prorations:?}");
    assert!(
        (prorations[1] + 3 * prorations[0]).abs() <= 2,
        "credit and charge are for the same time: {prorations:?}"
    );

    emulator
        .ok(
            &format!("/v1/subscriptions/{id}"),
            &[("items[0][id]", item), ("items[0][price]", &pro)],
        )
        .await;
    emulator.advance_days(25).await;
    let invoices = emulator
        .fetch(&format!("/v1/invoices?subscription={id}&limit=1"))
        .await;
    let lines = invoices["data"][0]["lines"]["data"].as_array().unwrap();
    assert_eq!(
        lines.len(),
        3,
        "the new period plus credit and charge: {lines:?}"
    );
    assert_eq!(
        invoices["data"][0]["total"].as_i64().unwrap(),
        3000 + prorations[0] + prorations[1]
    );
}

#[tokio::test]
async fn updating_a_past_due_customer_without_a_new_card_does_not_spend_retries() {
    let emulator = Emulator::start().await;
    let (customer, id) = past_due(&emulator).await;
    let before = emulator
        .fetch(&format!("/v1/subscriptions/{id}?expand[]=latest_invoice"))
        .await;
    for n in 0..5 {
        emulator
            .ok(
                &format!("/v1/customers/{customer}"),
                &[("name", &format!("Name {n}"))],
            )
            .await;
    }
    let after = emulator
        .fetch(&format!("/v1/subscriptions/{id}?expand[]=latest_invoice"))
        .await;
    assert_eq!(after["status"], "past_due");
    assert_eq!(
        after["latest_invoice"]["attempt_count"],
        before["latest_invoice"]["attempt_count"]
    );
}

#[tokio::test]
async fn an_unpaid_first_invoice_is_voided_when_the_subscription_expires() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator
        .subscribe(
            &customer,
            &price,
            &[("payment_behavior", "default_incomplete")],
        )
        .await;
    assert_eq!(subscription["status"], "incomplete");
    emulator.advance_days(1).await;
    let id = subscription["id"].as_str().unwrap();
    let expired = emulator
        .fetch(&format!("/v1/subscriptions/{id}?expand[]=latest_invoice"))
        .await;
    assert_eq!(expired["status"], "incomplete_expired");
    assert_eq!(expired["latest_invoice"]["status"], "void");
    assert!(emulator
        .event_types()
        .await
        .contains(&"invoice.voided".to_owned()));
}

#[tokio::test]
async fn a_trial_end_timestamp_moves_the_end_of_the_trial_and_cancel_keeps_its_comment() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator
        .subscribe(&customer, &price, &[("trial_period_days", "7")])
        .await;
    let id = subscription["id"].as_str().unwrap();
    let later = (subscription["trial_end"].as_i64().unwrap() + 7 * 86_400).to_string();
    let extended = emulator
        .ok(&format!("/v1/subscriptions/{id}"), &[("trial_end", &later)])
        .await;
    assert_eq!(extended["trial_end"].to_string(), later);
    emulator.advance_days(10).await;
    assert_eq!(
        emulator.fetch(&format!("/v1/subscriptions/{id}")).await["status"],
        "trialing"
    );
    let response = emulator
        .client
        .delete(emulator.url(&format!("/v1/subscriptions/{id}")))
        .bearer_auth(crate::helpers::KEY)
        .form(&[("cancellation_details[comment]", "Too expensive")])
        .send()
        .await
        .unwrap();
    let canceled: serde_json::Value = response.json().await.unwrap();
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["cancellation_details"]["comment"], "Too expensive");
}

#[tokio::test]
async fn a_trial_shorter_than_three_days_announces_its_end_at_once() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    emulator
        .subscribe(&customer, &price, &[("trial_period_days", "1")])
        .await;
    let types = emulator.event_types().await;
    assert_eq!(
        types
            .iter()
            .filter(|kind| *kind == "customer.subscription.trial_will_end")
            .count(),
        1
    );
    emulator.advance_days(2).await;
    let types = emulator.event_types().await;
    assert_eq!(
        types
            .iter()
            .filter(|kind| *kind == "customer.subscription.trial_will_end")
            .count(),
        1,
        "announced once, not again at the end"
    );
}

#[tokio::test]
async fn creating_and_deleting_a_test_clock_emit_their_events() {
    let emulator = Emulator::start().await;
    let clock = emulator
        .ok(
            "/v1/test_helpers/test_clocks",
            &[("frozen_time", "1800000000")],
        )
        .await;
    let (status, _) = emulator
        .delete(&format!(
            "/v1/test_helpers/test_clocks/{}",
            clock["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        emulator.event_types().await,
        [
            "test_helpers.test_clock.created",
            "test_helpers.test_clock.deleted"
        ]
    );
}
