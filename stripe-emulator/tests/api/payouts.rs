//! Payouts: refused above the available balance, pending with a `payout` balance transaction,
//! paid at the arrival date, failed (money back) to Stripe's failing test account, canceled while
//! pending.

use crate::helpers::Emulator;

/// 20.00 paid and two days passed: 19.12 available.
async fn with_available_funds() -> Emulator {
    let emulator = Emulator::start().await;
    emulator.pay(2000, "pm_card_visa").await;
    emulator.advance_days(2).await;
    assert_eq!(emulator.usd_balance().await, (1912, 0));
    emulator
}

#[tokio::test]
async fn a_payout_above_the_available_balance_is_refused_and_nothing_is_made() {
    let emulator = Emulator::start().await;
    emulator.pay(2000, "pm_card_visa").await;
    // Pending money cannot be paid out.
    let (status, body) = emulator
        .post("/v1/payouts", &[("amount", "1000"), ("currency", "usd")])
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "balance_insufficient");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("You have insufficient funds in your Stripe account for this transfer."));
    emulator.advance_days(2).await;
    let (status, _) = emulator
        .post("/v1/payouts", &[("amount", "1913"), ("currency", "usd")])
        .await;
    assert_eq!(status, 400);
    assert!(emulator.fetch("/v1/payouts").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(!emulator
        .event_types()
        .await
        .contains(&"payout.created".to_owned()));
}

#[tokio::test]
async fn a_payout_is_pending_then_paid_two_days_later() {
    let emulator = with_available_funds().await;
    let payout = emulator
        .ok(
            "/v1/payouts",
            &[
                ("amount", "1912"),
                ("currency", "usd"),
                ("description", "Weekly"),
                ("metadata[batch]", "1"),
            ],
        )
        .await;
    let id = payout["id"].as_str().unwrap();
    assert!(id.starts_with("po_"));
    assert_eq!(payout["status"], "pending");
    assert_eq!(payout["method"], "standard");
    assert_eq!(payout["metadata"]["batch"], "1");
    assert_eq!(
        payout["arrival_date"].as_i64().unwrap() - payout["created"].as_i64().unwrap(),
        2 * 86_400
    );
    let bank = emulator.fetch("/_emulator/bank_account").await;
    assert_eq!(payout["destination"], bank["id"]);
    assert_eq!(bank["last4"], "6789");
    assert_eq!(bank["routing_number"], "110000000");
    let transaction = emulator
        .fetch(&format!(
            "/v1/balance_transactions/{}",
            payout["balance_transaction"].as_str().unwrap()
        ))
        .await;
    assert_eq!(transaction["type"], "payout");
    assert_eq!(transaction["reporting_category"], "payout");
    assert_eq!(transaction["amount"], -1912);
    assert_eq!(emulator.usd_balance().await, (0, 0));
    let by_payout = emulator
        .fetch(&format!("/v1/balance_transactions?payout={id}"))
        .await;
    assert_eq!(by_payout["data"][0]["id"], transaction["id"]);

    emulator.advance_days(2).await;
    let paid = emulator.fetch(&format!("/v1/payouts/{id}")).await;
    assert_eq!(paid["status"], "paid");
    let types = emulator.event_types().await;
    assert!(types.contains(&"payout.created".to_owned()));
    assert!(
        types.ends_with(&["payout.paid".to_owned(), "payout.updated".to_owned()]),
        "{types:?}"
    );
    assert_eq!(
        emulator.fetch("/v1/payouts?status=paid").await["data"][0]["id"],
        id
    );
    assert!(emulator.fetch("/v1/payouts?status=pending").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
    let arrival = paid["arrival_date"].as_i64().unwrap();
    let on_time = emulator
        .fetch(&format!("/v1/payouts?arrival_date[gte]={arrival}"))
        .await;
    assert_eq!(on_time["data"].as_array().unwrap().len(), 1);
    let later = emulator
        .fetch(&format!("/v1/payouts?arrival_date[gt]={arrival}"))
        .await;
    assert!(later["data"].as_array().unwrap().is_empty());

    let cancel = emulator
        .post(&format!("/v1/payouts/{id}/cancel"), &[])
        .await;
    assert_eq!(cancel.0, 400);
}

#[tokio::test]
async fn a_payout_to_the_failing_test_account_fails_and_gives_the_money_back() {
    let emulator = with_available_funds().await;
    let (status, bank) = emulator
        .post(
            "/_emulator/bank_account",
            &[("account_number", "000111111116")],
        )
        .await;
    assert_eq!(status, 200, "{bank}");
    assert_eq!(bank["last4"], "1116");
    let payout = emulator
        .ok("/v1/payouts", &[("amount", "1000"), ("currency", "usd")])
        .await;
    assert_eq!(payout["destination"], bank["id"]);
    assert_eq!(emulator.usd_balance().await, (912, 0));
    emulator.advance_days(2).await;
    let failed = emulator
        .fetch(&format!("/v1/payouts/{}", payout["id"].as_str().unwrap()))
        .await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failure_code"], "no_account");
    assert!(failed["failure_message"].as_str().is_some());
    let back = emulator
        .fetch(&format!(
            "/v1/balance_transactions/{}",
            failed["failure_balance_transaction"].as_str().unwrap()
        ))
        .await;
    assert_eq!(back["type"], "payout_failure");
    assert_eq!(back["amount"], 1000);
    assert_eq!(emulator.usd_balance().await, (1912, 0));
    let types = emulator.event_types().await;
    assert!(
        types.ends_with(&["payout.failed".to_owned(), "payout.updated".to_owned()]),
        "{types:?}"
    );

    let refused = emulator
        .post("/_emulator/bank_account", &[("account_number", "123")])
        .await;
    assert_eq!(refused.0, 400);
}

#[tokio::test]
async fn a_pending_payout_can_be_canceled_and_updated() {
    let emulator = with_available_funds().await;
    let payout = emulator
        .ok("/v1/payouts", &[("amount", "500"), ("currency", "usd")])
        .await;
    let id = payout["id"].as_str().unwrap();
    let updated = emulator
        .ok(&format!("/v1/payouts/{id}"), &[("metadata[note]", "rent")])
        .await;
    assert_eq!(updated["metadata"]["note"], "rent");
    assert_eq!(
        emulator.event_types().await.last().unwrap(),
        "payout.updated"
    );
    let canceled = emulator.ok(&format!("/v1/payouts/{id}/cancel"), &[]).await;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(emulator.usd_balance().await, (1912, 0));
    let twice = emulator
        .post(&format!("/v1/payouts/{id}/cancel"), &[])
        .await;
    assert_eq!(twice.0, 400);
    let elsewhere = emulator
        .post(
            "/v1/payouts",
            &[
                ("amount", "100"),
                ("currency", "usd"),
                ("destination", "ba_other"),
            ],
        )
        .await;
    assert_eq!(elsewhere.0, 404);
    assert_eq!(elsewhere.1["error"]["param"], "destination");
}
