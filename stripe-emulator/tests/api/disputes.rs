//! Disputes: the 0259 test card's payment is disputed at once (amount and 15.00 fee withdrawn);
//! Stripe's test evidence wins or loses it; closing accepts the loss; refunds are refused while
//! it is open; evidence files must be `dispute_evidence` uploads.

use serde_json::Value;

use crate::helpers::Emulator;

/// Pays 20.00 with the disputing test card; returns the charge and its dispute.
async fn disputed(emulator: &Emulator) -> (Value, Value) {
    let charge = emulator.pay(2000, "pm_card_createDispute").await;
    let id = charge["id"].as_str().unwrap();
    let disputes = emulator.fetch(&format!("/v1/disputes?charge={id}")).await;
    assert_eq!(disputes["data"].as_array().unwrap().len(), 1, "{disputes}");
    (charge, disputes["data"][0].clone())
}

#[tokio::test]
async fn a_payment_with_the_0259_card_is_disputed_and_its_money_withdrawn() {
    let emulator = Emulator::start().await;
    let (charge, dispute) = disputed(&emulator).await;
    assert!(dispute["id"].as_str().unwrap().starts_with("du_"));
    assert_eq!(dispute["status"], "needs_response");
    assert_eq!(dispute["reason"], "fraudulent");
    assert_eq!(dispute["amount"], 2000);
    assert_eq!(dispute["payment_intent"], charge["payment_intent"]);
    assert_eq!(dispute["evidence_details"]["has_evidence"], false);
    assert_eq!(dispute["evidence_details"]["submission_count"], 0);
    assert_eq!(
        dispute["evidence_details"]["due_by"].as_i64().unwrap()
            - dispute["created"].as_i64().unwrap(),
        7 * 86_400
    );
    assert_eq!(charge["disputed"], true);
    let withdrawal = &dispute["balance_transactions"][0];
    assert_eq!(withdrawal["type"], "adjustment");
    assert_eq!(withdrawal["reporting_category"], "dispute");
    assert_eq!(
        (
            withdrawal["amount"].as_i64(),
            withdrawal["fee"].as_i64(),
            withdrawal["net"].as_i64()
        ),
        (Some(-2000), Some(1500), Some(-3500))
    );
    assert_eq!(withdrawal["fee_details"][0]["description"], "Dispute fee");
    assert_eq!(withdrawal["fee_details"][0]["type"], "stripe_fee");

    let types = emulator.event_types().await;
    let created = types
        .iter()
        .position(|kind| kind == "charge.dispute.created")
        .unwrap();
    assert_eq!(types[created + 1], "charge.dispute.funds_withdrawn");
    assert!(
        types
            .iter()
            .position(|kind| kind == "charge.succeeded")
            .unwrap()
            < created
    );

    let refund = emulator
        .post("/v1/refunds", &[("charge", charge["id"].as_str().unwrap())])
        .await;
    assert_eq!(refund.0, 400);
    assert_eq!(refund.1["error"]["code"], "charge_disputed");
    assert_eq!(
        refund.1["error"]["message"],
        format!(
            "Charge {} has been charged back; cannot issue a refund.",
            charge["id"].as_str().unwrap()
        )
    );
    let by_intent = emulator
        .fetch(&format!(
            "/v1/disputes?payment_intent={}",
            charge["payment_intent"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_intent["data"][0]["id"], dispute["id"]);
}

#[tokio::test]
async fn winning_evidence_wins_and_gives_the_amount_back_but_not_the_fee() {
    let emulator = Emulator::start().await;
    let (_, dispute) = disputed(&emulator).await;
    emulator.advance_days(2).await;
    // 1912 available from the charge, 3500 withdrawn.
    assert_eq!(emulator.usd_balance().await, (1912 - 3500, 0));
    let id = dispute["id"].as_str().unwrap();
    let won = emulator
        .ok(
            &format!("/v1/disputes/{id}"),
            &[
                ("evidence[uncategorized_text]", "winning_evidence"),
                ("metadata[case]", "7"),
            ],
        )
        .await;
    assert_eq!(won["status"], "won");
    assert_eq!(won["metadata"]["case"], "7");
    assert_eq!(won["evidence_details"]["submission_count"], 1);
    assert_eq!(won["evidence_details"]["has_evidence"], true);
    let reinstated = &won["balance_transactions"][1];
    assert_eq!(reinstated["reporting_category"], "dispute_reversal");
    assert_eq!(
        (reinstated["amount"].as_i64(), reinstated["fee"].as_i64()),
        (Some(2000), Some(0))
    );
    assert_eq!(emulator.usd_balance().await, (1912 - 1500, 0));
    let types = emulator.event_types().await;
    assert!(
        types.ends_with(&[
            "charge.dispute.updated".to_owned(),
            "charge.dispute.closed".to_owned(),
            "charge.dispute.funds_reinstated".to_owned(),
        ]),
        "{types:?}"
    );

    let again = emulator
        .post(
            &format!("/v1/disputes/{id}"),
            &[("evidence[uncategorized_text]", "more")],
        )
        .await;
    assert_eq!(again.0, 400);
    assert_eq!(again.1["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn losing_evidence_loses_and_other_evidence_waits_under_review() {
    let emulator = Emulator::start().await;
    let (_, first) = disputed(&emulator).await;
    let lost = emulator
        .ok(
            &format!("/v1/disputes/{}", first["id"].as_str().unwrap()),
            &[("evidence[uncategorized_text]", "losing_evidence")],
        )
        .await;
    assert_eq!(lost["status"], "lost");
    assert_eq!(lost["balance_transactions"].as_array().unwrap().len(), 1);

    let (_, second) = disputed(&emulator).await;
    let second_id = second["id"].as_str().unwrap();
    let saved = emulator
        .ok(
            &format!("/v1/disputes/{second_id}"),
            &[
                ("evidence[customer_name]", "Jenny Rosen"),
                ("submit", "false"),
            ],
        )
        .await;
    assert_eq!(saved["status"], "needs_response");
    assert_eq!(saved["evidence"]["customer_name"], "Jenny Rosen");
    assert_eq!(saved["evidence_details"]["has_evidence"], true);
    assert_eq!(saved["evidence_details"]["submission_count"], 0);
    let reviewed = emulator.ok(&format!("/v1/disputes/{second_id}"), &[]).await;
    assert_eq!(reviewed["status"], "under_review");
    // Two withdrawals of 3500 each, the charges still pending.
    assert_eq!(emulator.usd_balance().await, (-7000, 2 * 1912));
}

#[tokio::test]
async fn closing_accepts_the_loss() {
    let emulator = Emulator::start().await;
    let (_, dispute) = disputed(&emulator).await;
    let id = dispute["id"].as_str().unwrap();
    let closed = emulator.ok(&format!("/v1/disputes/{id}/close"), &[]).await;
    assert_eq!(closed["status"], "lost");
    assert_eq!(
        emulator.event_types().await.last().unwrap(),
        "charge.dispute.closed"
    );
    let twice = emulator
        .post(&format!("/v1/disputes/{id}/close"), &[])
        .await;
    assert_eq!(twice.0, 400);
    let missing = emulator.get("/v1/disputes/du_nope").await;
    assert_eq!(missing.1["error"]["code"], "resource_missing");
}

#[tokio::test]
async fn evidence_files_must_be_dispute_evidence_uploads() {
    let emulator = Emulator::start().await;
    let (_, dispute) = disputed(&emulator).await;
    let id = dispute["id"].as_str().unwrap();
    let unknown = emulator
        .post(
            &format!("/v1/disputes/{id}"),
            &[("evidence[receipt]", "file_nope")],
        )
        .await;
    assert_eq!(unknown.0, 404);
    assert_eq!(unknown.1["error"]["code"], "resource_missing");
    assert_eq!(unknown.1["error"]["param"], "evidence[receipt]");

    let logo = emulator
        .upload("business_logo", "logo.png", crate::files::PNG)
        .await;
    let wrong = emulator
        .post(
            &format!("/v1/disputes/{id}"),
            &[("evidence[receipt]", logo["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(wrong.0, 400);
    assert_eq!(wrong.1["error"]["param"], "evidence[receipt]");

    let receipt = emulator
        .upload("dispute_evidence", "receipt.pdf", b"%PDF-1.4 receipt")
        .await;
    let receipt_id = receipt["id"].as_str().unwrap();
    let given = emulator
        .ok(
            &format!("/v1/disputes/{id}"),
            &[("evidence[receipt]", receipt_id), ("submit", "false")],
        )
        .await;
    assert_eq!(given["evidence"]["receipt"], receipt_id);
}

#[tokio::test]
async fn the_1976_card_opens_an_inquiry_that_withdraws_nothing_and_can_still_be_refunded() {
    let emulator = Emulator::start().await;
    let charge = emulator.pay(2000, "pm_card_createDisputeInquiry").await;
    let id = charge["id"].as_str().unwrap();
    let dispute = &emulator.fetch(&format!("/v1/disputes?charge={id}")).await["data"][0];
    assert_eq!(dispute["status"], "warning_needs_response");
    assert_eq!(dispute["is_charge_refundable"], true);
    assert!(dispute["balance_transactions"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(emulator.usd_balance().await, (0, 1912));
    let tagged = emulator
        .ok(
            &format!("/v1/disputes/{}", dispute["id"].as_str().unwrap()),
            &[("metadata[foo]", "bar")],
        )
        .await;
    assert_eq!(tagged["status"], "warning_needs_response");
    let closed = emulator
        .ok(
            &format!("/v1/disputes/{}/close", dispute["id"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!(closed["status"], "warning_closed");
    emulator
        .ok("/v1/refunds", &[("charge", id), ("amount", "500")])
        .await;
}
