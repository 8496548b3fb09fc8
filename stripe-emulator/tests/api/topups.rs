//! Top-ups: pending with a `topup` balance transaction, succeeded with the money available two
//! days later, canceled while pending (nothing ever available), updated and listed.

use crate::helpers::Emulator;

#[tokio::test]
async fn a_top_up_is_pending_then_succeeds_and_its_money_becomes_available() {
    let emulator = Emulator::start().await;
    let topup = emulator
        .ok(
            "/v1/topups",
            &[
                ("amount", "5000"),
                ("currency", "usd"),
                ("description", "Fund payouts"),
                ("statement_descriptor", "Top-up"),
                ("metadata[batch]", "7"),
            ],
        )
        .await;
    let id = topup["id"].as_str().unwrap();
    assert!(id.starts_with("tu_"));
    assert_eq!(topup["status"], "pending");
    assert_eq!(topup["metadata"]["batch"], "7");
    let transaction = emulator
        .fetch(&format!(
            "/v1/balance_transactions/{}",
            topup["balance_transaction"].as_str().unwrap()
        ))
        .await;
    assert_eq!(transaction["type"], "topup");
    assert_eq!(transaction["reporting_category"], "topup");
    assert_eq!(
        (transaction["amount"].as_i64(), transaction["fee"].as_i64()),
        (Some(5000), Some(0))
    );
    assert_eq!(transaction["source"], id);
    assert_eq!(
        transaction["available_on"],
        topup["expected_availability_date"]
    );
    assert_eq!(emulator.usd_balance().await, (0, 5000));

    emulator.advance_days(2).await;
    let settled = emulator.fetch(&format!("/v1/topups/{id}")).await;
    assert_eq!(settled["status"], "succeeded");
    assert_eq!(emulator.usd_balance().await, (5000, 0));
    let types = emulator.event_types().await;
    assert_eq!(
        types,
        ["topup.created", "topup.succeeded", "balance.available"]
    );
    // Succeeded: no longer cancelable.
    let (status, body) = emulator.post(&format!("/v1/topups/{id}/cancel"), &[]).await;
    assert_eq!(status, 400, "{body}");
    // The money can be paid out.
    emulator
        .ok("/v1/payouts", &[("amount", "5000"), ("currency", "usd")])
        .await;
}

#[tokio::test]
async fn a_canceled_top_up_never_adds_to_the_balance() {
    let emulator = Emulator::start().await;
    let topup = emulator
        .ok("/v1/topups", &[("amount", "2000"), ("currency", "usd")])
        .await;
    let id = topup["id"].as_str().unwrap();
    let canceled = emulator.ok(&format!("/v1/topups/{id}/cancel"), &[]).await;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(emulator.usd_balance().await, (0, 0));
    let reversals = emulator
        .fetch("/v1/balance_transactions?type=topup_reversal")
        .await;
    assert_eq!(reversals["data"][0]["amount"], -2000);
    emulator.advance_days(3).await;
    assert_eq!(emulator.usd_balance().await, (0, 0));
    let again = emulator.fetch(&format!("/v1/topups/{id}")).await;
    assert_eq!(again["status"], "canceled");
    assert!(emulator
        .event_types()
        .await
        .contains(&"topup.canceled".to_owned()));
}

#[tokio::test]
async fn top_ups_are_updated_listed_and_refused_as_stripe_refuses() {
    let emulator = Emulator::start().await;
    let small = emulator
        .ok("/v1/topups", &[("amount", "1000"), ("currency", "usd")])
        .await;
    emulator
        .ok("/v1/topups", &[("amount", "9000"), ("currency", "usd")])
        .await;
    let id = small["id"].as_str().unwrap();
    let updated = emulator
        .ok(
            &format!("/v1/topups/{id}"),
            &[("description", "Small"), ("metadata[k]", "v")],
        )
        .await;
    assert_eq!(updated["description"], "Small");
    assert_eq!(updated["metadata"]["k"], "v");
    let listed = emulator.fetch("/v1/topups?amount[lt]=5000").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["id"], id);
    let pending = emulator.fetch("/v1/topups?status=pending").await;
    assert_eq!(pending["data"].as_array().unwrap().len(), 2);

    let (status, body) = emulator.post("/v1/topups", &[("currency", "usd")]).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "amount");
    let (status, body) = emulator
        .post("/v1/topups", &[("amount", "0"), ("currency", "usd")])
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = emulator.get("/v1/topups/tu_missing").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "resource_missing");
}
