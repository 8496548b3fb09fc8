//! Usage: a metered feature counted against the plan's hard limit on the server — never one
//! call over it however many arrive at once, refused with what is left and when it resets, and
//! the allowance starting again with the next billing period; credit packs drawn after the
//! allowance and before overage; only the overage reported to Stripe, exactly once.

use crate::billing::{
    checkout::{shop, sign_up_with, start_checkout},
    eventually,
    gating::reports,
    payment::{paid_purchase_charge, pay, GOOD_CARD},
    price_id, stripe_cli,
    subscriber::advance_days,
    Stripe,
};
use crate::helpers::TestApp;

/// Makes Hobby meter the reports API (`usage_limit` a period, 2 included) and grant the API,
/// mirrored into the app; then Ada subscribes to it.
async fn ada_on_metered_hobby(webhooks: bool, limit: &str) -> (TestApp, Stripe) {
    let (app, stripe) = shop(webhooks).await;
    stripe
        .ok(
            "/v1/products/prod_tollgate_hobby",
            &[
                ("metadata[features]", "reports,api"),
                ("metadata[metered]", "reports_generated"),
                ("metadata[unit]", "report"),
                ("metadata[included_usage]", "2"),
                ("metadata[usage_limit]", limit),
            ],
        )
        .await;
    let synced = stripe_cli(app.database.url().as_str(), &stripe, &["sync"]).await;
    assert!(synced.status.success());
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let checkout = start_checkout(&app, &app.client, &hobby).await;
    assert_eq!(pay(&checkout, GOOD_CARD).await.status(), 303);
    app.page(&format!(
        "/checkout/success?session_id={}",
        crate::billing::checkout::session_id(&checkout)
    ))
    .await;
    (app, stripe)
}

async fn used(app: &TestApp) -> (i64, i64) {
    let counted: i64 =
        sqlx::query_scalar("SELECT COALESCE(sum(used), 0)::bigint FROM usage_counters")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM usage_events")
        .fetch_one(&app.db)
        .await
        .unwrap();
    (counted, logged)
}

#[tokio::test]
async fn the_hard_limit_holds_under_two_hundred_concurrent_calls_on_two_replicas() {
    let (app, _stripe) = ada_on_metered_hobby(false, "50").await;
    // Half of the calls reach another replica: they meet only in Postgres.
    let replica = app.replica().await;
    let urls = [app.url("/api/reports"), replica.url("/api/reports")];
    let calls = (0..200).map(|n| {
        let (client, url) = (app.client.clone(), urls[n % 2].clone());
        async move {
            let response = client.get(url).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    });
    let answers = crate::helpers::join_all_spawned(calls).await;
    let allowed = answers.iter().filter(|(status, _)| *status == 200).count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == 402)
        .collect();
    assert_eq!(
        (allowed, refused.len()),
        (50, 150),
        "never one over the limit"
    );
    assert_eq!(used(&app).await, (50, 50), "counted and logged once each");
    let (_, body) = refused[0];
    assert_eq!(body["usage"]["remaining"], 0);
    assert_eq!(body["usage"]["limit"], 50);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("used all 50 reports"),
        "{body}"
    );
    assert!(body["usage"]["resets_at"].as_i64().unwrap() > 0);
    let page = app.account_page(&app.client).await.unwrap();
    assert!(
        page.contains("50 of 50 reports used this period; 2 included."),
        "{page}"
    );
    assert!(page.contains("<meter"), "a bar");
}

#[tokio::test]
async fn the_allowance_starts_again_with_the_next_billing_period() {
    let (app, stripe) = ada_on_metered_hobby(true, "3").await;
    for n in 1..=3 {
        let (status, body) = reports(&app, &app.client).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["usage"]["used"], n);
    }
    assert_eq!(reports(&app, &app.client).await.0, 402);

    advance_days(&stripe, 31).await;
    let renewed = eventually(10, || async { reports(&app, &app.client).await.0 == 200 }).await;
    assert!(renewed, "the new period lets calls in again");
    let (_, body) = reports(&app, &app.client).await;
    assert_eq!(body["usage"]["used"], 2, "counted in the new period");
}

#[tokio::test]
async fn a_plan_that_does_not_meter_the_feature_counts_nothing() {
    let (app, _stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let checkout = start_checkout(&app, &app.client, &pro).await;
    assert_eq!(pay(&checkout, GOOD_CARD).await.status(), 303);
    app.page(&format!(
        "/checkout/success?session_id={}",
        crate::billing::checkout::session_id(&checkout)
    ))
    .await;
    let (status, body) = reports(&app, &app.client).await;
    assert_eq!(status, 200);
    assert!(body["usage"].is_null());
    assert_eq!(used(&app).await, (0, 0));
}

#[tokio::test]
async fn uses_reach_stripe_as_meter_events_exactly_once_across_faults_and_restarts() {
    let (app, stripe) = ada_on_metered_hobby(false, "50").await;
    // `server stripe seed` made the demo catalog's meter.
    let meters = stripe.get("/v1/billing/meters").await;
    let meter = &meters["data"][0];
    assert_eq!(meter["event_name"], "reports_generated");
    for _ in 0..5 {
        assert_eq!(reports(&app, &app.client).await.0, 200);
    }
    let state = app.state();

    // Half of Stripe's answers fail (some after the work was done): passes go on until every
    // use is reported.
    stripe
        .ok(
            "/_emulator/chaos",
            &[("api_fault_rate", "0.5"), ("stall_ms", "100")],
        )
        .await;
    for _ in 0..40 {
        backend::usage::reporter::report_due(&state).await.unwrap();
        if backend::usage::reporter::lag(&app.db)
            .await
            .unwrap()
            .waiting
            == 0
        {
            break;
        }
    }
    stripe
        .ok("/_emulator/chaos", &[("api_fault_rate", "0")])
        .await;
    assert_eq!(
        backend::usage::reporter::lag(&app.db)
            .await
            .unwrap()
            .waiting,
        0
    );

    // A restart that lost the marks: everything is sent again, and Stripe counts none twice.
    sqlx::query("UPDATE usage_events SET reported_at = NULL")
        .execute(&app.db)
        .await
        .unwrap();
    let again = backend::usage::reporter::report_due(&state).await.unwrap();
    assert_eq!(
        (again.sent, again.failed),
        (3, 0),
        "the two included uses are never sent"
    );

    let (customer, first, last): (String, time::OffsetDateTime, time::OffsetDateTime) =
        sqlx::query_as(
            "SELECT c.stripe_customer_id, min(e.occurred_at), max(e.occurred_at) \
             FROM usage_events e JOIN billing_customers c ON c.account_id = e.account_id \
             GROUP BY c.stripe_customer_id",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
    let hour = |t: time::OffsetDateTime| t.unix_timestamp() - t.unix_timestamp().rem_euclid(3600);
    let summary = stripe
        .get(&format!(
            "/v1/billing/meters/{}/event_summaries?customer={customer}&start_time={}&end_time={}",
            meter["id"].as_str().unwrap(),
            hour(first),
            hour(last) + 3600
        ))
        .await;
    assert_eq!(summary["data"][0]["aggregated_value"], 3.0, "{summary}");
}

#[tokio::test]
async fn the_invoice_at_the_period_end_bills_exactly_the_recorded_usage() {
    let (app, stripe) = shop(true).await;
    let pricing = app.page("/pricing").await;
    assert!(
        pricing.contains("per report, billed every month"),
        "{pricing}"
    );
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let usage = price_id(&app, "tollgate_usage_reports").await;
    let checkout = start_checkout(&app, &app.client, &usage).await;
    let lines = stripe
        .get(&format!(
            "/v1/checkout/sessions/{}/line_items",
            crate::billing::checkout::session_id(&checkout)
        ))
        .await;
    assert!(lines["data"][0]["quantity"].is_null(), "{lines}");
    assert_eq!(pay(&checkout, GOOD_CARD).await.status(), 303);
    let subscribed = eventually(10, || async { reports(&app, &app.client).await.0 == 200 }).await;
    assert!(subscribed, "the webhooks stored the plan");
    for _ in 0..6 {
        assert_eq!(reports(&app, &app.client).await.0, 200);
    }
    let state = app.state();
    backend::usage::reporter::report_due(&state).await.unwrap();
    assert_eq!(used(&app).await, (7, 7));
    let page = app.account_page(&app.client).await.unwrap();
    assert!(
        page.contains("Projected for this period: $0.35 (7 reports at $0.05)."),
        "{page}"
    );
    assert!(
        page.contains("$0.05 per report, billed at the end of each period"),
        "{page}"
    );
    let renewal = renewal_invoice(&app, &stripe).await;
    assert_eq!(renewal["subtotal"], 35, "7 reports at 5 cents: {renewal}");
    assert_eq!(renewal["lines"]["data"][0]["quantity"], 7);
}

#[tokio::test]
async fn the_reconciliation_catches_usage_that_differs_from_stripes() {
    let (app, stripe) = ada_on_metered_hobby(false, "50").await;
    for _ in 0..5 {
        assert_eq!(reports(&app, &app.client).await.0, 200);
    }
    let state = app.state();
    backend::usage::reporter::report_due(&state).await.unwrap();
    let now = backend::billing::clock::now(&state).await;
    assert!(backend::usage::reconcile::reconcile(&state, now)
        .await
        .unwrap()
        .is_empty());

    // A use Stripe has that we never counted.
    let customer: String = sqlx::query_scalar("SELECT stripe_customer_id FROM billing_customers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let at: time::OffsetDateTime = sqlx::query_scalar("SELECT max(occurred_at) FROM usage_events")
        .fetch_one(&app.db)
        .await
        .unwrap();
    stripe
        .ok(
            "/v1/billing/meter_events",
            &[
                ("event_name", "reports_generated"),
                ("identifier", "injected-1"),
                ("timestamp", &at.unix_timestamp().to_string()),
                ("payload[stripe_customer_id]", &customer),
                ("payload[value]", "1"),
            ],
        )
        .await;
    // The nightly reconciliation, run by hand, finds it and exits 1.
    let cli = crate::billing::server_cli_at(
        app.database.url().as_str(),
        stripe.base_url(),
        &["usage", "reconcile"],
        &[],
    )
    .await;
    let stdout = String::from_utf8_lossy(&cli.stdout);
    assert!(!cli.status.success(), "{stdout}");
    // Five uses, two of them included: three billable.
    assert!(
        stdout.contains("reports_generated: 3 here, 4 in Stripe"),
        "{stdout}{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let found = backend::usage::reconcile::reconcile(&state, now)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].ours, found[0].stripes), (3, 4.0));

    let admin = crate::organizations::person(&app, "root@example.com").await;
    crate::console::grant(&app, "root@example.com").await;
    let console =
        crate::helpers::without_markers(app.get_with(&admin, "/admin").await.text().await.unwrap());
    assert!(
        console.contains("ada@example.com, reports_generated: 3 here, 4 in Stripe"),
        "{console}"
    );
    assert!(
        console.contains("Every counted use has reached Stripe."),
        "{console}"
    );
    let page = crate::helpers::without_markers(
        app.get_with(&admin, &format!("/admin/customers/{customer}"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(page.contains("Usage this period"), "{page}");
    assert!(
        page.contains("5 of 50 reports used this period; 2 included."),
        "{page}"
    );
}

/// Moves the clock a month on; the subscription's renewal invoice, as Stripe has it.
async fn renewal_invoice(app: &TestApp, stripe: &Stripe) -> serde_json::Value {
    let subscription: String = sqlx::query_scalar("SELECT id FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    advance_days(stripe, 31).await;
    let invoices = stripe
        .get(&format!("/v1/invoices?subscription={subscription}"))
        .await;
    invoices["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|invoice| invoice["billing_reason"] == "subscription_cycle")
        .expect("a renewal invoice")
        .clone()
}

/// The shop with the catalog's metadata changed as `changes` say (`(product, key, value)`),
/// mirrored; then Ada signs up and subscribes to the Usage plan.
async fn ada_on_usage(webhooks: bool, changes: &[(&str, &str, &str)]) -> (TestApp, Stripe) {
    let (app, stripe) = shop(webhooks).await;
    for (product, key, value) in changes {
        stripe
            .ok(
                &format!("/v1/products/{product}"),
                &[(&format!("metadata[{key}]"), *value)],
            )
            .await;
    }
    let synced = stripe_cli(app.database.url().as_str(), &stripe, &["sync"]).await;
    assert!(synced.status.success());
    sign_up_with(&app, &app.client, "ada@example.com").await;
    buy(&app, &price_id(&app, "tollgate_usage_reports").await).await;
    (app, stripe)
}

/// Pays for `price` through Checkout and comes back to the success page (which records it).
async fn buy(app: &TestApp, price: &str) {
    let checkout = start_checkout(app, &app.client, price).await;
    assert_eq!(pay(&checkout, GOOD_CARD).await.status(), 303);
    app.page(&format!(
        "/checkout/success?session_id={}",
        crate::billing::checkout::session_id(&checkout)
    ))
    .await;
}

#[tokio::test]
async fn credits_are_drawn_after_the_allowance_and_before_overage() {
    // The Usage plan with 2 reports included and a limit of 4 a month; packs of 3 reports.
    let (app, stripe) = ada_on_usage(
        false,
        &[
            ("prod_tollgate_usage", "included_usage", "2"),
            ("prod_tollgate_usage", "usage_limit", "4"),
            ("prod_tollgate_report_credits", "credits", "3"),
        ],
    )
    .await;
    let pricing = app.page("/pricing").await;
    assert!(pricing.contains("Usage"), "{pricing}");
    assert!(
        !pricing.contains("500 reports"),
        "packs are sold on the account page: {pricing}"
    );
    let pack = price_id(&app, "tollgate_report_credits_500").await;
    let page = app.account_page(&app.client).await.unwrap();
    assert!(page.contains("Buy 3 reports for $20"), "{page}");
    buy(&app, &pack).await;

    // 2 included, then 3 from the credits, then 2 of overage up to the limit of 4.
    for n in 1..=7 {
        let (status, body) = reports(&app, &app.client).await;
        assert_eq!(status, 200, "call {n}: {body}");
    }
    let (status, body) = reports(&app, &app.client).await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["usage"]["remaining"], 0, "{body}");
    assert_eq!(body["usage"]["credits"], 0, "{body}");
    assert!(
        body["credits_url"]
            .as_str()
            .unwrap()
            .ends_with("/account#billing"),
        "{body}"
    );
    let billable: Vec<i64> =
        sqlx::query_scalar("SELECT billable FROM usage_events ORDER BY occurred_at, id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        billable.iter().sum::<i64>(),
        2,
        "only the overage is billed"
    );
    let page = app.account_page(&app.client).await.unwrap();
    for said in [
        "4 of 4 reports used this period; 2 included; 3 more paid by credits.",
        "Your report credits are used up.",
        "Projected for this period: $0.10 (2 reports at $0.05).",
        "calls are refused until",
    ] {
        assert!(page.contains(said), "{said}: {page}");
    }

    // Another pack lets calls go on past the limit, drawing only on it.
    buy(&app, &pack).await;
    for n in 1..=3 {
        let (status, body) = reports(&app, &app.client).await;
        assert_eq!(status, 200, "call {n} on the new credits: {body}");
        assert_eq!(body["usage"]["credits"], 3 - n, "{body}");
    }
    assert_eq!(reports(&app, &app.client).await.0, 402);
    assert_eq!(used(&app).await, (10, 10));

    // Stripe hears of the two overage reports only, and bills them at the renewal.
    let state = app.state();
    let report = backend::usage::reporter::report_due(&state).await.unwrap();
    assert_eq!((report.sent, report.failed), (2, 0));
    let renewal = renewal_invoice(&app, &stripe).await;
    assert_eq!(renewal["subtotal"], 10, "2 reports at 5 cents: {renewal}");
}

#[tokio::test]
async fn concurrent_calls_never_draw_the_same_credit_twice() {
    // Nothing past the credits: a limit of 0 and no allowance.
    let (app, _stripe) = ada_on_usage(
        false,
        &[
            ("prod_tollgate_usage", "usage_limit", "0"),
            ("prod_tollgate_report_credits", "credits", "30"),
        ],
    )
    .await;
    buy(&app, &price_id(&app, "tollgate_report_credits_500").await).await;
    let url = app.url("/api/reports");
    let calls = (0..100).map(|_| {
        let (client, url) = (app.client.clone(), url.clone());
        async move { client.get(url).send().await.unwrap().status().as_u16() }
    });
    let answers = crate::helpers::join_all_spawned(calls).await;
    assert_eq!(
        answers.iter().filter(|status| **status == 200).count(),
        30,
        "exactly the 30 credits: {answers:?}"
    );
    let drawn: i64 = sqlx::query_scalar("SELECT sum(from_credits)::bigint FROM usage_counters")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(drawn, 30);
}

#[tokio::test]
async fn a_refunded_credit_pack_takes_back_what_it_has_left_and_nothing_of_a_later_pack() {
    let (app, stripe) = ada_on_usage(
        true,
        &[
            ("prod_tollgate_usage", "usage_limit", "0"),
            ("prod_tollgate_report_credits", "credits", "3"),
        ],
    )
    .await;
    buy(&app, &price_id(&app, "tollgate_report_credits_500").await).await;
    let charge = paid_purchase_charge(&app).await;
    let (status, body) = reports(&app, &app.client).await;
    assert_eq!((status, body["usage"]["credits"].as_i64()), (200, Some(2)));

    stripe
        .ok("/v1/refunds", &[("charge", charge.as_str())])
        .await;
    let taken_back = eventually(10, || async { reports(&app, &app.client).await.0 == 402 }).await;
    assert!(taken_back, "the refund takes the pack's units back");
    let (_, body) = reports(&app, &app.client).await;
    assert_eq!(body["usage"]["credits"], 0, "{body}");

    // The unit the refunded pack paid for stays paid for: a new pack is whole.
    buy(&app, &price_id(&app, "tollgate_report_credits_500").await).await;
    let (status, body) = reports(&app, &app.client).await;
    assert_eq!(
        (status, body["usage"]["credits"].as_i64()),
        (200, Some(2)),
        "{body}"
    );
}

#[tokio::test]
async fn a_free_plan_grants_an_allowance_and_reports_nothing_to_stripe() {
    let (app, stripe) = shop(false).await;
    let product = stripe
        .ok(
            "/v1/products",
            &[
                ("name", "Free"),
                ("metadata[features]", "reports,api"),
                ("metadata[metered]", "reports_generated"),
                ("metadata[unit]", "report"),
                ("metadata[included_usage]", "3"),
                ("metadata[usage_limit]", "3"),
            ],
        )
        .await;
    stripe
        .ok(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("currency", "usd"),
                ("unit_amount", "0"),
                ("recurring[interval]", "month"),
                ("lookup_key", "tollgate_free_monthly"),
            ],
        )
        .await;
    let synced = stripe_cli(app.database.url().as_str(), &stripe, &["sync"]).await;
    assert!(synced.status.success());
    sign_up_with(&app, &app.client, "ada@example.com").await;
    buy(&app, &price_id(&app, "tollgate_free_monthly").await).await;

    for n in 1..=3 {
        let (status, body) = reports(&app, &app.client).await;
        assert_eq!(
            (status, body["usage"]["used"].as_i64()),
            (200, Some(n)),
            "{body}"
        );
    }
    let (status, body) = reports(&app, &app.client).await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["usage"]["included"], 3);
    let page = app.account_page(&app.client).await.unwrap();
    assert!(
        page.contains("3 of 3 reports used this period; 3 included."),
        "{page}"
    );
    let reported = backend::usage::reporter::report_due(&app.state())
        .await
        .unwrap();
    assert_eq!(
        (reported.sent, reported.failed),
        (0, 0),
        "the allowance is never billed"
    );
}
