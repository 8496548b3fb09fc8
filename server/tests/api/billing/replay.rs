//! `server stripe replay --since …` after a webhook outage, and `server stripe sync` storing
//! invoices, run as an operator runs them against the emulator.

use std::process::Output;

use super::{
    checkout::shop,
    payment::GOOD_CARD,
    stripe_cli, stripe_cli_at,
    subscriber::{
        advance_days, count, paid, paid_with, stored_invoice, stored_subscription, subscribe_as,
        FAILING_CARD,
    },
    Stripe,
};
use crate::helpers::TestApp;

/// `server stripe …` against the app's database; must succeed. Its standard output.
async fn run(app: &TestApp, stripe: &Stripe, args: &[&str]) -> String {
    let output = stripe_cli(app.database.url().as_str(), stripe, args).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?}: {stdout}{}",
        stderr(&output)
    );
    stdout
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The numbers of the replay's last line: `(listed, new, again, ignored)`.
fn report(stdout: &str) -> (usize, usize, usize, usize) {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("Done: "))
        .unwrap_or_else(|| panic!("no report in {stdout}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().unwrap())
        .collect();
    assert_eq!(
        line,
        format!(
            "Done: {} events listed; {} applied for the first time, {} again, {} ignored.",
            numbers[0], numbers[1], numbers[2], numbers[3]
        )
    );
    (numbers[0], numbers[1], numbers[2], numbers[3])
}

/// The subjects of the mails to `to`, in order (the sign-up's address confirmation left out).
async fn subjects(app: &TestApp, to: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT subject FROM dev_outbox WHERE to_address = $1 AND subject <> $2 ORDER BY id",
    )
    .bind(to)
    .bind(crate::helpers::ADDRESS_CONFIRMATION)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn replay_applies_the_missed_events_then_again_without_mailing_twice() {
    // No webhook endpoint: a month of events, none delivered.
    let (app, stripe, ada) = paid_with(false, "tollgate_pro_monthly", FAILING_CARD).await;
    advance_days(&stripe, 15).await;
    assert_eq!(count(&app, "subscriptions").await, 0);

    let first = report(&run(&app, &stripe, &["replay", "--since", "1h"]).await);

    let (listed, new, again, ignored) = first;
    assert!(listed > 0 && new > 0 && ignored > 0, "{first:?}");
    assert_eq!((new + ignored, again), (listed, 0));
    let stored = stored_subscription(&app, &ada.subscription)
        .await
        .expect("stored");
    assert_eq!(stored.status, "past_due", "the renewal failed");
    let invoices: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, total FROM invoices ORDER BY created, total")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        invoices,
        [("paid".into(), 0), ("open".into(), 2900)],
        "trial, renewal"
    );
    // The trial's notice is old news by now (the trial is over): only the failure is mailed.
    let mails = subjects(&app, "ada@example.com").await;
    assert_eq!(mails, ["Payment failed for your Tollgate Pro plan"]);

    let second = report(&run(&app, &stripe, &["replay", "--since", "1h"]).await);

    assert_eq!(second, (listed, 0, listed, 0), "every event applied again");
    assert_eq!(
        subjects(&app, "ada@example.com").await,
        mails,
        "no mail twice"
    );
    assert_eq!(
        stored_subscription(&app, &ada.subscription).await,
        Some(stored)
    );
}

#[tokio::test]
async fn replay_since_yesterday_is_refused_naming_the_forms_it_accepts() {
    let (app, stripe) = shop(false).await;

    let output = stripe_cli(
        app.database.url().as_str(),
        &stripe,
        &["replay", "--since", "yesterday"],
    )
    .await;

    assert!(!output.status.success());
    let stderr = stderr(&output);
    assert!(
        stderr.contains(
            "`yesterday` is not a moment: use 2026-11-20T00:00:00Z, unix seconds, or an age like 90m, 12h, 3d"
        ),
        "{stderr}"
    );
    assert_eq!(count(&app, "stripe_events").await, 0);
}

#[tokio::test]
async fn sync_stores_each_customers_invoices_and_the_account_page_lists_them() {
    let (app, stripe, ada) = paid("tollgate_hobby_monthly").await;
    assert_eq!(count(&app, "invoices").await, 0);

    let stdout = run(&app, &stripe, &["sync"]).await;

    assert!(stdout.contains("1 subscriptions, 1 invoices"), "{stdout}");
    let invoice = stripe
        .get(&format!("/v1/invoices?subscription={}", ada.subscription))
        .await["data"][0]
        .clone();
    let id = invoice["id"].as_str().unwrap();
    let expected = (
        invoice["number"].as_str().map(str::to_owned),
        "paid".to_owned(),
        900,
        900,
        invoice["hosted_invoice_url"].as_str().map(str::to_owned),
        Some(ada.subscription.clone()),
    );
    assert_eq!(stored_invoice(&app, id).await, Some(expected));
    let account = app.account_page(&app.client).await.unwrap();
    assert!(
        account.contains(invoice["number"].as_str().unwrap()),
        "{account}"
    );
}

#[tokio::test]
async fn replay_with_stripe_unreachable_fails_saying_so_and_applies_nothing() {
    let (app, stripe) = shop(false).await;
    subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_hobby_monthly",
        GOOD_CARD,
    )
    .await;
    let database = app.database.url().to_string();
    // An emulator that is no longer there.
    let gone = Stripe::start().await;
    let gone_url = gone.base_url().to_owned();
    drop(gone);

    let output = stripe_cli_at(&database, &gone_url, &["replay", "--since", "1h"]).await;

    assert!(!output.status.success());
    let stderr = stderr(&output);
    assert!(stderr.contains("replaying events"), "{stderr}");
    assert_eq!(count(&app, "stripe_events").await, 0);
    assert_eq!(count(&app, "subscriptions").await, 0);
}
