//! PaymentIntents and their Charges: the status machine driven by test payment methods, declines,
//! manual capture, cancellation, SEPA debits that settle later.

use crate::helpers::Emulator;

const CARD_ONLY: (&str, &str) = ("allowed_payment_method_types[]", "card");

#[tokio::test]
async fn a_payment_intent_moves_from_requires_payment_method_to_succeeded_with_a_charge() {
    let emulator = Emulator::start().await;
    let created = emulator
        .ok(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd"), CARD_ONLY],
        )
        .await;
    assert_eq!(created["status"], "requires_payment_method");
    assert_eq!(created["latest_charge"], serde_json::Value::Null);
    let id = created["id"].as_str().unwrap();
    let updated = emulator
        .ok(
            &format!("/v1/payment_intents/{id}"),
            &[("payment_method", "pm_card_visa")],
        )
        .await;
    assert_eq!(updated["status"], "requires_confirmation");
    let confirmed = emulator
        .ok(&format!("/v1/payment_intents/{id}/confirm"), &[])
        .await;
    assert_eq!(confirmed["status"], "succeeded");
    assert_eq!(confirmed["amount_received"], 2000);
    let charge_id = confirmed["latest_charge"].as_str().unwrap();
    let charge = emulator.fetch(&format!("/v1/charges/{charge_id}")).await;
    assert_eq!(
        (
            &charge["status"],
            &charge["captured"],
            &charge["amount_captured"],
            &charge["payment_intent"]
        ),
        (
            &serde_json::json!("succeeded"),
            &serde_json::json!(true),
            &serde_json::json!(2000),
            &serde_json::json!(id)
        )
    );
    let listed = emulator
        .fetch(&format!("/v1/charges?payment_intent={id}"))
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let types = emulator.event_types().await;
    assert_eq!(
        types,
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.succeeded"
        ]
    );
}

#[tokio::test]
async fn a_declined_card_answers_402_and_leaves_the_intent_waiting_for_another_method() {
    let emulator = Emulator::start().await;
    let (status, body) = emulator
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                CARD_ONLY,
                ("payment_method", "pm_card_chargeDeclined"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(status, 402);
    let error = &body["error"];
    assert_eq!(
        (
            error["type"].as_str(),
            error["code"].as_str(),
            error["decline_code"].as_str()
        ),
        (
            Some("card_error"),
            Some("card_declined"),
            Some("generic_decline")
        )
    );
    let id = error["payment_intent"]["id"].as_str().unwrap();
    let intent = emulator.fetch(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(intent["status"], "requires_payment_method");
    assert_eq!(intent["payment_method"], serde_json::Value::Null);
    assert_eq!(
        intent["last_payment_error"]["decline_code"],
        "generic_decline"
    );
    let charge = emulator
        .fetch(&format!(
            "/v1/charges/{}",
            intent["latest_charge"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (charge["status"].as_str(), charge["failure_code"].as_str()),
        (Some("failed"), Some("card_declined"))
    );
    assert!(emulator.event_types().await.ends_with(&[
        "charge.failed".to_owned(),
        "payment_intent.payment_failed".to_owned()
    ]));
    let retried = emulator
        .ok(
            &format!("/v1/payment_intents/{id}/confirm"),
            &[("payment_method", "pm_card_visa")],
        )
        .await;
    assert_eq!(retried["status"], "succeeded");
}

#[tokio::test]
async fn a_manual_capture_intent_is_authorized_then_captured_in_part() {
    let emulator = Emulator::start().await;
    let authorized = emulator
        .ok(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                CARD_ONLY,
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(authorized["status"], "requires_capture");
    assert_eq!(authorized["amount_capturable"], 2000);
    let id = authorized["id"].as_str().unwrap();
    let captured = emulator
        .ok(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "1500")],
        )
        .await;
    assert_eq!(
        (
            captured["status"].as_str(),
            captured["amount_received"].as_i64(),
            captured["amount_capturable"].as_i64()
        ),
        (Some("succeeded"), Some(1500), Some(0))
    );
    let charge = emulator
        .fetch(&format!(
            "/v1/charges/{}",
            captured["latest_charge"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (
            charge["captured"].as_bool(),
            charge["amount_captured"].as_i64(),
            charge["amount_refunded"].as_i64()
        ),
        (Some(true), Some(1500), Some(500))
    );
    let types = emulator.event_types().await;
    assert!(types.contains(&"payment_intent.amount_capturable_updated".to_owned()));
    assert!(types.contains(&"charge.captured".to_owned()));
}

#[tokio::test]
async fn capturing_an_intent_that_is_not_authorized_is_refused() {
    let emulator = Emulator::start().await;
    let intent = emulator
        .ok(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd"), CARD_ONLY],
        )
        .await;
    let id = intent["id"].as_str().unwrap();
    let (status, body) = emulator
        .post(&format!("/v1/payment_intents/{id}/capture"), &[])
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "payment_intent_unexpected_state");
    assert_eq!(body["error"]["payment_intent"]["id"], id);
}

#[tokio::test]
async fn canceling_a_succeeded_intent_is_refused_with_stripes_message() {
    let emulator = Emulator::start().await;
    let paid = emulator
        .ok(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                CARD_ONLY,
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    let id = paid["id"].as_str().unwrap();
    let (status, body) = emulator
        .post(&format!("/v1/payment_intents/{id}/cancel"), &[])
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "You cannot cancel this PaymentIntent because it has a status of succeeded. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing."
    );
}

#[tokio::test]
async fn canceling_an_authorized_intent_releases_the_charge() {
    let emulator = Emulator::start().await;
    let authorized = emulator
        .ok(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                CARD_ONLY,
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    let id = authorized["id"].as_str().unwrap();
    let canceled = emulator
        .ok(
            &format!("/v1/payment_intents/{id}/cancel"),
            &[("cancellation_reason", "requested_by_customer")],
        )
        .await;
    assert_eq!(
        (
            canceled["status"].as_str(),
            canceled["cancellation_reason"].as_str()
        ),
        (Some("canceled"), Some("requested_by_customer"))
    );
    assert!(canceled["canceled_at"].is_i64());
    let charge = emulator
        .fetch(&format!(
            "/v1/charges/{}",
            canceled["latest_charge"].as_str().unwrap()
        ))
        .await;
    assert_eq!(charge["refunded"], true);
}

#[tokio::test]
async fn a_card_that_needs_3d_secure_waits_for_the_customer_then_succeeds() {
    let emulator = Emulator::start().await;
    let intent = emulator
        .ok(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                CARD_ONLY,
                ("payment_method", "pm_card_authenticationRequired"),
                ("confirm", "true"),
                ("return_url", "https://example.com/back"),
            ],
        )
        .await;
    assert_eq!(intent["status"], "requires_action");
    assert_eq!(intent["next_action"]["type"], "redirect_to_url");
    let url = intent["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let page = emulator.client.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let back = emulator.submit(url, &[("outcome", "approve")]).await;
    assert_eq!(back.location.as_deref(), Some("https://example.com/back"));
    let id = intent["id"].as_str().unwrap();
    let paid = emulator.fetch(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(paid["status"], "succeeded");
}

#[tokio::test]
async fn confirming_with_automatic_methods_needs_a_return_url() {
    let emulator = Emulator::start().await;
    let (status, body) = emulator
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("A `return_url` must be specified"));
    let intents = emulator.fetch("/v1/payment_intents").await;
    assert_eq!(
        intents["data"],
        serde_json::json!([]),
        "nothing was created"
    );
}

#[tokio::test]
async fn a_sepa_debit_is_processing_until_the_bank_answers() {
    let emulator = Emulator::start().await;
    let method = emulator
        .ok(
            "/v1/payment_methods",
            &[
                ("type", "sepa_debit"),
                ("sepa_debit[iban]", "AT321904300235473204"),
                ("billing_details[name]", "Bob"),
                ("billing_details[email]", "bob@example.com"),
            ],
        )
        .await;
    assert_eq!(method["sepa_debit"]["last4"], "3204");
    let intent = emulator
        .ok(
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "eur"),
                ("allowed_payment_method_types[]", "sepa_debit"),
                ("payment_method", method["id"].as_str().unwrap()),
                ("confirm", "true"),
                ("mandate_data[customer_acceptance][type]", "offline"),
            ],
        )
        .await;
    assert_eq!(intent["status"], "processing");
    let id = intent["id"].as_str().unwrap();
    emulator.running.emulator.advance(200);
    let settled = emulator.fetch(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(settled["status"], "succeeded");
    let types = emulator.event_types().await;
    assert!(types.ends_with(&[
        "charge.succeeded".to_owned(),
        "payment_intent.succeeded".to_owned()
    ]));
    assert!(types.contains(&"payment_intent.processing".to_owned()));
}

#[tokio::test]
async fn amounts_below_stripes_minimum_are_refused() {
    let emulator = Emulator::start().await;
    let (status, body) = emulator
        .post(
            "/v1/payment_intents",
            &[("amount", "20"), ("currency", "usd"), CARD_ONLY],
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("amount_too_small"))
    );
}
