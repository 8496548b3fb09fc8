//! Measures the emulator's API latency in-process: an emulator on a random port, one keep-alive
//! client, a mix of calls the app makes (retrieve, list with a filter, create, update), and the
//! median and 99th percentile per call (and, last, one `json: {…}` line with the overall figures).
//!
//! `cargo run --release -p stripe-emulator --example latency [-- CALLS]`

use std::time::{Duration, Instant};

use stripe_emulator::Config;

const KEY: &str = "sk_test_latency";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let calls: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(2_000);
    let running = stripe_emulator::spawn(Config {
        tick: None,
        seed: Some(1),
        ..Config::default()
    })
    .await?;
    let base = running.base_url.clone();
    let client = reqwest::Client::new();
    let post = |path: &str, form: Vec<(&'static str, String)>| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(KEY)
            .form(&form)
            .send()
    };
    let product: serde_json::Value = post("/v1/products", vec![("name", "Pro".into())])
        .await?
        .json()
        .await?;
    let product = product["id"].as_str().unwrap_or_default().to_owned();
    for n in 0..50 {
        post(
            "/v1/customers",
            vec![("email", format!("user{n}@example.com"))],
        )
        .await?;
    }

    let mut timings: Vec<(&str, Duration)> = Vec::with_capacity(calls);
    for n in 0..calls {
        let started = Instant::now();
        let (name, response) = match n % 4 {
            0 => (
                "GET /v1/products/{id}",
                client
                    .get(format!("{base}/v1/products/{product}"))
                    .bearer_auth(KEY)
                    .send()
                    .await?,
            ),
            1 => (
                "GET /v1/customers?email=",
                client
                    .get(format!("{base}/v1/customers?email=user7@example.com"))
                    .bearer_auth(KEY)
                    .send()
                    .await?,
            ),
            2 => (
                "POST /v1/customers",
                post(
                    "/v1/customers",
                    vec![("email", format!("new{n}@example.com"))],
                )
                .await?,
            ),
            _ => (
                "POST /v1/products/{id}",
                post(
                    &format!("/v1/products/{product}"),
                    vec![("metadata[n]", n.to_string())],
                )
                .await?,
            ),
        };
        let status = response.status();
        response.bytes().await?;
        anyhow::ensure!(status.is_success(), "{name} answered {status}");
        timings.push((name, started.elapsed()));
    }

    let mut all: Vec<Duration> = timings.iter().map(|(_, elapsed)| *elapsed).collect();
    println!("{calls} calls in-process over HTTP/1.1 keep-alive");
    println!("{:<28} {:>10} {:>10}", "call", "median", "p99");
    for name in [
        "GET /v1/products/{id}",
        "GET /v1/customers?email=",
        "POST /v1/customers",
        "POST /v1/products/{id}",
    ] {
        let mut mine: Vec<Duration> = timings
            .iter()
            .filter(|(call, _)| *call == name)
            .map(|(_, elapsed)| *elapsed)
            .collect();
        println!(
            "{name:<28} {:>10.3?} {:>10.3?}",
            percentile(&mut mine, 0.5),
            percentile(&mut mine, 0.99)
        );
    }
    let (median, p99) = (percentile(&mut all, 0.5), percentile(&mut all, 0.99));
    println!("{:<28} {median:>10.3?} {p99:>10.3?}", "all");
    // For `cargo xtask bench`.
    println!(
        "json: {}",
        serde_json::json!({
            "calls": calls,
            "median_us": median.as_secs_f64() * 1e6,
            "p99_us": p99.as_secs_f64() * 1e6,
        })
    );
    Ok(())
}

fn percentile(samples: &mut [Duration], share: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * share).round() as usize]
}
