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

/// `(status, code, param, message)` of an error answer.
fn error_of((status, body): (u16, serde_json::Value)) -> (u16, Option<String>, String, String) {
    let error = &body["error"];
    (
        status,
        error["code"].as_str().map(str::to_owned),
        error["param"].as_str().unwrap_or_default().to_owned(),
        error["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn checkout_parameters_are_checked_against_stripes_description_before_anything_is_made() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2_900).await;
    let base = [
        ("mode", "subscription"),
        ("line_items[0][price]", price.as_str()),
        ("line_items[0][quantity]", "1"),
        ("success_url", "https://example.com/ok"),
    ];
    let with = |extra: (&'static str, &'static str)| {
        let mut form = base.to_vec();
        form.push(extra);
        form
    };

    // A value outside the enum: Stripe's list has no code for it, only the parameter.
    let (status, code, param, message) = error_of(
        emulator
            .post("/v1/checkout/sessions", &with(("ui_mode", "hosted")))
            .await,
    );
    assert_eq!((status, code, param.as_str()), (400, None, "ui_mode"));
    assert!(message.contains("hosted_page"), "{message}");
    let (_, _, param, _) = error_of(
        emulator
            .post(
                "/v1/checkout/sessions",
                &with(("billing_address_collection", "sometimes")),
            )
            .await,
    );
    assert_eq!(param, "billing_address_collection");

    // A parameter this API version no longer has.
    let (status, code, param, _) = error_of(
        emulator
            .post(
                "/v1/checkout/sessions",
                &with(("payment_method_types[0]", "card")),
            )
            .await,
    );
    assert_eq!(
        (status, code.as_deref(), param.as_str()),
        (400, Some("parameter_unknown"), "payment_method_types")
    );

    // A required parameter left out.
    let (status, code, param, _) = error_of(
        emulator
            .post(
                "/v1/prices",
                &[("unit_amount", "100"), ("product", "prod_x")],
            )
            .await,
    );
    assert_eq!(
        (status, code.as_deref(), param.as_str()),
        (400, Some("parameter_missing"), "currency")
    );

    // Integers are integers.
    let (status, code, param, _) = error_of(emulator.get("/v1/prices?limit=ten").await);
    assert_eq!(
        (status, code.as_deref(), param.as_str()),
        (400, Some("parameter_invalid_integer"), "limit")
    );

    let sessions = emulator.fetch("/v1/checkout/sessions").await;
    assert_eq!(
        sessions["data"].as_array().unwrap().len(),
        0,
        "nothing made"
    );
    let session = emulator.ok("/v1/checkout/sessions", &base).await;
    assert_eq!(
        session["ui_mode"], "hosted_page",
        "this version's name for it"
    );
}

#[tokio::test]
async fn resume_takes_the_billing_cycle_anchor_as_a_hash_as_stripe_does_since_2026_09_30() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2_900).await;
    let customer = emulator
        .ok("/v1/customers", &[("email", "a@example.com")])
        .await;
    let subscription = emulator
        .subscribe(
            customer["id"].as_str().unwrap(),
            &price,
            &[
                ("trial_period_days", "1"),
                (
                    "trial_settings[end_behavior][missing_payment_method]",
                    "pause",
                ),
            ],
        )
        .await;
    let id = subscription["id"].as_str().unwrap();
    emulator.advance_days(2).await;
    let customer = customer["id"].as_str().unwrap();
    let card = emulator
        .ok(
            "/v1/payment_methods/pm_card_visa/attach",
            &[("customer", customer)],
        )
        .await;
    emulator
        .ok(
            &format!("/v1/customers/{customer}"),
            &[(
                "invoice_settings[default_payment_method]",
                card["id"].as_str().unwrap(),
            )],
        )
        .await;
    let path = format!("/v1/subscriptions/{id}/resume");

    let (status, _, param, _) = error_of(
        emulator
            .post(&path, &[("billing_cycle_anchor", "now")])
            .await,
    );
    assert_eq!((status, param.as_str()), (400, "billing_cycle_anchor"));
    let (status, _, param, _) = error_of(
        emulator
            .post(&path, &[("billing_cycle_anchor[type]", "later")])
            .await,
    );
    assert_eq!(
        (status, param.as_str()),
        (400, "billing_cycle_anchor[type]")
    );

    let resumed = emulator
        .ok(&path, &[("billing_cycle_anchor[type]", "now")])
        .await;
    assert_eq!(resumed["status"], "active");
}

#[tokio::test]
async fn price_and_product_lists_hold_only_active_ones_unless_archived_ones_are_asked_for() {
    let emulator = Emulator::start().await;
    let kept = emulator.monthly_price("Pro", 2_900).await;
    let archived = emulator.monthly_price("Legacy", 1_900).await;
    emulator
        .ok(&format!("/v1/prices/{archived}"), &[("active", "false")])
        .await;
    let ids = |list: serde_json::Value| -> Vec<String> {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|price| price["id"].as_str().unwrap().to_owned())
            .collect()
    };

    assert_eq!(ids(emulator.fetch("/v1/prices").await), [kept.as_str()]);
    assert_eq!(
        ids(emulator.fetch("/v1/prices?active=false").await),
        [archived.as_str()]
    );
    assert_eq!(
        ids(emulator.fetch("/v1/prices?active=true").await),
        [kept.as_str()]
    );
    let legacy = emulator.fetch(&format!("/v1/prices/{archived}")).await;
    let product = legacy["product"].as_str().unwrap();
    emulator
        .ok(&format!("/v1/products/{product}"), &[("active", "false")])
        .await;
    let products = emulator.fetch("/v1/products").await;
    assert!(!ids(products).contains(&product.to_owned()));
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
