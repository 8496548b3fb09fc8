//! SetupIntents: saving a card for a customer, declines, 3-D Secure, cancellation.

use crate::helpers::Emulator;

#[tokio::test]
async fn a_confirmed_setup_intent_attaches_the_card_to_its_customer() {
    let emulator = Emulator::start().await;
    let customer = emulator.ok("/v1/customers", &[]).await;
    let customer = customer["id"].as_str().unwrap();
    let intent = emulator
        .ok(
            "/v1/setup_intents",
            &[
                ("customer", customer),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(intent["status"], "succeeded");
    let method = emulator
        .fetch(&format!(
            "/v1/payment_methods/{}",
            intent["payment_method"].as_str().unwrap()
        ))
        .await;
    assert_eq!(method["customer"], customer);
    assert_eq!(
        emulator.event_types().await,
        [
            "customer.created",
            "setup_intent.created",
            "payment_method.attached",
            "setup_intent.succeeded"
        ]
    );
}

#[tokio::test]
async fn a_declined_card_fails_the_setup_with_402() {
    let emulator = Emulator::start().await;
    let (status, body) = emulator
        .post(
            "/v1/setup_intents",
            &[
                ("allowed_payment_method_types[]", "card"),
                ("payment_method", "pm_card_chargeDeclined"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"]["decline_code"].as_str()),
        (402, Some("generic_decline"))
    );
    let intent = &body["error"]["setup_intent"];
    assert_eq!(intent["status"], "requires_payment_method");
    assert_eq!(intent["last_setup_error"]["code"], "card_declined");
    assert!(emulator
        .event_types()
        .await
        .contains(&"setup_intent.setup_failed".to_owned()));
}

#[tokio::test]
async fn a_card_that_needs_authentication_requires_action() {
    let emulator = Emulator::start().await;
    let intent = emulator
        .ok(
            "/v1/setup_intents",
            &[
                ("payment_method", "pm_card_authenticationRequired"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(intent["status"], "requires_action");
    assert_eq!(intent["next_action"]["type"], "use_stripe_sdk");
}

#[tokio::test]
async fn a_setup_intent_is_canceled_only_before_it_succeeds() {
    let emulator = Emulator::start().await;
    let open = emulator
        .ok(
            "/v1/setup_intents",
            &[("allowed_payment_method_types[]", "card")],
        )
        .await;
    let id = open["id"].as_str().unwrap();
    let canceled = emulator
        .ok(
            &format!("/v1/setup_intents/{id}/cancel"),
            &[("cancellation_reason", "requested_by_customer")],
        )
        .await;
    assert_eq!(canceled["status"], "canceled");
    let (status, body) = emulator
        .post(
            &format!("/v1/setup_intents/{id}/confirm"),
            &[("payment_method", "pm_card_visa")],
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("setup_intent_unexpected_state"))
    );
}

#[tokio::test]
async fn failing_the_3d_secure_step_sends_the_setup_back_for_another_card() {
    let emulator = Emulator::start().await;
    let intent = emulator
        .ok(
            "/v1/setup_intents",
            &[
                ("payment_method", "pm_card_authenticationRequired"),
                ("confirm", "true"),
                ("return_url", "https://example.com/back"),
            ],
        )
        .await;
    let url = intent["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let back = emulator.submit(url, &[("outcome", "fail")]).await;
    assert_eq!(back.location.as_deref(), Some("https://example.com/back"));
    let id = intent["id"].as_str().unwrap();
    let failed = emulator.fetch(&format!("/v1/setup_intents/{id}")).await;
    assert_eq!(failed["status"], "requires_payment_method");
    assert_eq!(
        failed["last_setup_error"]["code"],
        "setup_intent_authentication_failure"
    );
    assert!(emulator
        .event_types()
        .await
        .contains(&"setup_intent.setup_failed".to_owned()));
}
