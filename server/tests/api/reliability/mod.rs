//! Trying hard to break billing: webhook storms across two replicas, the database going away in
//! the middle of one, Stripe failing or hanging, all checked against the emulator's state
//! afterwards. Sizes come from `SOAK_*` variables: small in `cargo xtask test`, large in
//! `cargo xtask soak`, which collects the `figures:` line each test prints and gives the emulator
//! Stripe's latency ([`stripe_latency`]).

mod db_proxy;
mod outage;
mod shutdown;
mod storm;
mod stripe_faults;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stripe_emulator::Latency;
use uuid::Uuid;

use crate::billing::{price_id, Stripe, STRIPE_KEY};
use crate::helpers::TestApp;

/// `SOAK_{name}` if set (by `cargo xtask soak`), else the quick size for `cargo xtask test`.
pub fn size(name: &str, quick: usize) -> usize {
    std::env::var(format!("SOAK_{name}"))
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(quick)
}

/// Stripe's round trip for a test's emulator: `RELIABILITY_STRIPE_LATENCY_MS` give or take
/// `RELIABILITY_STRIPE_JITTER_MS` when `cargo xtask soak` sets them, else none.
pub fn stripe_latency() -> Latency {
    let millis = |name: &str| {
        Duration::from_millis(
            std::env::var(name)
                .ok()
                .and_then(|value| value.parse().ok())
                .unwrap_or(0),
        )
    };
    Latency {
        base: millis("RELIABILITY_STRIPE_LATENCY_MS"),
        jitter: millis("RELIABILITY_STRIPE_JITTER_MS"),
    }
}

/// Prints what a test measured, and appends it to `SOAK_FIGURES_FILE` when `cargo xtask soak`
/// sets it (a row of its table).
pub fn report(scenario: &str, figures: Value) {
    let line = json!({ "test": scenario, "figures": figures }).to_string();
    println!("figures: {line}");
    if let Ok(path) = std::env::var("SOAK_FIGURES_FILE") {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("opening the soak's figures file");
        writeln!(file, "{line}").expect("writing the soak's figures file");
    }
}

/// The emulator's API over HTTP, cheap to clone into tasks.
#[derive(Clone)]
pub struct Api {
    base_url: String,
    http: reqwest::Client,
}

impl Api {
    pub fn of(stripe: &Stripe) -> Self {
        Self {
            base_url: stripe.base_url().to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// `method path` with form parameters, which must succeed.
    pub async fn ok(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Value {
        let response = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url))
            .bearer_auth(STRIPE_KEY)
            .form(form)
            .send()
            .await
            .expect("the emulator answers");
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON body");
        assert!(status.is_success(), "{method} {path} {form:?}: {body}");
        body
    }
}

/// Churn over many subscriptions: what was made, for checking afterwards.
pub struct Churn {
    /// Every subscription made.
    pub subscriptions: Vec<String>,
    /// How many API calls made it.
    pub calls: usize,
}

/// `users` users, each with a Stripe customer whose default card is Visa, linked in our database
/// as Checkout would have linked them. The customers' ids.
pub async fn customers(app: &TestApp, api: &Api, users: usize) -> Vec<String> {
    let mut customers = Vec::with_capacity(users);
    for n in 0..users {
        let user = Uuid::new_v4();
        let email = format!("storm-{n}@example.com");
        sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'unused')")
            .bind(user)
            .bind(&email)
            .execute(&app.db)
            .await
            .unwrap();
        let customer = api
            .ok(
                reqwest::Method::POST,
                "/v1/customers",
                &[
                    ("email", email.as_str()),
                    ("payment_method", "pm_card_visa"),
                    ("invoice_settings[default_payment_method]", "pm_card_visa"),
                    ("metadata[user_id]", &user.to_string()),
                ],
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        sqlx::query(
            "INSERT INTO billing_customers (account_id, stripe_customer_id) VALUES ($1, $2)",
        )
        .bind(user)
        .bind(&customer)
        .execute(&app.db)
        .await
        .unwrap();
        customers.push(customer);
    }
    customers
}

/// Makes `subscriptions` subscriptions over `customers`, then changes them round robin (metadata,
/// cancel at period end on and off, Hobby ⇄ Pro without proration) until the emulator has emitted
/// at least `events` events since `first_event`; a tenth are canceled at the end.
pub async fn churn(
    app: &TestApp,
    stripe: &Stripe,
    customers: &[String],
    subscriptions: usize,
    events: usize,
) -> Churn {
    let api = Api::of(stripe);
    let prices = [
        price_id(app, "tollgate_hobby_monthly").await,
        price_id(app, "tollgate_pro_monthly").await,
    ];
    let first_event = stripe.emulator().read(|world| world.event_count());
    let emitted = || stripe.emulator().read(|world| world.event_count()) - first_event;
    let mut made = Vec::with_capacity(subscriptions);
    for n in 0..subscriptions {
        let subscription = api
            .ok(
                reqwest::Method::POST,
                "/v1/subscriptions",
                &[
                    ("customer", customers[n % customers.len()].as_str()),
                    ("items[0][price]", prices[n % 2].as_str()),
                ],
            )
            .await;
        let id = subscription["id"].as_str().unwrap().to_owned();
        let item = subscription["items"]["data"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        made.push((id, item, n % 2, false));
    }
    let mut calls = subscriptions;
    let mut round = 0;
    while emitted() < events.saturating_sub(subscriptions / 10) {
        for (id, item, price, canceling) in &mut made {
            let path = format!("/v1/subscriptions/{id}");
            let round_text = round.to_string();
            let form: Vec<(&str, &str)> = match (round + calls) % 3 {
                0 => vec![("metadata[round]", round_text.as_str())],
                1 => {
                    *canceling = !*canceling;
                    vec![(
                        "cancel_at_period_end",
                        if *canceling { "true" } else { "false" },
                    )]
                }
                _ => {
                    *price = 1 - *price;
                    vec![
                        ("items[0][id]", item.as_str()),
                        ("items[0][price]", prices[*price].as_str()),
                        ("proration_behavior", "none"),
                    ]
                }
            };
            api.ok(reqwest::Method::POST, &path, &form).await;
            calls += 1;
            if emitted() >= events {
                break;
            }
        }
        round += 1;
    }
    for (id, ..) in made.iter().step_by(10) {
        api.ok(
            reqwest::Method::DELETE,
            &format!("/v1/subscriptions/{id}"),
            &[],
        )
        .await;
        calls += 1;
    }
    Churn {
        subscriptions: made.into_iter().map(|(id, ..)| id).collect(),
        calls,
    }
}

/// Waits until every webhook the emulator owes has been delivered; false after `limit`.
pub async fn settled(stripe: &Stripe, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if stripe.emulator().read(|world| world.pending_webhooks()) == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Waits until the workers have applied every event the app recorded (a failed one is retried
/// with backoff); false after `limit`.
pub async fn every_event_applied(app: &TestApp, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        let waiting: i64 =
            sqlx::query_scalar("SELECT count(*) FROM stripe_events WHERE applied_at IS NULL")
                .fetch_one(&app.db)
                .await
                .unwrap();
        if waiting == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Waits until the workers have applied every one of `events` the app recorded (failures are
/// retried with backoff), or `limit` has passed; whatever is left shows in the verdict.
async fn applied_by_the_workers(app: &TestApp, events: &[String], limit: Duration) {
    let start = Instant::now();
    while start.elapsed() < limit {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM stripe_events WHERE applied_at IS NULL AND id = ANY($1)",
        )
        .bind(events)
        .fetch_one(&app.db)
        .await
        .unwrap();
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What was checked after a storm, and every difference found.
#[derive(Debug, Default)]
pub struct Verdict {
    pub events: usize,
    pub deliveries: usize,
    pub duplicate_deliveries: usize,
    /// Deliveries answered 5xx (then retried by the emulator).
    pub answered_5xx: usize,
    /// Deliveries that got no answer in time (then retried by the emulator).
    pub unanswered: usize,
    pub rows_checked: usize,
    pub mismatches: Vec<String>,
}

/// Compares the database with the emulator object by object (`server stripe verify`: the
/// catalog, customers, subscriptions, items, invoices), every event emitted since `first_event`
/// with what we recorded, and counts how often each event was applied (from the answers our
/// endpoints gave, which the emulator logs).
pub async fn verify(app: &TestApp, stripe: &Stripe, first_event: usize) -> Verdict {
    let mut verdict = Verdict::default();
    let emitted = stripe
        .emulator()
        .read(|world| world.event_ids_from(first_event));
    applied_by_the_workers(app, &emitted, Duration::from_secs(180)).await;
    let report = backend::billing::verify::run(&app.state())
        .await
        .expect("comparing the database with Stripe");
    verdict.rows_checked = report.checked.subscriptions;
    verdict
        .mismatches
        .extend(report.differences.iter().map(ToString::to_string));

    verdict.events = emitted.len();
    let recorded: Vec<(String, bool)> =
        sqlx::query_as("SELECT id, applied_at IS NOT NULL FROM stripe_events")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let recorded: std::collections::HashMap<String, bool> = recorded.into_iter().collect();
    for event in &emitted {
        match recorded.get(event) {
            None => verdict
                .mismatches
                .push(format!("{event} was never recorded")),
            Some(false) => verdict
                .mismatches
                .push(format!("{event} was never applied")),
            Some(true) => {}
        }
    }

    // Every 2xx answer says whether that delivery recorded the event or found it recorded.
    let mut applied: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let log = stripe.emulator().delivery_log();
    let emitted_set: std::collections::HashSet<&str> = emitted.iter().map(String::as_str).collect();
    for attempt in log
        .iter()
        .filter(|attempt| emitted_set.contains(attempt.event.as_str()))
    {
        verdict.deliveries += 1;
        let answer = attempt.response.as_deref().unwrap_or_default();
        match attempt.status {
            Some(200..=299) if answer.starts_with("duplicate") => verdict.duplicate_deliveries += 1,
            Some(200..=299) => *applied.entry(attempt.event.as_str()).or_default() += 1,
            Some(_) => verdict.answered_5xx += 1,
            None => verdict.unanswered += 1,
        }
    }
    for event in &emitted {
        // (None is possible when an answer was lost after the commit; `applied_at` says it was.)
        let times = applied.get(event.as_str()).copied().unwrap_or(0);
        if times > 1 {
            verdict
                .mismatches
                .push(format!("{event} was recorded {times} times"));
        }
    }
    verdict
}

impl Verdict {
    /// The figures every storm reports.
    pub fn figures(&self) -> Value {
        json!({
            "events": self.events,
            "deliveries": self.deliveries,
            "answered_duplicate": self.duplicate_deliveries,
            "answered_5xx_then_retried": self.answered_5xx,
            "unanswered_then_retried": self.unanswered,
            "subscriptions_compared": self.rows_checked,
            "mismatches": self.mismatches.len(),
        })
    }

    /// Fails the test, naming the first differences, unless there are none.
    pub fn assert_exact(&self) {
        assert!(
            self.mismatches.is_empty(),
            "{} mismatches, first: {:#?}",
            self.mismatches.len(),
            &self.mismatches[..self.mismatches.len().min(10)]
        );
    }
}
