//! Checkout Sessions paid through `payment_pages` (as `stripe trigger` does): the same completion
//! as the hosted page, a PaymentIntent for `payment` mode, delayed debits that settle later.

use crate::helpers::Emulator;

async fn payment_session(emulator: &Emulator, currency: &str, extra: &[(&str, &str)]) -> String {
    let product = emulator.ok("/v1/products", &[("name", "Lamp")]).await;
    let price = emulator
        .ok(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("unit_amount", "1500"),
                ("currency", currency),
            ],
        )
        .await;
    let mut form = vec![
        ("mode", "payment"),
        ("success_url", "https://example.com/ok"),
        ("line_items[0][price]", price["id"].as_str().unwrap()),
        ("line_items[0][quantity]", "2"),
    ];
    form.extend_from_slice(extra);
    let session = emulator.ok("/v1/checkout/sessions", &form).await;
    session["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn confirming_a_payment_page_completes_the_session_with_a_paid_payment_intent() {
    let emulator = Emulator::start().await;
    let session = payment_session(&emulator, "usd", &[]).await;
    let page = emulator
        .fetch(&format!("/v1/payment_pages/{session}"))
        .await;
    assert_eq!(page["amount_total"], 3000);
    let method = emulator
        .ok(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[token]", "tok_visa"),
                ("billing_details[email]", "jenny@example.com"),
            ],
        )
        .await;
    emulator
        .ok(
            &format!("/v1/payment_pages/{session}/confirm"),
            &[
                ("payment_method", method["id"].as_str().unwrap()),
                ("expected_amount", "3000"),
            ],
        )
        .await;
    let completed = emulator
        .fetch(&format!("/v1/checkout/sessions/{session}"))
        .await;
    assert_eq!(
        (
            completed["status"].as_str(),
            completed["payment_status"].as_str(),
            completed["customer_details"]["email"].as_str()
        ),
        (Some("complete"), Some("paid"), Some("jenny@example.com"))
    );
    let intent = emulator
        .fetch(&format!(
            "/v1/payment_intents/{}",
            completed["payment_intent"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (intent["status"].as_str(), intent["amount"].as_i64()),
        (Some("succeeded"), Some(3000))
    );
    assert!(emulator.event_types().await.ends_with(&[
        "payment_intent.succeeded".to_owned(),
        "checkout.session.completed".to_owned()
    ]));
}

#[tokio::test]
async fn a_wrong_expected_amount_or_unknown_parameter_is_refused() {
    let emulator = Emulator::start().await;
    let session = payment_session(&emulator, "usd", &[]).await;
    let (status, _) = emulator
        .post(
            &format!("/v1/payment_pages/{session}/confirm"),
            &[
                ("payment_method", "pm_card_visa"),
                ("expected_amount", "100"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    let (status, body) = emulator
        .post(
            &format!("/v1/payment_pages/{session}/confirm"),
            &[("payment_method", "pm_card_visa"), ("tip", "5")],
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("parameter_unknown"))
    );
}

#[tokio::test]
async fn a_debit_completes_the_session_unpaid_then_the_async_outcome_follows() {
    let emulator = Emulator::start().await;
    let mut results = Vec::new();
    for iban in ["AT611904300234573201", "IT60X0542811101000000123456"] {
        let session = payment_session(
            &emulator,
            "eur",
            &[("allowed_payment_method_types[]", "sepa_debit")],
        )
        .await;
        let method = emulator
            .ok(
                "/v1/payment_methods",
                &[
                    ("type", "sepa_debit"),
                    ("sepa_debit[iban]", iban),
                    ("billing_details[email]", "jenny@example.com"),
                    ("billing_details[name]", "Jenny Rosen"),
                ],
            )
            .await;
        emulator
            .ok(
                &format!("/v1/payment_pages/{session}/confirm"),
                &[("payment_method", method["id"].as_str().unwrap())],
            )
            .await;
        let completed = emulator
            .fetch(&format!("/v1/checkout/sessions/{session}"))
            .await;
        assert_eq!(
            (
                completed["status"].as_str(),
                completed["payment_status"].as_str()
            ),
            (Some("complete"), Some("unpaid"))
        );
        emulator.running.emulator.advance(1);
        let settled = emulator
            .fetch(&format!("/v1/checkout/sessions/{session}"))
            .await;
        results.push(settled["payment_status"].as_str().unwrap().to_owned());
    }
    assert_eq!(results, ["paid", "unpaid"]);
    let types = emulator.event_types().await;
    assert!(types.contains(&"checkout.session.async_payment_succeeded".to_owned()));
    assert!(types.contains(&"checkout.session.async_payment_failed".to_owned()));
}

#[tokio::test]
async fn the_hosted_page_takes_an_iban_when_the_session_accepts_sepa_debit() {
    let emulator = Emulator::start().await;
    let session = payment_session(
        &emulator,
        "eur",
        &[("allowed_payment_method_types[]", "sepa_debit")],
    )
    .await;
    let url = emulator.url(&format!("/checkout/{session}"));
    assert!(emulator.page(&url).await.contains("IBAN"));
    let paid = emulator
        .submit(
            &url,
            &[
                ("email", "pat@example.com"),
                ("iban", "AT61 1904 3002 3457 3201"),
            ],
        )
        .await;
    assert_eq!(paid.location.as_deref(), Some("https://example.com/ok"));
    let completed = emulator
        .fetch(&format!("/v1/checkout/sessions/{session}"))
        .await;
    assert_eq!(completed["payment_status"], "unpaid");
    emulator.running.emulator.advance(1);
    let settled = emulator
        .fetch(&format!("/v1/checkout/sessions/{session}"))
        .await;
    assert_eq!(settled["payment_status"], "paid");
}

#[tokio::test]
async fn a_subscription_session_confirmed_through_payment_pages_ends_as_on_the_hosted_page() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 1500).await;
    let session = emulator
        .ok(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("success_url", "https://example.com/ok"),
                ("line_items[0][price]", &price),
            ],
        )
        .await;
    let id = session["id"].as_str().unwrap();
    let method = emulator
        .ok(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[token]", "tok_visa"),
                ("billing_details[email]", "sam@example.com"),
            ],
        )
        .await;
    emulator
        .ok(
            &format!("/v1/payment_pages/{id}/confirm"),
            &[
                ("payment_method", method["id"].as_str().unwrap()),
                ("expected_amount", "1500"),
            ],
        )
        .await;
    let completed = emulator
        .fetch(&format!("/v1/checkout/sessions/{id}?expand[]=subscription"))
        .await;
    assert_eq!(completed["payment_status"], "paid");
    assert_eq!(completed["subscription"]["status"], "active");
    assert_eq!(
        completed["subscription"]["default_payment_method"],
        method["id"]
    );
    let customer = emulator
        .fetch(&format!(
            "/v1/customers/{}",
            completed["customer"].as_str().unwrap()
        ))
        .await;
    assert_eq!(customer["email"], "sam@example.com");
}
