//! The hosted Checkout page driven as a browser would post its form (the Playwright suite does it
//! in Chromium): completion, declines, trials without a card, one-time payments, expired sessions.

use crate::helpers::Emulator;

/// Posts the Checkout form without following the redirect; returns status, Location and body.
async fn pay(emulator: &Emulator, url: &str, card: Option<&str>) -> (u16, Option<String>, String) {
    let mut form = vec![("email", "pat@example.com"), ("name", "Pat")];
    if let Some(card) = card {
        form.extend([
            ("card_number", card),
            ("card_expiry", "12 / 34"),
            ("card_cvc", "123"),
        ]);
    }
    let paid = emulator.submit(url, &form).await;
    (paid.status, paid.location, paid.body)
}

async fn session(emulator: &Emulator, price: &str, extra: &[(&str, &str)]) -> serde_json::Value {
    let mut form = vec![
        ("mode", "subscription"),
        ("line_items[0][price]", price),
        (
            "success_url",
            "http://app.test/done?session={CHECKOUT_SESSION_ID}",
        ),
        ("cancel_url", "http://app.test/pricing"),
    ];
    form.extend_from_slice(extra);
    emulator.ok("/v1/checkout/sessions", &form).await
}

#[tokio::test]
async fn paying_completes_the_session_creates_everything_and_redirects_with_the_session_id() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let session = session(&emulator, &price, &[("client_reference_id", "user-7")]).await;
    let id = session["id"].as_str().unwrap();
    let page = emulator
        .client
        .get(session["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("$20.00") && page.contains("Pro"),
        "the page shows the line item"
    );

    let (status, location, _) = pay(
        &emulator,
        session["url"].as_str().unwrap(),
        Some("4242424242424242"),
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some(format!("http://app.test/done?session={id}").as_str())
    );

    let done = emulator
        .fetch(&format!(
            "/v1/checkout/sessions/{id}?expand[]=subscription&expand[]=line_items"
        ))
        .await;
    assert_eq!(
        (done["status"].as_str(), done["payment_status"].as_str()),
        (Some("complete"), Some("paid"))
    );
    assert_eq!(done["client_reference_id"], "user-7");
    assert_eq!(done["customer_details"]["email"], "pat@example.com");
    assert_eq!(done["subscription"]["status"], "active");
    assert_eq!(done["line_items"]["data"][0]["price"]["id"], price.as_str());
    let types = emulator.event_types().await;
    for expected in [
        "customer.created",
        "payment_method.attached",
        "customer.subscription.created",
        "invoice.paid",
        "checkout.session.completed",
    ] {
        assert!(
            types.contains(&expected.to_owned()),
            "{expected} in {types:?}"
        );
    }
    let again = emulator
        .client
        .get(session["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 410);
    assert!(again.text().await.unwrap().contains("Already paid"));
}

#[tokio::test]
async fn a_declined_card_shows_the_decline_and_leaves_the_session_open() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let session = session(&emulator, &price, &[]).await;
    let (status, _, body) = pay(
        &emulator,
        session["url"].as_str().unwrap(),
        Some("4000000000009995"),
    )
    .await;
    assert_eq!(status, 402);
    assert!(body.contains("Your card has insufficient funds."));
    let open = emulator
        .fetch(&format!(
            "/v1/checkout/sessions/{}",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(open["status"], "open");
    assert!(
        emulator.fetch("/v1/customers").await["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "no customer was made"
    );
}

#[tokio::test]
async fn a_trial_that_needs_no_card_starts_without_one() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let session = session(
        &emulator,
        &price,
        &[
            ("subscription_data[trial_period_days]", "14"),
            ("payment_method_collection", "if_required"),
        ],
    )
    .await;
    assert_eq!(session["amount_total"], 0);
    let (status, _, _) = pay(&emulator, session["url"].as_str().unwrap(), None).await;
    assert_eq!(status, 303);
    let done = emulator
        .fetch(&format!(
            "/v1/checkout/sessions/{}?expand[]=subscription",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(done["payment_status"], "no_payment_required");
    assert_eq!(done["subscription"]["status"], "trialing");
    assert!(done["subscription"]["default_payment_method"].is_null());
}

#[tokio::test]
async fn a_one_time_price_is_paid_in_payment_mode_without_a_subscription() {
    let emulator = Emulator::start().await;
    let product = emulator.ok("/v1/products", &[("name", "Lifetime")]).await;
    let price = emulator
        .ok(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("currency", "usd"),
                ("unit_amount", "19900"),
            ],
        )
        .await;
    let session = emulator
        .ok(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", price["id"].as_str().unwrap()),
                ("success_url", "http://app.test/done"),
            ],
        )
        .await;
    let (status, _, _) = pay(
        &emulator,
        session["url"].as_str().unwrap(),
        Some("4242424242424242"),
    )
    .await;
    assert_eq!(status, 303);
    let done = emulator
        .fetch(&format!(
            "/v1/checkout/sessions/{}",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (
            done["payment_status"].as_str(),
            done["amount_total"].as_i64()
        ),
        (Some("paid"), Some(19900))
    );
    assert!(done["subscription"].is_null());
    assert!(done["payment_intent"].as_str().unwrap().starts_with("pi_"));
}

#[tokio::test]
async fn an_expired_session_shows_a_clear_page_with_the_way_back() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let session = session(&emulator, &price, &[]).await;
    let url = session["url"].as_str().unwrap().to_owned();
    emulator
        .ok(
            &format!(
                "/v1/checkout/sessions/{}/expire",
                session["id"].as_str().unwrap()
            ),
            &[],
        )
        .await;
    let page = emulator.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 410);
    let body = page.text().await.unwrap();
    assert!(body.contains("has expired") && body.contains("http://app.test/pricing"));
    assert!(emulator
        .event_types()
        .await
        .contains(&"checkout.session.expired".to_owned()));
    let missing = emulator
        .client
        .get(emulator.url("/checkout/cs_test_nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_card_whose_later_charges_fail_can_start_a_trial_on_the_checkout_page() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let session = session(
        &emulator,
        &price,
        &[("subscription_data[trial_period_days]", "7")],
    )
    .await;
    let (status, _, body) = pay(
        &emulator,
        session["url"].as_str().unwrap(),
        Some("4000000000000341"),
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let done = emulator
        .fetch(&format!(
            "/v1/checkout/sessions/{}?expand[]=subscription",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(done["subscription"]["status"], "trialing");
}
