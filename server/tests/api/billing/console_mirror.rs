//! `server stripe sync` and `server stripe verify` over the money after the sale, with no webhook
//! delivered to the app: sync fills the console's mirror (charges with their fee and net,
//! refunds, disputes, payouts, balance transactions, the balance) and verify then finds nothing;
//! a refund made behind the app's back is what verify reports, and sync repairs it — but never
//! over what a later fetch stored first.

use backend::billing::verify::{self, Difference, Mismatch, Object, Repair, VerifyReport};
use serde_json::Value;

use super::{spawn_billing, stripe_cli, subscriber::advance_days, Stripe};
use crate::helpers::TestApp;

/// A 20.00 USD card payment; its charge's id.
async fn pay(stripe: &Stripe, test_card: &str) -> String {
    let intent = stripe
        .ok(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("payment_method", test_card),
                ("confirm", "true"),
                ("allowed_payment_method_types[0]", "card"),
            ],
        )
        .await;
    intent["latest_charge"].as_str().unwrap().to_owned()
}

/// Refunds `amount` of `charge` in Stripe; the refund's id.
async fn refund(stripe: &Stripe, charge: &str, amount: i64) -> String {
    let refund = stripe
        .ok(
            "/v1/refunds",
            &[("charge", charge), ("amount", &amount.to_string())],
        )
        .await;
    refund["id"].as_str().unwrap().to_owned()
}

/// `server stripe sync` against the app's database; must succeed. Its standard output.
async fn synced(app: &TestApp, stripe: &Stripe) -> String {
    let output = stripe_cli(app.database.url().as_str(), stripe, &["sync"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn verified(app: &TestApp) -> VerifyReport {
    verify::run(&app.state()).await.expect("verify runs")
}

/// A stored charge: `(amount, amount_refunded, refunded, disputed, fee, net, status)`.
async fn stored_charge(
    app: &TestApp,
    id: &str,
) -> (i64, i64, bool, bool, Option<i64>, Option<i64>, String) {
    sqlx::query_as(
        "SELECT amount, amount_refunded, refunded, disputed, fee, net, status
         FROM stripe_charges WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap_or_else(|e| panic!("no stored charge {id}: {e}"))
}

/// The data of a Stripe list (fewer than 100).
async fn listed(stripe: &Stripe, path: &str) -> Vec<Value> {
    let list = stripe.get(&format!("{path}?limit=100")).await;
    assert_eq!(list["has_more"], false);
    list["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sync_fills_the_console_mirror_with_what_stripe_holds_and_verify_then_matches() {
    let (app, stripe) = spawn_billing(false).await;
    let kept = pay(&stripe, "pm_card_visa").await;
    advance_days(&stripe, 2).await;
    let payout = stripe
        .ok("/v1/payouts", &[("amount", "1000"), ("currency", "usd")])
        .await;
    let disputed = pay(&stripe, "pm_card_createDispute").await;
    let refunded = refund(&stripe, &kept, 500).await;
    let mirrored: i64 = sqlx::query_scalar("SELECT count(*) FROM stripe_charges")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(mirrored, 0, "no webhook reached the app");

    let stdout = synced(&app, &stripe).await;

    let transactions = listed(&stripe, "/v1/balance_transactions").await;
    assert!(
        stdout.contains(&format!(
            "2 charges, 1 refunds, 1 disputes, 1 payouts, {} balance transactions",
            transactions.len()
        )),
        "{stdout}"
    );
    assert_eq!(
        stored_charge(&app, &kept).await,
        (
            2000,
            500,
            false,
            false,
            Some(88),
            Some(1912),
            "succeeded".into()
        )
    );
    assert_eq!(
        stored_charge(&app, &disputed).await,
        (
            2000,
            0,
            false,
            true,
            Some(88),
            Some(1912),
            "succeeded".into()
        )
    );
    let refund_row: (String, String, i64, String) =
        sqlx::query_as("SELECT id, charge_id, amount, status FROM stripe_refunds")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        refund_row,
        (refunded, kept.clone(), 500, "succeeded".into())
    );
    let dispute: (String, i64, String) =
        sqlx::query_as("SELECT charge_id, amount, status FROM stripe_disputes")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(dispute, (disputed, 2000, "needs_response".into()));
    let payout_row: (String, i64, String) =
        sqlx::query_as("SELECT id, amount, status FROM stripe_payouts")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        payout_row,
        (
            payout["id"].as_str().unwrap().into(),
            1000,
            "pending".into()
        )
    );
    let mut in_stripe: Vec<(String, i64, i64, i64)> = transactions
        .iter()
        .map(|txn| {
            (
                txn["id"].as_str().unwrap().to_owned(),
                txn["amount"].as_i64().unwrap(),
                txn["fee"].as_i64().unwrap(),
                txn["net"].as_i64().unwrap(),
            )
        })
        .collect();
    in_stripe.sort();
    let stored: Vec<(String, i64, i64, i64)> =
        sqlx::query_as("SELECT id, amount, fee, net FROM stripe_balance_transactions ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(stored, in_stripe);
    assert!(stored.contains(&(kept_transaction(&stripe, &kept).await, 2000, 88, 1912)));
    let balance = stripe.get("/v1/balance").await;
    let stored_balance: (i64, i64) =
        sqlx::query_as("SELECT available, pending FROM stripe_balance WHERE currency = 'usd'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        stored_balance,
        (
            balance["available"][0]["amount"].as_i64().unwrap(),
            balance["pending"][0]["amount"].as_i64().unwrap()
        )
    );
    let report = verified(&app).await;
    assert!(report.matches(), "{:#?}", report.differences);
    let checked = &report.checked;
    assert_eq!(
        (
            checked.charges,
            checked.refunds,
            checked.disputes,
            checked.payouts
        ),
        (2, 1, 1, 1)
    );
}

/// The balance transaction of a charge in Stripe.
async fn kept_transaction(stripe: &Stripe, charge: &str) -> String {
    stripe.get(&format!("/v1/charges/{charge}")).await["balance_transaction"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_refund_made_behind_the_apps_back_is_reported_by_verify_and_repaired_by_sync() {
    let (app, stripe) = spawn_billing(false).await;
    let charge = pay(&stripe, "pm_card_visa").await;
    synced(&app, &stripe).await;
    assert!(verified(&app).await.matches());

    let refunded = refund(&stripe, &charge, 2000).await;
    let report = verified(&app).await;

    let changed = |name, stored: &str, in_stripe: &str| Difference {
        object: Object::Charge,
        id: charge.clone(),
        mismatch: Mismatch::Field {
            name,
            stored: stored.into(),
            in_stripe: in_stripe.into(),
        },
        repair: Repair::Sync,
    };
    assert_eq!(
        report.differences[..2],
        [
            changed("amount_refunded", "0", "2000"),
            changed("refunded", "false", "true")
        ]
    );
    assert_eq!(report.differences.len(), 3, "{:#?}", report.differences);
    let missed = &report.differences[2];
    assert_eq!(
        (missed.object, missed.id.as_str(), &missed.mismatch),
        (Object::Refund, refunded.as_str(), &Mismatch::NotStored)
    );
    assert!(matches!(missed.repair, Repair::Replay { .. }), "{missed}");
    let output = stripe_cli(app.database.url().as_str(), &stripe, &["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "charge {charge}: amount_refunded is 0 here, 2000 in Stripe (repair: server stripe sync)"
        )),
        "{stdout}"
    );
    assert!(stdout.contains(": 3 differences."), "{stdout}");

    synced(&app, &stripe).await;

    assert!(verified(&app).await.matches(), "sync repaired it");
    assert_eq!(
        stored_charge(&app, &charge).await,
        (
            2000,
            2000,
            true,
            false,
            Some(88),
            Some(1912),
            "succeeded".into()
        )
    );
}

#[tokio::test]
async fn sync_leaves_a_charge_that_a_later_fetch_stored_first() {
    let (app, stripe) = spawn_billing(false).await;
    let charge = pay(&stripe, "pm_card_visa").await;
    synced(&app, &stripe).await;
    refund(&stripe, &charge, 2000).await;
    // As if a webhook's fetch, under a ticket drawn after the next sync's, stored it first.
    sqlx::query(
        "UPDATE stripe_object_fetches SET ticket = 9223372036854775807 WHERE object_id = $1",
    )
    .bind(&charge)
    .execute(&app.db)
    .await
    .unwrap();

    synced(&app, &stripe).await;

    let (_, amount_refunded, refunded, ..) = stored_charge(&app, &charge).await;
    assert_eq!((amount_refunded, refunded), (0, false));
}
