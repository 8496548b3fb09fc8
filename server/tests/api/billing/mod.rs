//! Billing I through the real router, with the project's Stripe emulator running in-process on a
//! random port: the Stripe client, webhooks, the catalog, Checkout, the pricing page and the
//! `server stripe` commands.

mod catalog;
pub mod checkout;
mod cli;
pub mod client;
mod console_mirror;
mod contract;
mod convergence;
mod cross_user;
mod discounts_tax;
mod emails;
mod events;
mod follow_ups;
mod for_sale;
pub mod gating;
mod inbox;
mod manage;
mod one_subscription;
mod over_time;
mod paused_trial;
pub mod payment;
mod pricing;
mod ratelimit;
mod replay;
mod round_trips;
pub mod subscriber;
mod time_travel;
mod trials;
mod verify;
mod webhooks;

use std::{process::Output, time::Duration};

use serde_json::{json, Value};
use stripe_emulator::{Config, Emulator, Running, Settings};

use crate::helpers::{spawn_app_with, TestApp, WEBHOOK_SECRET};

/// The secret key test apps (and the `server` binary in tests) use with the emulator.
pub const STRIPE_KEY: &str = "sk_test_tollgate";

/// An emulator on a random port: no wall-clock ticking, quick webhook retries. Stopped when
/// dropped.
pub struct Stripe {
    running: Running,
    http: reqwest::Client,
}

impl Stripe {
    pub async fn start() -> Self {
        Self::start_with(Settings::default()).await
    }

    /// As [`Stripe::start`], with these dunning settings (retry days, what retries running out
    /// does).
    pub async fn start_with(settings: Settings) -> Self {
        Self::start_configured(|config| config.settings = settings).await
    }

    /// As [`Stripe::start`], with `configure` applied to the configuration (chaos, backoff).
    pub async fn start_configured(configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config {
            tick: None,
            delivery_backoff: vec![Duration::from_millis(100); 5],
            delivery_timeout: Duration::from_secs(5),
            ..Config::default()
        };
        configure(&mut config);
        let running = stripe_emulator::spawn(config)
            .await
            .expect("the emulator starts");
        Self {
            running,
            http: reqwest::Client::new(),
        }
    }

    /// `http://127.0.0.1:PORT`: the API and the hosted pages.
    pub fn base_url(&self) -> &str {
        &self.running.base_url
    }

    pub fn emulator(&self) -> &Emulator {
        &self.running.emulator
    }

    /// Sends every event the emulator emits from now on to the app's webhook endpoints: the
    /// platform's own to `/webhooks/stripe`, connected accounts' to `/webhooks/stripe/connect`.
    pub fn send_webhooks_to(&self, app: &TestApp) {
        self.emulator()
            .add_webhook(&app.url("/webhooks/stripe"), WEBHOOK_SECRET);
        self.emulator().add_connect_webhook(
            &app.url("/webhooks/stripe/connect"),
            crate::helpers::CONNECT_WEBHOOK_SECRET,
        );
    }

    /// `POST {path}` with form parameters, as our key; the status and the JSON body.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let request = self
            .http
            .post(format!("{}{path}", self.base_url()))
            .form(form);
        self.send(request).await
    }

    /// `POST` that must succeed.
    pub async fn ok(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let (status, body) = self.post(path, form).await;
        assert_eq!(status, 200, "POST {path} {form:?} answered {body}");
        body
    }

    /// `GET {path}` that must succeed.
    /// Attaches a test card (`pm_card_visa`, `pm_card_mastercard`, …) to `customer` and makes
    /// it the default for its invoices, as a customer saving a card does; returns the new `pm_…`.
    pub async fn save_card(&self, customer: &str, test_card: &str) -> String {
        let card = self
            .ok(
                &format!("/v1/payment_methods/{test_card}/attach"),
                &[("customer", customer)],
            )
            .await;
        let card = card["id"].as_str().unwrap().to_owned();
        self.ok(
            &format!("/v1/customers/{customer}"),
            &[("invoice_settings[default_payment_method]", &card)],
        )
        .await;
        card
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self
            .send(self.http.get(format!("{}{path}", self.base_url())))
            .await;
        assert_eq!(status, 200, "GET {path} answered {body}");
        body
    }

    /// `GET {path}` as the connected account `account` (`Stripe-Account`), which must succeed.
    pub async fn get_as(&self, account: &str, path: &str) -> Value {
        let (status, body) = self
            .send(
                self.http
                    .get(format!("{}{path}", self.base_url()))
                    .header("Stripe-Account", account),
            )
            .await;
        assert_eq!(status, 200, "GET {path} as {account} answered {body}");
        body
    }

    /// `DELETE {path}`.
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(self.http.delete(format!("{}{path}", self.base_url())))
            .await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request
            .bearer_auth(STRIPE_KEY)
            .send()
            .await
            .expect("the emulator answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// Every event the emulator emitted whose type starts with one of `prefixes`, oldest first.
    pub async fn events(&self, prefixes: &[&str]) -> Vec<Value> {
        let list = self.get("/v1/events?limit=100").await;
        assert_eq!(list["has_more"], false, "fewer than 100 events");
        let mut events: Vec<Value> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|event| {
                let kind = event["type"].as_str().unwrap();
                prefixes.iter().any(|prefix| kind.starts_with(prefix))
            })
            .cloned()
            .collect();
        events.reverse();
        events
    }
}

/// The app, its Stripe pointed at `stripe`.
pub async fn app_for(stripe: &Stripe) -> TestApp {
    app_for_with(stripe, &[]).await
}

/// As [`app_for`], with more configuration.
pub async fn app_for_with(stripe: &Stripe, vars: &[(&str, &str)]) -> TestApp {
    let mut all = vec![("STRIPE_API_BASE", stripe.base_url())];
    all.extend_from_slice(vars);
    spawn_app_with(&all).await
}

/// An emulator and an app using it; with `webhooks`, the emulator also delivers its events to
/// the app.
pub async fn spawn_billing(webhooks: bool) -> (TestApp, Stripe) {
    let stripe = Stripe::start().await;
    let app = app_for(&stripe).await;
    if webhooks {
        stripe.send_webhooks_to(&app);
    }
    (app, stripe)
}

/// Runs `server stripe …` against `stripe` and the database at `database_url`, in an empty
/// directory (no `.env`), with only the variables it needs.
pub async fn stripe_cli(database_url: &str, stripe: &Stripe, args: &[&str]) -> Output {
    stripe_cli_at(database_url, stripe.base_url(), args).await
}

/// As [`stripe_cli`], against the Stripe API at `api_base`.
pub async fn stripe_cli_at(database_url: &str, api_base: &str, args: &[&str]) -> Output {
    let mut all = vec!["stripe"];
    all.extend_from_slice(args);
    server_cli_at(database_url, api_base, &all, &[]).await
}

/// Runs `server ARGS…` against the Stripe API at `api_base` and the database at `database_url`,
/// in an empty directory (no `.env`), with only the variables it needs and `env`.
pub async fn server_cli_at(
    database_url: &str,
    api_base: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let empty_dir = crate::helpers::empty_dir();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .args(args)
        .current_dir(empty_dir.path())
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("STRIPE_API_BASE", api_base)
        .env("STRIPE_SECRET_KEY", STRIPE_KEY)
        .env("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
        // Like the test apps: mail (`stripe replay` sends what it caused) goes to the outbox.
        .env("DEV_MODE", "true")
        .envs(env.iter().copied());
    // The emulator runs on this test's runtime: wait for the process off it.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("running the server binary");
    drop(empty_dir);
    output
}

/// `server stripe seed` (the demo catalog) into the emulator and the app's database; must succeed.
pub async fn seed(app: &TestApp, stripe: &Stripe) -> String {
    let output = stripe_cli(app.database.url().as_str(), stripe, &["seed"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "seeding failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The id of the stored price with this lookup key (`tollgate_pro_monthly`, …).
pub async fn price_id(app: &TestApp, lookup_key: &str) -> String {
    sqlx::query_scalar("SELECT id FROM stripe_prices WHERE lookup_key = $1")
        .bind(lookup_key)
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("no stored price {lookup_key}: {e}"))
}

/// Now, in unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// An event as Stripe sends it, with a fresh id.
pub fn event(kind: &str, object: Value) -> Value {
    json!({
        "id": format!("evt_test_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "api_version": stripe_emulator::API_VERSION,
        "type": kind,
        "created": now(),
        "data": { "object": object },
    })
}

/// POSTs `body` to the app's webhook endpoint with this `Stripe-Signature` (or none); the status
/// and the answer's text.
pub async fn post_webhook(app: &TestApp, body: &[u8], signature: Option<&str>) -> (u16, String) {
    post_webhook_at(&app.url("/webhooks/stripe"), body, signature).await
}

pub async fn post_webhook_at(
    endpoint: &str,
    body: &[u8],
    signature: Option<&str>,
) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(endpoint)
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    let response = request.send().await.expect("the app answers");
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Delivers `event` to the app signed with [`WEBHOOK_SECRET`], as Stripe would now, and when it
/// was received, waits for a worker's outcome: the status and `applied` or `failed: ERROR` (other
/// answers — a duplicate, an ignored type, a refusal — as the endpoint gave them).
pub async fn deliver(app: &TestApp, event: &Value) -> (u16, String) {
    let (status, answer) = deliver_at(app.url("/webhooks/stripe"), event.clone()).await;
    if (status, answer.as_str()) != (200, "received") {
        return (status, answer);
    }
    (status, outcome(app, event["id"].as_str().unwrap()).await)
}

/// Waits (up to 30 s) until a received event is applied (`applied`) or its first attempt failed
/// (`failed: ERROR`).
pub async fn outcome(app: &TestApp, event_id: &str) -> String {
    for _ in 0..300 {
        match recorded(app, event_id).await {
            Some((_, true, _)) => return "applied".to_owned(),
            Some((_, false, Some(error))) => return format!("failed: {error}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("event {event_id} was neither applied nor failed within 30 s")
}

/// As [`deliver`], to a webhook endpoint's URL (owned, for spawned tasks).
pub async fn deliver_at(endpoint: String, event: Value) -> (u16, String) {
    let body = serde_json::to_vec(&event).unwrap();
    let signature = backend::stripe::signature::sign(&body, WEBHOOK_SECRET, now());
    post_webhook_at(&endpoint, &body, Some(&signature)).await
}

/// Delivers `event` `times` times at once; every answer must be 200. `(received, duplicates)`;
/// returns once the received one is applied.
pub async fn deliver_concurrently(app: &TestApp, event: &Value, times: usize) -> (usize, usize) {
    let endpoint = app.url("/webhooks/stripe");
    let deliveries: Vec<_> = (0..times)
        .map(|_| tokio::spawn(deliver_at(endpoint.clone(), event.clone())))
        .collect();
    let mut answers = Vec::new();
    for delivery in deliveries {
        answers.push(delivery.await.unwrap());
    }
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let received = answers.iter().filter(|(_, a)| a == "received").count();
    if received > 0 {
        let outcome = outcome(app, event["id"].as_str().unwrap()).await;
        assert_eq!(outcome, "applied");
    }
    let duplicates = answers
        .iter()
        .filter(|(_, a)| a.starts_with("duplicate"))
        .count();
    (received, duplicates)
}

/// The `stripe_events` row of an event: `(attempts, applied, error)`, if there is one.
pub async fn recorded(app: &TestApp, event_id: &str) -> Option<(i32, bool, Option<String>)> {
    sqlx::query_as(
        "SELECT attempts, applied_at IS NOT NULL, error FROM stripe_events WHERE id = $1",
    )
    .bind(event_id)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}

/// Polls `check` every 100 ms for up to `seconds`; whether it held.
pub async fn eventually<F, Fut>(seconds: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..seconds * 10 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
