//! Errors in Stripe's shape and status codes.

use crate::helpers::Emulator;

#[tokio::test]
async fn requests_without_a_valid_key_are_401() {
    let emulator = Emulator::start().await;
    let missing = emulator
        .client
        .get(emulator.url("/v1/products"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    let wrong = emulator
        .client
        .get(emulator.url("/v1/products"))
        .bearer_auth("pk_live_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn missing_and_unknown_parameters_are_named() {
    let emulator = Emulator::start().await;
    let (status, body) = emulator.post("/v1/products", &[]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("parameter_missing"))
    );
    assert_eq!(body["error"]["param"], "name");
    let (status, body) = emulator
        .post("/v1/products", &[("name", "x"), ("colour", "red")])
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("parameter_unknown"))
    );
    assert_eq!(body["error"]["param"], "colour");
}

#[tokio::test]
async fn unknown_ids_are_404_resource_missing() {
    let emulator = Emulator::start().await;
    let (status, body) = emulator.get("/v1/customers/cus_nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "resource_missing");
    assert_eq!(body["error"]["message"], "No such customer: 'cus_nope'");
}

#[tokio::test]
async fn a_declined_card_is_a_402_card_error_with_its_decline_code() {
    let emulator = Emulator::start().await;
    let customer = emulator
        .ok("/v1/customers", &[("email", "a@example.com")])
        .await;
    let customer = customer["id"].as_str().unwrap();
    let (status, body) = emulator
        .post(
            "/v1/payment_methods/pm_card_chargeDeclined/attach",
            &[("customer", customer)],
        )
        .await;
    assert_eq!(status, 402);
    assert_eq!(body["error"]["type"], "card_error");
    assert_eq!(body["error"]["code"], "card_declined");
    assert_eq!(body["error"]["decline_code"], "generic_decline");
    let card = emulator
        .ok(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", "4000000000009995"),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
            ],
        )
        .await;
    let pm = card["id"].as_str().unwrap();
    let (status, body) = emulator
        .post(
            &format!("/v1/payment_methods/{pm}/attach"),
            &[("customer", customer)],
        )
        .await;
    assert_eq!(
        (status, body["error"]["decline_code"].as_str()),
        (402, Some("insufficient_funds"))
    );
}

#[tokio::test]
async fn a_product_with_prices_cannot_be_deleted() {
    let emulator = Emulator::start().await;
    emulator.monthly_price("Pro", 2000).await;
    let products = emulator.fetch("/v1/products").await;
    let id = products["data"][0]["id"].as_str().unwrap();
    let response = emulator
        .client
        .delete(emulator.url(&format!("/v1/products/{id}")))
        .bearer_auth(crate::helpers::KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn out_of_range_numbers_and_urls_are_refused_before_anything_is_made() {
    let emulator = Emulator::start().await;
    let product = emulator.ok("/v1/products", &[("name", "Pro")]).await;
    let product = product["id"].as_str().unwrap();
    let (status, body) = emulator
        .post(
            "/v1/prices",
            &[
                ("product", product),
                ("currency", "usd"),
                ("unit_amount", "9223372036854775807"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("unit_amount"))
    );
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    for (param, value) in [
        ("items[0][quantity]", "-5"),
        ("trial_period_days", "100000"),
        ("trial_end", "-9223372036854775808"),
    ] {
        let (status, body) = emulator
            .post(
                "/v1/subscriptions",
                &[
                    ("customer", &customer),
                    ("items[0][price]", &price),
                    (param, value),
                ],
            )
            .await;
        assert_eq!(status, 400, "{param}={value}: {body}");
    }
    let (status, body) = emulator
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("line_items[0][price]", &price),
                ("success_url", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("success_url"))
    );
    assert!(emulator.fetch("/v1/subscriptions").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
    let advance = emulator
        .client
        .post(emulator.url("/_emulator/clock/advance"))
        .form(&[("days", "99999999999")])
        .send()
        .await
        .unwrap();
    assert_eq!(advance.status(), 400);
}

#[tokio::test]
async fn a_subscription_cannot_switch_to_a_one_time_price() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    let product = emulator.ok("/v1/products", &[("name", "Lifetime")]).await;
    let lifetime = emulator
        .ok(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("currency", "usd"),
                ("unit_amount", "9900"),
            ],
        )
        .await;
    let item = subscription["items"]["data"][0]["id"].as_str().unwrap();
    let (status, body) = emulator
        .post(
            &format!("/v1/subscriptions/{}", subscription["id"].as_str().unwrap()),
            &[
                ("items[0][id]", item),
                ("items[0][price]", lifetime["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("items[0][price]"))
    );
}
