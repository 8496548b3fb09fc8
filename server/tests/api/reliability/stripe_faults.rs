//! Stripe failing (500s, 429s, lost answers, stalls past our timeout, cut connections) or hanging
//! outright: users get a clear "try again" and nothing is ever made twice; pages that do not need
//! Stripe stay up.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{every_event_applied, report, settled, size};
use crate::billing::{
    app_for_with,
    checkout::sign_up_with,
    payment::{pay, GOOD_CARD},
    price_id, seed, Stripe,
};
use crate::helpers::{form_error, location, spawn_app_with, TestApp};

/// What a user is told when Stripe could not be reached.
const TRY_AGAIN: &str = "We could not reach our payment provider. Please try again in a moment.";
/// Every database connection stayed busy past the pool's timeout (a thousand clicks at once on a
/// loaded machine): the user is asked to try again; nothing was sold.
const BUSY: &str = "We are busier than usual right now. Please try again in a moment.";

/// An emulator failing `rate` of its API calls (stalls last 1.5 s) and an app that gives up on a
/// call after 1 s, with the demo catalog.
async fn faulty_shop(rate: f64, vars: &[(&str, &str)]) -> (TestApp, Stripe) {
    let stripe = Stripe::start_configured(|config| {
        config.seed = Some(12);
        config.latency = super::stripe_latency();
        config.chaos.api_stall = Duration::from_millis(1_500);
        config.delivery_backoff = [0.2, 0.5, 1.0, 2.0, 4.0, 8.0]
            .map(Duration::from_secs_f64)
            .to_vec();
    })
    .await;
    let mut all = vec![("STRIPE_TIMEOUT_SECONDS", "1")];
    all.extend_from_slice(vars);
    let app = app_for_with(&stripe, &all).await;
    seed(&app, &stripe).await;
    stripe.send_webhooks_to(&app);
    stripe
        .ok("/_emulator/chaos", &[("api_fault_rate", &rate.to_string())])
        .await;
    (app, stripe)
}

/// Where the database differs from Stripe (`server stripe verify`), once the faults are off.
async fn differences_from_stripe(app: &TestApp) -> Vec<String> {
    backend::billing::verify::run(&app.state())
        .await
        .expect("comparing the database with Stripe")
        .differences
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The emulator's fault counts.
async fn injected(stripe: &Stripe) -> Value {
    stripe.get("/_emulator/chaos").await["injected"].clone()
}

/// Turns the faults off, to look at the emulator's state.
async fn calm(stripe: &Stripe) {
    stripe
        .ok("/_emulator/chaos", &[("api_fault_rate", "0")])
        .await;
}

/// Every Stripe object of `kind` (`customers`, `subscriptions`, …) for `query`.
async fn listed(stripe: &Stripe, kind: &str, query: &str) -> Vec<Value> {
    stripe.get(&format!("/v1/{kind}?limit=100&{query}")).await["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_thousand_concurrent_checkout_starts_for_one_user_under_stripe_faults_make_one_customer()
{
    let clicks = size("CHECKOUT_CLICKS", 1_000);
    let (app, stripe) = faulty_shop(0.2, &[("RATE_LIMIT_BILLING_PER_MINUTE", "100000")]).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;

    let started = Instant::now();
    let responses = crate::helpers::join_all_spawned((0..clicks).map(|_| {
        let (client, url) = (app.client.clone(), app.url("/api/start_checkout"));
        let (origin, price) = (app.base_url.clone(), price.clone());
        async move {
            client
                .post(url)
                .header("accept", "text/html")
                .header("referer", format!("{origin}/pricing"))
                .header("origin", origin)
                .form(&[("price", price)])
                .send()
                .await
                .expect("the app answers")
        }
    }))
    .await;
    let seconds = started.elapsed().as_secs_f64();

    let mut pages = std::collections::BTreeSet::new();
    let (mut told_to_retry, mut told_busy, mut other) = (0, 0, Vec::new());
    for response in &responses {
        match (response.status().as_u16(), form_error(response)) {
            (302, None) => {
                pages.insert(location(response));
            }
            (302, Some(error)) if error == json!({ "Form": TRY_AGAIN }) => told_to_retry += 1,
            (302, Some(error)) if error == json!({ "Form": BUSY }) => told_busy += 1,
            (status, error) => other.push(format!("{status} {error:?}")),
        }
    }
    let faults = injected(&stripe).await;
    calm(&stripe).await;
    let differences = differences_from_stripe(&app).await;
    let customers = listed(&stripe, "customers", "email=ada@example.com").await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM billing_customers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    report(
        "1,000 concurrent checkout starts, one user, 20 % Stripe faults",
        json!({
            "clicks": clicks,
            "sent_to_checkout": clicks - told_to_retry - told_busy - other.len(),
            "told_to_try_again": told_to_retry,
            "told_busy": told_busy,
            "other_answers": other.len(),
            "checkout_pages": pages.len(),
            "stripe_customers": customers.len(),
            "faults_injected": faults,
            "seconds": (seconds * 10.0).round() / 10.0,
            "mismatches": other.len() + customers.len().abs_diff(1) + stored.abs_diff(1) as usize
                + pages.len().abs_diff(1) + differences.len(),
        }),
    );
    assert!(
        other.is_empty(),
        "answers that were neither: {:?}",
        &other[..other.len().min(5)]
    );
    assert!(!pages.is_empty(), "some clicks reached Checkout");
    assert_eq!(customers.len(), 1, "one Stripe customer: {customers:#?}");
    assert_eq!(stored, 1);
    assert!(differences.is_empty(), "{differences:#?}");
    assert_eq!(pages.len(), 1, "one page to pay: {pages:?}");
}

/// Starts Checkout for `price`, trying again (as a user would) while told to; the hosted page and
/// how many tries it took.
async fn start_until_sent(app: &TestApp, client: &reqwest::Client, price: &str) -> (String, u32) {
    for tries in 1..=20 {
        let response = app
            .post_form_with(client, "/api/start_checkout", &[("price", price)])
            .await;
        assert_eq!(response.status(), 302);
        match form_error(&response) {
            None => return (location(&response), tries),
            Some(error) => assert_eq!(error, json!({ "Form": TRY_AGAIN }), "a clear message"),
        }
    }
    panic!("twenty tries and never sent to Checkout");
}

/// Opens the portal, trying again while told to; how many tries it took.
async fn portal_until_open(app: &TestApp, client: &reqwest::Client) -> u32 {
    for tries in 1..=20 {
        let response = app.post_form_with(client, "/api/open_portal", &[]).await;
        assert_eq!(response.status(), 302);
        match form_error(&response) {
            None => {
                assert!(
                    location(&response).contains("/portal/bps_"),
                    "{}",
                    location(&response)
                );
                return tries;
            }
            Some(error) => assert_eq!(error, json!({ "Form": TRY_AGAIN }), "a clear message"),
        }
    }
    panic!("twenty tries and the portal never opened");
}

#[tokio::test]
async fn checkout_webhooks_and_the_portal_under_stripe_faults_charge_each_user_once() {
    let users = size("FAULT_USERS", 8);
    let (app, stripe) = faulty_shop(0.25, &[("RATE_LIMIT_BILLING_PER_MINUTE", "100000")]).await;
    let price = price_id(&app, "tollgate_hobby_monthly").await;

    let (mut checkout_tries, mut portal_tries) = (0, 0);
    let mut emails = Vec::new();
    for n in 0..users {
        let email = format!("user{n}@example.com");
        let client = app.new_browser();
        sign_up_with(&app, &client, &email).await;
        let (page, tries) = start_until_sent(&app, &client, &price).await;
        checkout_tries += tries;
        assert_eq!(pay(&page, GOOD_CARD).await.status(), 303, "paid");
        // Webhooks re-fetch under the same faults; a failed one is answered 500 and redelivered.
        let subscribed = crate::billing::eventually(60, || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM subscriptions s JOIN users u ON u.id = s.account_id
                 WHERE u.email = $1 AND s.status = 'active'",
            )
            .bind(&email)
            .fetch_one(&app.db)
            .await
            .unwrap()
                == 1
        })
        .await;
        assert!(
            subscribed,
            "{email}'s subscription arrived through the faults"
        );
        portal_tries += portal_until_open(&app, &client).await;
        emails.push(email);
    }
    let faults = injected(&stripe).await;
    calm(&stripe).await;
    assert!(
        settled(&stripe, Duration::from_secs(60)).await,
        "every webhook delivered"
    );
    // Delivered is not applied: an event whose first attempt met a fault is retried with backoff.
    assert!(
        every_event_applied(&app, Duration::from_secs(60)).await,
        "every webhook applied"
    );

    let mut mismatches = differences_from_stripe(&app).await;
    for email in &emails {
        let customers = listed(&stripe, "customers", &format!("email={email}")).await;
        if customers.len() != 1 {
            mismatches.push(format!("{email}: {} customers", customers.len()));
            continue;
        }
        let customer = customers[0]["id"].as_str().unwrap();
        let subscriptions = listed(
            &stripe,
            "subscriptions",
            &format!("customer={customer}&status=all"),
        )
        .await;
        let paid: Vec<Value> = listed(&stripe, "invoices", &format!("customer={customer}"))
            .await
            .into_iter()
            .filter(|invoice| {
                invoice["status"] == "paid" && invoice["amount_paid"].as_i64() > Some(0)
            })
            .collect();
        if subscriptions.len() != 1 || paid.len() != 1 {
            mismatches.push(format!(
                "{email}: {} subscriptions, {} paid invoices",
                subscriptions.len(),
                paid.len()
            ));
        }
    }
    let deliveries = stripe.emulator().delivery_log();
    let redelivered = deliveries
        .iter()
        .filter(|attempt| attempt.attempt > 1)
        .count();
    report(
        "checkout, webhooks and portal under 25 % Stripe faults",
        json!({
            "users": users,
            "checkout_tries": checkout_tries,
            "portal_tries": portal_tries,
            "webhook_redeliveries": redelivered,
            "faults_injected": faults,
            "mismatches": mismatches.len(),
        }),
    );
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[tokio::test]
async fn with_stripe_hanging_each_call_gives_up_in_time_and_pages_without_stripe_stay_up() {
    // A Stripe that accepts connections and never answers.
    let black_hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hanging = format!("http://{}", black_hole.local_addr().unwrap());
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = requests.clone();
    let _held = tokio::spawn(async move {
        while let Ok((mut socket, _)) = black_hole.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut head = vec![0; 2048];
                let read = socket.read(&mut head).await.unwrap_or(0);
                let line = String::from_utf8_lossy(&head[..read]);
                let line = line.lines().next().unwrap_or_default().to_owned();
                seen.lock().unwrap().push(line);
                std::future::pending::<()>().await; // and never answer
            });
        }
    });
    // The catalog is seeded through a working emulator; the app itself talks to the black hole.
    let stripe = Stripe::start().await;
    let app = spawn_app_with(&[
        ("STRIPE_API_BASE", hanging.as_str()),
        ("STRIPE_TIMEOUT_SECONDS", "1"),
        ("STRIPE_MAX_NETWORK_RETRIES", "1"),
    ])
    .await;
    seed(&app, &stripe).await;
    let client = app.new_browser();
    sign_up_with(&app, &client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;

    let started = Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(60),
        app.post_form_with(&client, "/api/start_checkout", &[("price", &price)]),
    )
    .await
    .expect("the request ends: every Stripe call has a timeout");
    let gave_up_after = started.elapsed().as_secs_f64();

    assert_eq!(form_error(&response), Some(json!({ "Form": TRY_AGAIN })));
    let customer_attempts = requests
        .lock()
        .unwrap()
        .iter()
        .filter(|line| line.starts_with("POST /v1/customers "))
        .count();
    assert_eq!(
        customer_attempts, 2,
        "one try and one retry, each abandoned at its timeout"
    );
    assert_eq!(
        app.get("/pricing").await.status(),
        200,
        "pricing comes from our catalog"
    );
    assert!(app.page("/pricing").await.contains("Pro"));
    assert_eq!(
        app.get("/readyz").await.status(),
        200,
        "Stripe is not a readiness dependency"
    );
    report(
        "Stripe hanging",
        json!({ "checkout_gave_up_after_seconds": (gave_up_after * 10.0).round() / 10.0,
                "timeout_seconds": 1, "retries": 1, "customer_attempts": customer_attempts }),
    );
}
