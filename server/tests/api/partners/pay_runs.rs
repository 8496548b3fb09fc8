//! The pay run: commissions past their hold transferred once (one transfer per partner and
//! period, even with two runs at once), nothing marked paid when the platform lacks the funds,
//! and commissions taken back — cancelled in proportion to a refund before the transfer,
//! recovered with a transfer reversal after it, all of it for a lost dispute.

use backend::partners::payrun::{self, Report, Trigger};
use serde_json::Value;

use super::accounts::{connected_partner, partner_shop};
use crate::{
    billing::{eventually, Stripe},
    helpers::{without_markers, TestApp},
};

/// Stripe's paying test card; the one whose payments are disputed.
const CARD: &str = "4242424242424242";
const DISPUTED_CARD: &str = "4000000000000259";

/// Runs the pay run at the emulator's time.
async fn pay_run(app: &TestApp, stripe: &Stripe) -> Report {
    let now = stripe.get("/_emulator/clock").await["now"]
        .as_i64()
        .unwrap();
    let now = time::OffsetDateTime::from_unix_timestamp(now).unwrap();
    let client = crate::billing::client::client(stripe.base_url(), 0);
    payrun::run(&app.db, &client, now, Trigger::Command)
        .await
        .expect("the pay run runs")
}

/// Ada, a partner with a connected account, and Bob, referred by her, subscribed to Hobby ($9
/// a month) with `card`: Ada's first commission is $1.80, held. Ada's browser and account.
async fn referral_subscribed(app: &TestApp, card: &str) -> (reqwest::Client, String) {
    let (ada, account) = connected_partner(app, "ada@example.com").await;
    super::referral_subscribes(app, "ada@example.com", card).await;
    assert!(
        eventually(10, || async { commissions(app).await.len() == 1 }).await,
        "the paid invoice earned a commission"
    );
    assert!(
        eventually(10, || async { invoice_linked(app).await }).await,
        "the invoice's payment was recorded"
    );
    (ada, account)
}

/// (amount, taken back, paid) of each commission, oldest first.
async fn commissions(app: &TestApp) -> Vec<(i64, i64, bool)> {
    sqlx::query_as(
        "SELECT c.amount, c.amount_taken_back, t.status IS NOT DISTINCT FROM 'paid' \
         FROM partner_commissions c LEFT JOIN partner_transfers t ON t.id = c.transfer_id \
         ORDER BY c.created_at",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn invoice_linked(app: &TestApp) -> bool {
    sqlx::query_scalar("SELECT bool_and(payment_intent_id IS NOT NULL) FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap_or(false)
}

/// Moves the emulator's clock `days` on and waits for what it caused to be delivered.
async fn advance(stripe: &Stripe, days: u32) {
    stripe
        .ok("/_emulator/clock/advance", &[("days", &days.to_string())])
        .await;
    assert!(
        eventually(20, || async {
            stripe.get("/_emulator/clock").await["pending_webhooks"] == 0
        })
        .await
    );
}

/// The transfers made to `account`, newest first.
async fn transfers_to(stripe: &Stripe, account: &str) -> Vec<Value> {
    stripe
        .get(&format!("/v1/transfers?destination={account}"))
        .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

/// The id of the one transfer made to `account`.
async fn only_transfer(stripe: &Stripe, account: &str) -> String {
    let transfers = transfers_to(stripe, account).await;
    assert_eq!(transfers.len(), 1, "{transfers:?}");
    transfers[0]["id"].as_str().unwrap().to_owned()
}

/// Bob's (only) charge.
async fn bobs_charge(stripe: &Stripe) -> String {
    let charges = stripe.get("/v1/charges?limit=1").await;
    charges["data"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_pay_run_transfers_what_is_past_its_hold_once_and_the_partner_sees_it() {
    let (app, stripe) = partner_shop("platform").await;
    let (ada, account) = referral_subscribed(&app, CARD).await;

    // Within the hold: nothing to pay.
    let report = pay_run(&app, &stripe).await;
    assert!(report.paid.is_empty(), "{report:?}");
    assert!(transfers_to(&stripe, &account).await.is_empty());

    // Past it (the renewal earned a second commission, still held).
    advance(&stripe, 31).await;
    let report = pay_run(&app, &stripe).await;
    assert_eq!(report.paid.len(), 1, "{}", report.summary());
    let transfers = transfers_to(&stripe, &account).await;
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0]["amount"], 180);
    assert!(transfers[0]["transfer_group"]
        .as_str()
        .unwrap()
        .starts_with("partners-"));
    let balance = stripe.get_as(&account, "/v1/balance").await;
    assert_eq!(balance["available"][0]["amount"], 180, "{balance}");
    assert_eq!(
        commissions(&app)
            .await
            .iter()
            .map(|c| c.2)
            .collect::<Vec<_>>(),
        [true, false]
    );

    // Again: nothing more moves.
    let report = pay_run(&app, &stripe).await;
    assert!(report.paid.is_empty(), "{}", report.summary());
    assert_eq!(transfers_to(&stripe, &account).await.len(), 1);

    let page = super::partner_page(&app, &ada).await;
    assert!(page.contains("<dt>Paid</dt><dd>$1.80</dd>"), "{page}");
    assert!(page.contains("partners-"), "the transfer is listed: {page}");

    // The operator sees the account, the ledger, the transfer and the runs; the next run's plan
    // is the renewal's commission, still held: nothing.
    app.sign_up(crate::console::ADMIN).await;
    crate::console::grant(&app, crate::console::ADMIN).await;
    let console = without_markers(app.page("/admin/partners").await);
    assert!(
        console.contains(&format!("{account}: receives transfers")),
        "{console}"
    );
    assert!(
        console.contains("Nothing payable: no transfer would be made."),
        "{console}"
    );
    assert!(
        console.contains("<td>$1.80</td><td>$0</td><td>paid</td>"),
        "{console}"
    );
    let transfer = transfers[0]["id"].as_str().unwrap();
    assert!(console.contains(transfer), "{console}");
    assert!(console.contains("server partners pay"), "{console}");
    // Ada, a partner but no admin, is not shown the console.
    assert_eq!(app.get_with(&ada, "/admin/partners").await.status(), 404);
}

#[tokio::test]
async fn two_pay_runs_at_once_transfer_once() {
    let (app, stripe) = partner_shop("platform").await;
    let (_, account) = referral_subscribed(&app, CARD).await;
    advance(&stripe, 31).await;
    let (first, second) = tokio::join!(pay_run(&app, &stripe), pay_run(&app, &stripe));
    assert_eq!(
        first.paid.len() + second.paid.len(),
        1,
        "{first:?} {second:?}"
    );
    assert_eq!(transfers_to(&stripe, &account).await.len(), 1);
    let attempts: i64 = sqlx::query_scalar("SELECT count(*) FROM partner_transfers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(attempts, 1);
}

#[tokio::test]
async fn without_the_funds_nothing_is_marked_paid_and_the_next_run_pays() {
    let (app, stripe) = partner_shop("platform").await;
    let (_, account) = referral_subscribed(&app, CARD).await;
    advance(&stripe, 31).await;
    // The platform pays everything available out to its bank first.
    let balance = stripe.get("/v1/balance").await;
    let available = balance["available"][0]["amount"].as_i64().unwrap();
    stripe
        .ok(
            "/v1/payouts",
            &[("amount", &available.to_string()), ("currency", "usd")],
        )
        .await;

    let report = pay_run(&app, &stripe).await;
    assert_eq!(report.refused.len(), 1, "{}", report.summary());
    assert!(
        report.refused[0].2.contains("insufficient funds"),
        "Stripe's words: {}",
        report.summary()
    );
    assert!(transfers_to(&stripe, &account).await.is_empty());
    assert_eq!(
        commissions(&app)
            .await
            .iter()
            .map(|c| c.2)
            .collect::<Vec<_>>(),
        [false, false],
        "nothing marked paid"
    );

    // The renewal's money becomes available: the next run pays.
    advance(&stripe, 3).await;
    let report = pay_run(&app, &stripe).await;
    assert_eq!(report.paid.len(), 1, "{}", report.summary());
    assert_eq!(transfers_to(&stripe, &account).await.len(), 1);
}

#[tokio::test]
async fn a_refund_before_the_transfer_cancels_the_commission_in_proportion() {
    let (app, stripe) = partner_shop("platform").await;
    let (_, account) = referral_subscribed(&app, CARD).await;
    let charge = bobs_charge(&stripe).await;
    stripe
        .ok("/v1/refunds", &[("charge", &charge), ("amount", "450")])
        .await;
    assert!(
        eventually(10, || async { commissions(&app).await[0].1 == 90 }).await,
        "half the charge refunded took half the commission back: {:?}",
        commissions(&app).await
    );
    advance(&stripe, 31).await;
    pay_run(&app, &stripe).await;
    let transfers = transfers_to(&stripe, &account).await;
    assert_eq!(transfers[0]["amount"], 90, "what was left was paid");
}

#[tokio::test]
async fn a_refund_after_the_transfer_is_recovered_with_a_transfer_reversal_once() {
    let (app, stripe) = partner_shop("platform").await;
    let (_, account) = referral_subscribed(&app, CARD).await;
    advance(&stripe, 31).await;
    pay_run(&app, &stripe).await;
    let transfer = only_transfer(&stripe, &account).await;

    let charge = bobs_charge_of_first_invoice(&stripe).await;
    stripe.ok("/v1/refunds", &[("charge", &charge)]).await;
    assert!(
        eventually(10, || async { commissions(&app).await[0].1 == 180 }).await,
        "the whole commission was taken back"
    );
    let report = pay_run(&app, &stripe).await;
    assert_eq!(report.reversed.len(), 1, "{}", report.summary());
    let reversals = stripe
        .get(&format!("/v1/transfers/{transfer}/reversals"))
        .await;
    assert_eq!(reversals["data"].as_array().unwrap().len(), 1);
    assert_eq!(reversals["data"][0]["amount"], 180);

    // Another run (and the refund's events again) reverse nothing more.
    let report = pay_run(&app, &stripe).await;
    assert!(report.reversed.is_empty(), "{}", report.summary());
    let reversed: i64 = sqlx::query_scalar("SELECT amount_reversed FROM partner_transfers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(reversed, 180);
}

/// The first invoice's charge (the oldest).
async fn bobs_charge_of_first_invoice(stripe: &Stripe) -> String {
    let charges = stripe.get("/v1/charges?limit=10").await;
    let all = charges["data"].as_array().unwrap();
    all.last().unwrap()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_lost_dispute_takes_the_whole_commission_back() {
    let (app, stripe) = partner_shop("platform").await;
    referral_subscribed(&app, DISPUTED_CARD).await;
    let disputes = stripe.get("/v1/disputes").await;
    let dispute = disputes["data"][0]["id"].as_str().unwrap().to_owned();
    stripe
        .ok(&format!("/v1/disputes/{dispute}/close"), &[])
        .await;
    assert!(
        eventually(10, || async { commissions(&app).await[0].1 == 180 }).await,
        "the lost dispute took the commission back: {:?}",
        commissions(&app).await
    );
}

#[tokio::test]
async fn server_partners_pay_runs_the_pay_run_and_says_what_it_did() {
    let (app, stripe) = partner_shop("platform").await;
    referral_subscribed(&app, CARD).await;
    advance(&stripe, 31).await;
    let output = crate::billing::server_cli_at(
        app.database.url().as_str(),
        stripe.base_url(),
        &["partners", "pay"],
        &[
            ("PARTNERS_ENABLED", "true"),
            (
                "STRIPE_CONNECT_WEBHOOK_SECRET",
                crate::helpers::CONNECT_WEBHOOK_SECRET,
            ),
            ("TRIAL_LEDGER_KEY", crate::helpers::TRIAL_LEDGER_KEY),
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("paid ada@example.com: $1.80"), "{stdout}");
    let runs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM partner_pay_runs WHERE trigger = 'command' AND finished_at IS NOT NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(runs, 1);
}

#[tokio::test]
async fn a_dispute_lost_after_the_transfer_is_recovered_with_a_transfer_reversal() {
    let (app, stripe) = partner_shop("platform").await;
    let (_, account) = referral_subscribed(&app, DISPUTED_CARD).await;
    // The dispute took the payment back out of the balance: a top-up pays for the transfer.
    stripe
        .ok("/v1/topups", &[("amount", "10000"), ("currency", "usd")])
        .await;
    advance(&stripe, 31).await;
    let report = pay_run(&app, &stripe).await;
    assert_eq!(report.paid.len(), 1, "{}", report.summary());
    let transfer = only_transfer(&stripe, &account).await;

    // The first payment's dispute (the oldest) is lost.
    let disputes = stripe.get("/v1/disputes").await;
    let first = disputes["data"].as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    stripe.ok(&format!("/v1/disputes/{first}/close"), &[]).await;
    assert!(
        eventually(10, || async { commissions(&app).await[0].1 == 180 }).await,
        "the lost dispute took the paid commission back"
    );
    let report = pay_run(&app, &stripe).await;
    assert_eq!(report.reversed.len(), 1, "{}", report.summary());
    let reversals = stripe
        .get(&format!("/v1/transfers/{transfer}/reversals"))
        .await;
    assert_eq!(reversals["data"][0]["amount"], 180);
}

#[tokio::test]
async fn the_daily_pay_run_runs_once_a_day_on_its_own() {
    let stripe = Stripe::start().await;
    let app = crate::billing::app_for_with(&stripe, &[("PARTNER_PAY_RUN_DAILY", "true")]).await;
    let scheduled = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM partner_pay_runs WHERE trigger = 'schedule' AND finished_at IS NOT NULL",
        )
        .fetch_one(&app.db)
        .await
        .unwrap()
    };
    assert!(
        eventually(10, || async { scheduled().await == 1 }).await,
        "the server ran today's pay run at start-up"
    );
}
