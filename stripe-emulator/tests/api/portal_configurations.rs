//! Customer portal configurations: created with `features`, updated, listed, named by sessions.

use crate::helpers::Emulator;

#[tokio::test]
async fn a_configuration_records_its_features_and_emits_its_events() {
    let emulator = Emulator::start().await;
    let configuration = emulator
        .ok(
            "/v1/billing_portal/configurations",
            &[
                ("features[customer_update][enabled]", "true"),
                ("features[customer_update][allowed_updates][]", "email"),
                ("features[subscription_cancel][enabled]", "true"),
                ("features[subscription_cancel][mode]", "immediately"),
                ("default_return_url", "https://example.com/account"),
            ],
        )
        .await;
    let features = &configuration["features"];
    assert_eq!(features["customer_update"]["allowed_updates"][0], "email");
    assert_eq!(features["subscription_cancel"]["mode"], "immediately");
    assert_eq!(features["invoice_history"]["enabled"], false);
    let id = configuration["id"].as_str().unwrap();
    emulator
        .ok(
            &format!("/v1/billing_portal/configurations/{id}"),
            &[("active", "false")],
        )
        .await;
    let inactive = emulator
        .fetch("/v1/billing_portal/configurations?active=false")
        .await;
    assert_eq!(inactive["data"][0]["id"], id);
    assert_eq!(
        emulator.event_types().await,
        [
            "billing_portal.configuration.created",
            "billing_portal.configuration.updated"
        ]
    );
}

#[tokio::test]
async fn a_configuration_refuses_unknown_choices_and_foreign_prices() {
    let emulator = Emulator::start().await;
    let (status, body) = emulator
        .post("/v1/billing_portal/configurations", &[])
        .await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("features"))
    );
    let (status, _) = emulator
        .post(
            "/v1/billing_portal/configurations",
            &[("features[subscription_cancel][mode]", "someday")],
        )
        .await;
    assert_eq!(status, 400);
    let price = emulator.monthly_price("Pro", 2000).await;
    let other = emulator.ok("/v1/products", &[("name", "Other")]).await;
    let (status, _) = emulator
        .post(
            "/v1/billing_portal/configurations",
            &[
                ("features[subscription_update][enabled]", "true"),
                (
                    "features[subscription_update][products][0][product]",
                    other["id"].as_str().unwrap(),
                ),
                (
                    "features[subscription_update][products][0][prices][]",
                    &price,
                ),
            ],
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_portal_session_names_its_configuration_and_emits_its_event() {
    let emulator = Emulator::start().await;
    let customer = emulator
        .ok("/v1/customers", &[("email", "a@example.com")])
        .await;
    let customer = customer["id"].as_str().unwrap();
    let (status, _) = emulator
        .post(
            "/v1/billing_portal/sessions",
            &[("customer", customer), ("configuration", "bpc_missing")],
        )
        .await;
    assert_eq!(status, 404);
    let configuration = emulator
        .ok(
            "/v1/billing_portal/configurations",
            &[("features[invoice_history][enabled]", "true")],
        )
        .await;
    let session = emulator
        .ok(
            "/v1/billing_portal/sessions",
            &[
                ("customer", customer),
                ("configuration", configuration["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(session["configuration"], configuration["id"]);
    assert!(emulator
        .event_types()
        .await
        .contains(&"billing_portal.session.created".to_owned()));
}
