//! Card sources, as accounts that predate PaymentMethods hold them: added from Stripe's test
//! tokens and from `POST /v1/tokens`, the first one the customer's `default_source`, listed,
//! updated, deleted (the default passing to the next card), shown among the customer's
//! PaymentMethods and paying like one, for a PaymentIntent and for a subscription (the
//! customer's default source, or the subscription's own).

use serde_json::Value;

use crate::helpers::Emulator;

/// A customer with no card yet.
async fn customer(emulator: &Emulator) -> String {
    let customer = emulator
        .ok("/v1/customers", &[("email", "legacy@example.com")])
        .await;
    customer["id"].as_str().unwrap().to_owned()
}

/// Adds the card behind `token` to `customer`; returns the card.
async fn add_card(emulator: &Emulator, customer: &str, token: &str) -> Value {
    emulator
        .ok(
            &format!("/v1/customers/{customer}/sources"),
            &[("source", token)],
        )
        .await
}

#[tokio::test]
async fn a_test_token_becomes_the_customers_card_and_default_source() {
    let emulator = Emulator::start().await;
    let customer = customer(&emulator).await;
    let card = emulator
        .ok(
            &format!("/v1/customers/{customer}/sources"),
            &[("source", "tok_mastercard"), ("metadata[kind]", "legacy")],
        )
        .await;
    let id = card["id"].as_str().unwrap();
    assert!(id.starts_with("card_"), "{card}");
    assert_eq!(card["object"], "card");
    assert_eq!(card["customer"], customer.as_str());
    assert_eq!(card["brand"], "MasterCard");
    assert_eq!(card["last4"], "4444");
    assert_eq!(card["exp_month"], 12);
    assert_eq!(card["metadata"]["kind"], "legacy");
    let owner = emulator.fetch(&format!("/v1/customers/{customer}")).await;
    assert_eq!(owner["default_source"], id);
    // A second card is added, the default stays.
    let visa = add_card(&emulator, &customer, "tok_visa").await;
    let owner = emulator.fetch(&format!("/v1/customers/{customer}")).await;
    assert_eq!(owner["default_source"], id);
    let listed = emulator
        .fetch(&format!("/v1/customers/{customer}/sources?object=card"))
        .await;
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|card| card["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [visa["id"].as_str().unwrap(), id]);
    let expanded = emulator
        .fetch(&format!(
            "/v1/customers/{customer}?expand[]=sources&expand[]=default_source"
        ))
        .await;
    assert_eq!(expanded["default_source"]["last4"], "4444");
    assert_eq!(expanded["sources"]["data"].as_array().unwrap().len(), 2);
    let types = emulator.event_types().await;
    assert_eq!(
        types[types.len() - 3..],
        [
            "customer.source.created",
            "customer.updated",
            "customer.source.created"
        ]
    );
}

#[tokio::test]
async fn a_card_is_updated_and_deleted_and_the_default_passes_to_the_next() {
    let emulator = Emulator::start().await;
    let customer = customer(&emulator).await;
    let first = add_card(&emulator, &customer, "tok_visa").await;
    let first = first["id"].as_str().unwrap();
    let second = add_card(&emulator, &customer, "tok_amex").await;
    let second = second["id"].as_str().unwrap();
    let path = format!("/v1/customers/{customer}/sources/{first}");
    let updated = emulator
        .ok(
            &path,
            &[
                ("name", "Jenny Rosen"),
                ("exp_year", "2040"),
                ("metadata[foo]", "bar"),
            ],
        )
        .await;
    assert_eq!(updated["name"], "Jenny Rosen");
    assert_eq!(updated["exp_year"], 2040);
    assert_eq!(emulator.fetch(&path).await["metadata"]["foo"], "bar");
    let events = emulator
        .fetch("/v1/events?type=customer.source.updated")
        .await;
    let previous = &events["data"][0]["data"]["previous_attributes"];
    assert_eq!(previous["exp_year"], 2034);
    assert_eq!(previous["name"], Value::Null);
    // Stripe's refusals of an impossible expiry.
    let (status, body) = emulator.post(&path, &[("exp_month", "13")]).await;
    assert_eq!(status, 402);
    assert_eq!(body["error"]["code"], "invalid_expiry_month");
    assert_eq!(body["error"]["param"], "exp_month");
    let (status, body) = emulator.post(&path, &[("exp_year", "2001")]).await;
    assert_eq!(status, 402);
    assert_eq!(body["error"]["code"], "invalid_expiry_year");

    let (status, deleted) = emulator.delete(&path).await;
    assert_eq!(status, 200);
    assert_eq!(deleted["id"], first);
    assert_eq!(deleted["deleted"], true);
    let owner = emulator.fetch(&format!("/v1/customers/{customer}")).await;
    assert_eq!(owner["default_source"], second);
    let (status, missing) = emulator.get(&path).await;
    assert_eq!(status, 404);
    assert_eq!(
        missing["error"]["message"],
        format!("No such source: '{first}'")
    );
    emulator
        .delete(&format!("/v1/customers/{customer}/sources/{second}"))
        .await;
    let owner = emulator.fetch(&format!("/v1/customers/{customer}")).await;
    assert_eq!(owner["default_source"], Value::Null);
    let types = emulator.event_types().await;
    assert_eq!(
        types[types.len() - 4..],
        [
            "customer.source.deleted",
            "customer.updated",
            "customer.source.deleted",
            "customer.updated"
        ]
    );
}

#[tokio::test]
async fn a_declining_token_is_refused_and_a_created_token_is_used_once() {
    let emulator = Emulator::start().await;
    let customer = customer(&emulator).await;
    let sources = format!("/v1/customers/{customer}/sources");
    let (status, body) = emulator
        .post(&sources, &[("source", "tok_chargeDeclined")])
        .await;
    assert_eq!(status, 402);
    assert_eq!(body["error"]["decline_code"], "generic_decline");
    let (status, body) = emulator.post(&sources, &[("source", "tok_nope")]).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["message"], "No such token: 'tok_nope'");
    assert!(emulator.fetch(&sources).await["data"]
        .as_array()
        .unwrap()
        .is_empty());

    let token = emulator
        .ok(
            "/v1/tokens",
            &[
                ("card[number]", "4000000000000077"),
                ("card[exp_month]", "8"),
                ("card[exp_year]", "2031"),
                ("card[name]", "Jenny Rosen"),
            ],
        )
        .await;
    let token_id = token["id"].as_str().unwrap();
    assert!(token_id.starts_with("tok_"));
    assert_eq!(
        (token["type"].as_str(), token["used"].as_bool()),
        (Some("card"), Some(false))
    );
    let card = add_card(&emulator, &customer, token_id).await;
    assert_eq!(card["id"], token["card"]["id"]);
    assert_eq!(card["name"], "Jenny Rosen");
    assert_eq!(card["last4"], "0077");
    assert_eq!(
        emulator.fetch(&format!("/v1/tokens/{token_id}")).await["used"],
        true
    );
    let (status, body) = emulator.post(&sources, &[("source", token_id)]).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "token_already_used");
    assert_eq!(
        body["error"]["message"],
        format!("You cannot use a Stripe token more than once: {token_id}.")
    );
}

#[tokio::test]
async fn a_card_source_pays_a_payment_intent_and_shows_among_payment_methods() {
    let emulator = Emulator::start().await;
    let customer = customer(&emulator).await;
    let card = add_card(&emulator, &customer, "tok_visa").await;
    let card = card["id"].as_str().unwrap();
    let methods = emulator
        .fetch(&format!(
            "/v1/customers/{customer}/payment_methods?type=card"
        ))
        .await;
    assert_eq!(methods["data"][0]["id"], card);
    assert_eq!(methods["data"][0]["object"], "payment_method");
    assert_eq!(methods["data"][0]["card"]["brand"], "visa");
    let retrieved = emulator.fetch(&format!("/v1/payment_methods/{card}")).await;
    assert_eq!(retrieved["customer"], customer.as_str());

    let intent = emulator
        .ok(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("allowed_payment_method_types[]", "card"),
                ("customer", &customer),
                ("payment_method", card),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(intent["status"], "succeeded", "{intent}");
    let charge = emulator
        .fetch(&format!(
            "/v1/charges/{}",
            intent["latest_charge"].as_str().unwrap()
        ))
        .await;
    assert_eq!(charge["payment_method"], card);
    assert_eq!(charge["payment_method_details"]["card"]["last4"], "4242");
    assert_eq!(emulator.usd_balance().await, (0, 1912));
    // Without the customer it belongs to, Stripe refuses it.
    let (status, _) = emulator
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("allowed_payment_method_types[]", "card"),
                ("payment_method", card),
            ],
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_subscription_is_charged_to_the_default_source() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2_900).await;
    let customer = emulator
        .ok(
            "/v1/customers",
            &[("email", "old@example.com"), ("source", "tok_visa")],
        )
        .await;
    let default_source = customer["default_source"].as_str().unwrap().to_owned();
    assert!(default_source.starts_with("card_"));
    let customer = customer["id"].as_str().unwrap();
    let subscription = emulator.subscribe(customer, &price, &[]).await;
    assert_eq!(subscription["status"], "active", "{subscription}");
    let charges = emulator
        .fetch(&format!("/v1/charges?customer={customer}"))
        .await;
    assert_eq!(
        charges["data"][0]["payment_method"],
        default_source.as_str()
    );
    assert_eq!(charges["data"][0]["amount"], 2900);

    // `source` on an update replaces the default card, deleting the old one.
    let updated = emulator
        .ok(
            &format!("/v1/customers/{customer}"),
            &[("source", "tok_mastercard")],
        )
        .await;
    assert_ne!(updated["default_source"], default_source.as_str());
    let cards = emulator
        .fetch(&format!("/v1/customers/{customer}/sources"))
        .await;
    assert_eq!(cards["data"].as_array().unwrap().len(), 1);
    assert_eq!(cards["data"][0]["brand"], "MasterCard");
    let (status, body) = emulator
        .post(
            &format!("/v1/customers/{customer}"),
            &[("default_source", &default_source)],
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["param"], "default_source");

    // A subscription's own default source comes before the customer's.
    let own = add_card(&emulator, customer, "tok_amex").await;
    let own = own["id"].as_str().unwrap();
    let second = emulator
        .subscribe(customer, &price, &[("default_source", own)])
        .await;
    assert_eq!(second["default_source"], own);
    let charges = emulator
        .fetch(&format!("/v1/charges?customer={customer}"))
        .await;
    assert_eq!(charges["data"][0]["payment_method"], own);
    let (status, _) = emulator
        .post(
            "/v1/subscriptions",
            &[
                ("customer", customer),
                ("items[0][price]", &price),
                ("default_source", "card_unknown"),
            ],
        )
        .await;
    assert_eq!(status, 404);
}
