//! Refunds: partial then full, each a `refund` balance transaction; the charge's
//! `amount_refunded` and `refunded`; Stripe's refusals and events; the older charge routes.

use crate::helpers::Emulator;

#[tokio::test]
async fn half_then_the_rest_then_one_more_is_refused_as_already_refunded() {
    let emulator = Emulator::start().await;
    let charge = emulator.pay(2000, "pm_card_visa").await;
    let id = charge["id"].as_str().unwrap();

    let half = emulator
        .ok(
            "/v1/refunds",
            &[
                ("charge", id),
                ("amount", "1000"),
                ("reason", "requested_by_customer"),
            ],
        )
        .await;
    assert_eq!(half["object"], "refund");
    assert_eq!(half["status"], "succeeded");
    assert_eq!(half["amount"], 1000);
    assert_eq!(half["payment_intent"], charge["payment_intent"]);
    let after_half = emulator
        .fetch(&format!(
            "/v1/refunds/{}?expand[]=balance_transaction",
            half["id"].as_str().unwrap()
        ))
        .await;
    let transaction = &after_half["balance_transaction"];
    assert_eq!(transaction["type"], "refund");
    assert_eq!(transaction["reporting_category"], "refund");
    assert_eq!(
        (
            transaction["amount"].as_i64(),
            transaction["fee"].as_i64(),
            transaction["net"].as_i64()
        ),
        (Some(-1000), Some(0), Some(-1000))
    );
    let charged = emulator.fetch(&format!("/v1/charges/{id}")).await;
    assert_eq!(charged["amount_refunded"], 1000);
    assert_eq!(charged["refunded"], false);

    let too_much = emulator
        .post("/v1/refunds", &[("charge", id), ("amount", "1500")])
        .await;
    assert_eq!(too_much.0, 400);
    assert_eq!(too_much.1["error"]["code"], "amount_too_large");
    assert_eq!(too_much.1["error"]["param"], "amount");
    assert_eq!(
        too_much.1["error"]["message"],
        "Refund amount ($15.00) is greater than unrefunded amount on charge ($10.00)"
    );

    let rest = emulator
        .ok(
            "/v1/refunds",
            &[("payment_intent", charge["payment_intent"].as_str().unwrap())],
        )
        .await;
    assert_eq!(rest["amount"], 1000);
    assert_eq!(rest["charge"], id);
    let refunded = emulator
        .fetch(&format!("/v1/charges/{id}?expand[]=refunds"))
        .await;
    assert_eq!(refunded["amount_refunded"], 2000);
    assert_eq!(refunded["refunded"], true);
    assert_eq!(refunded["refunds"]["data"].as_array().unwrap().len(), 2);

    let again = emulator.post("/v1/refunds", &[("charge", id)]).await;
    assert_eq!(again.0, 400);
    assert_eq!(again.1["error"]["code"], "charge_already_refunded");
    assert_eq!(
        again.1["error"]["message"],
        format!("Charge {id} has already been refunded.")
    );

    // 1912 pending from the charge, 2000 refunded from the available balance.
    assert_eq!(emulator.usd_balance().await, (-2000, 1912));
    let types = emulator.event_types().await;
    assert_eq!(
        types
            .iter()
            .filter(|kind| *kind == "refund.created")
            .count(),
        2
    );
    assert_eq!(
        types
            .iter()
            .filter(|kind| *kind == "charge.refunded")
            .count(),
        2
    );
    let events = emulator
        .fetch("/v1/events?type=charge.refunded&limit=1")
        .await;
    assert_eq!(
        events["data"][0]["data"]["previous_attributes"]["amount_refunded"],
        1000
    );
    assert_eq!(
        events["data"][0]["data"]["previous_attributes"]["refunded"],
        false
    );
}

#[tokio::test]
async fn refund_requests_stripe_refuses() {
    let emulator = Emulator::start().await;
    let neither = emulator.post("/v1/refunds", &[("amount", "100")]).await;
    assert_eq!(neither.0, 400);
    assert_eq!(neither.1["error"]["type"], "invalid_request_error");
    let unknown = emulator.post("/v1/refunds", &[("charge", "ch_nope")]).await;
    assert_eq!(unknown.0, 404);
    assert_eq!(unknown.1["error"]["code"], "resource_missing");
    assert_eq!(unknown.1["error"]["param"], "charge");
    assert_eq!(unknown.1["error"]["message"], "No such charge: 'ch_nope'");
    let reason = emulator
        .post("/v1/refunds", &[("charge", "ch_nope"), ("reason", "bored")])
        .await;
    assert_eq!(reason.0, 400);
    assert_eq!(reason.1["error"]["param"], "reason");
}

#[tokio::test]
async fn metadata_updates_emit_refund_updated_and_cancel_is_refused_for_a_card_refund() {
    let emulator = Emulator::start().await;
    let charge = emulator.pay(2000, "pm_card_visa").await;
    let refund = emulator
        .ok("/v1/refunds", &[("charge", charge["id"].as_str().unwrap())])
        .await;
    let id = refund["id"].as_str().unwrap();
    let updated = emulator
        .ok(&format!("/v1/refunds/{id}"), &[("metadata[ticket]", "42")])
        .await;
    assert_eq!(updated["metadata"]["ticket"], "42");
    let types = emulator.event_types().await;
    assert!(
        types.ends_with(&[
            "refund.updated".to_owned(),
            "charge.refund.updated".to_owned()
        ]),
        "{types:?}"
    );

    let cancel = emulator
        .post(&format!("/v1/refunds/{id}/cancel"), &[])
        .await;
    assert_eq!(cancel.0, 400);
    assert!(cancel.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("requires_action"));

    let listed = emulator
        .fetch(&format!(
            "/v1/refunds?charge={}",
            charge["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(listed["data"][0]["id"], id);
    let other = emulator.fetch("/v1/refunds?payment_intent=pi_other").await;
    assert!(other["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_older_charge_refund_routes_refund_and_list() {
    let emulator = Emulator::start().await;
    let charge = emulator.pay(2000, "pm_card_visa").await;
    let id = charge["id"].as_str().unwrap();
    let refund = emulator
        .ok(&format!("/v1/charges/{id}/refunds"), &[("amount", "500")])
        .await;
    assert_eq!(refund["amount"], 500);
    let listed = emulator.fetch(&format!("/v1/charges/{id}/refunds")).await;
    assert_eq!(listed["data"][0]["id"], refund["id"]);
    let one = emulator
        .fetch(&format!(
            "/v1/charges/{id}/refunds/{}",
            refund["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one["amount"], 500);
    let unknown = emulator
        .post(&format!("/v1/charges/{id}/refunds"), &[("colour", "red")])
        .await;
    assert_eq!(unknown.1["error"]["code"], "parameter_unknown");
}
