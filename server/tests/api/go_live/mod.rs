//! Going live: `server stripe setup` against the emulator (endpoints, the portal, secrets, a
//! dry run, refusals), `server doctor` (everything ✓ after setup, and each ✗ reproduced) and
//! `server healthcheck`.

mod doctor;
mod setup;

use std::process::Output;

use serde_json::Value;

use crate::billing::{server_cli_at, Stripe};

/// The public origin the commands are run for.
pub const BASE_URL: &str = "https://shop.example";

/// A sellable catalog in the emulator: a product granting `reports` with a monthly price.
pub async fn sellable_catalog(stripe: &Stripe) {
    let product = stripe
        .ok(
            "/v1/products",
            &[("name", "Pro"), ("metadata[features]", "reports")],
        )
        .await;
    stripe
        .ok(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("currency", "usd"),
                ("unit_amount", "1900"),
                ("recurring[interval]", "month"),
            ],
        )
        .await;
}

/// `server ARGS…` against `stripe` with `BASE_URL` and `env`; the database at `database_url`.
pub async fn server(
    stripe: &Stripe,
    database_url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Output, String) {
    let mut all = vec![("BASE_URL", BASE_URL)];
    all.extend_from_slice(env);
    let output = server_cli_at(database_url, stripe.base_url(), args, &all).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

/// `server stripe setup ARGS…` (no database needed: the URL points nowhere).
pub async fn setup(stripe: &Stripe, args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let mut all = vec!["stripe", "setup"];
    all.extend_from_slice(args);
    server(stripe, "postgres://nobody@127.0.0.1:1/none", &all, env).await
}

/// Setup that must succeed; its standard output.
pub async fn setup_ok(stripe: &Stripe, args: &[&str], env: &[(&str, &str)]) -> String {
    let (output, stdout) = setup(stripe, args, env).await;
    assert!(
        output.status.success(),
        "setup failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The emulator's webhook endpoints.
pub async fn endpoints(stripe: &Stripe) -> Vec<Value> {
    stripe.get("/v1/webhook_endpoints?limit=100").await["data"]
        .as_array()
        .unwrap()
        .clone()
}

/// The endpoint at `path` under [`BASE_URL`].
pub async fn endpoint_at(stripe: &Stripe, path: &str) -> Option<Value> {
    let url = format!("{BASE_URL}{path}");
    endpoints(stripe)
        .await
        .into_iter()
        .find(|endpoint| endpoint["url"] == url.as_str())
}

/// The portal configurations tagged as Tollgate's.
pub async fn our_portals(stripe: &Stripe) -> Vec<Value> {
    stripe
        .get("/v1/billing_portal/configurations?limit=100")
        .await["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|configuration| configuration["metadata"]["tollgate"] == "portal")
        .cloned()
        .collect()
}

/// The event types an endpoint delivers, sorted.
pub fn events_of(endpoint: &Value) -> Vec<String> {
    let mut events: Vec<String> = endpoint["enabled_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event.as_str().unwrap().to_owned())
        .collect();
    events.sort();
    events
}
