//! `stripe-emulator`: runs the emulator alone. See README.md for the flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use stripe_emulator::{
    parse_duration, Chaos, Config, Latency, Settings, StartupEndpoint, WebhookRetries,
};

/// A stateful, offline Stripe for development and tests.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to listen on (12111 is stripe-mock's port too).
    #[arg(long, env = "STRIPE_EMULATOR_ADDR", default_value = "127.0.0.1:12111")]
    addr: SocketAddr,
    /// Public base URL of the hosted pages, if not http://ADDR.
    #[arg(long, env = "STRIPE_EMULATOR_PUBLIC_URL")]
    public_url: Option<String>,
    /// A webhook endpoint that receives every event; pair each with --webhook-secret.
    #[arg(long = "webhook-url")]
    webhook_urls: Vec<String>,
    /// The whsec_… secret for the --webhook-url at the same position.
    #[arg(long = "webhook-secret")]
    webhook_secrets: Vec<String>,
    /// A Connect webhook endpoint that receives every connected account's events; pair each with
    /// --connect-webhook-secret.
    #[arg(long = "connect-webhook-url")]
    connect_webhook_urls: Vec<String>,
    /// The whsec_… secret for the --connect-webhook-url at the same position.
    #[arg(long = "connect-webhook-secret")]
    connect_webhook_secrets: Vec<String>,
    /// Save state here after each change and load it at start.
    #[arg(long, env = "STRIPE_EMULATOR_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// Seed for deterministic ids.
    #[arg(long)]
    seed: Option<u64>,
    /// Days between payment attempts after a failed renewal (3,5,7: retries on days 3, 8 and 15), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "3,5,7")]
    retry_days: Vec<i64>,
    /// What a subscription becomes when payment retries run out.
    #[arg(long, value_parser = ["canceled", "unpaid"], default_value = "canceled")]
    when_retries_exhausted: String,
    /// How the hosted portal cancels a plan (the portal configuration's cancel mode).
    #[arg(long, value_parser = ["at_period_end", "immediately"], default_value = "at_period_end")]
    portal_cancel_mode: String,
    /// Answer each API request (/v1/…) only after this long, as Stripe's round trip does: 150ms, 1s.
    #[arg(long, value_parser = parse_duration, default_value = "0ms")]
    latency: Duration,
    /// Vary each --latency wait uniformly by up to this much either way: 50ms.
    #[arg(long, value_parser = parse_duration, default_value = "0ms")]
    latency_jitter: Duration,
    /// How failed webhook deliveries are retried: fast (after 1, 2, 5, 10, 30 and 60 s) or stripe
    /// (exponential backoff from a minute to 12 hours apart, for up to three days, as in live mode).
    #[arg(long, default_value = "fast")]
    webhook_retries: WebhookRetries,
    /// How long a webhook endpoint may take to answer before the attempt counts as failed.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    webhook_timeout: Duration,
    /// Chaos: share of webhook deliveries sent twice (0.0–1.0).
    #[arg(long, default_value_t = 0.0)]
    chaos_duplicates: f64,
    /// Chaos: delay each delivery randomly up to this many milliseconds, shuffling their order.
    #[arg(long, default_value_t = 0)]
    chaos_shuffle_ms: u64,
    /// Chaos: share of API requests that fail (500/429, answer lost, stall, dropped connection).
    #[arg(long, default_value_t = 0.0)]
    chaos_api_faults: f64,
    /// Chaos: how long a stalled API request's answer is held back, in milliseconds.
    #[arg(long, default_value_t = 35_000)]
    chaos_stall_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    if !(0.0..=1.0).contains(&cli.chaos_duplicates) {
        anyhow::bail!("--chaos-duplicates is a share between 0.0 and 1.0");
    }
    if !(0.0..=1.0).contains(&cli.chaos_api_faults) {
        anyhow::bail!("--chaos-api-faults is a share between 0.0 and 1.0");
    }
    let webhooks = endpoints("webhook", &cli.webhook_urls, &cli.webhook_secrets)?;
    let connect_webhooks = endpoints(
        "connect-webhook",
        &cli.connect_webhook_urls,
        &cli.connect_webhook_secrets,
    )?;
    let config = Config {
        addr: cli.addr,
        public_url: cli.public_url,
        webhooks: webhooks.clone(),
        connect_webhooks: connect_webhooks.clone(),
        state_file: cli.state_file,
        seed: cli.seed,
        settings: Settings {
            retry_days: cli.retry_days,
            when_retries_exhausted: cli.when_retries_exhausted,
            portal_cancel_mode: cli.portal_cancel_mode,
        },
        latency: Latency {
            base: cli.latency,
            jitter: cli.latency_jitter,
        },
        webhook_retries: cli.webhook_retries,
        delivery_timeout: cli.webhook_timeout,
        chaos: Chaos {
            duplicate_rate: cli.chaos_duplicates,
            shuffle_window: Duration::from_millis(cli.chaos_shuffle_ms),
            api_fault_rate: cli.chaos_api_faults,
            api_stall: Duration::from_millis(cli.chaos_stall_ms),
        },
        ..Config::default()
    };
    let running = stripe_emulator::spawn(config).await?;
    println!("Stripe emulator listening on {}", running.base_url);
    println!(
        "  API base:     {}/v1 (any sk_test_… key)",
        running.base_url
    );
    for endpoint in &webhooks {
        println!(
            "  webhooks to:  {} signed with {}",
            endpoint.url, endpoint.secret
        );
    }
    for endpoint in &connect_webhooks {
        println!(
            "  Connect webhooks to: {} signed with {}",
            endpoint.url, endpoint.secret
        );
    }
    println!(
        "  advance time: curl -X POST {}/_emulator/clock/advance -d days=30",
        running.base_url
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// Pairs each `--{flag}-url` with the `--{flag}-secret` at the same position.
fn endpoints(
    flag: &str,
    urls: &[String],
    secrets: &[String],
) -> anyhow::Result<Vec<StartupEndpoint>> {
    if urls.len() != secrets.len() {
        anyhow::bail!(
            "give one --{flag}-secret for each --{flag}-url (got {} URLs and {} secrets)",
            urls.len(),
            secrets.len()
        );
    }
    if let Some(secret) = secrets.iter().find(|secret| !secret.starts_with("whsec_")) {
        anyhow::bail!("webhook secrets start with whsec_ (got {secret:?})");
    }
    Ok(urls
        .iter()
        .zip(secrets)
        .map(|(url, secret)| StartupEndpoint {
            url: url.clone(),
            secret: secret.clone(),
        })
        .collect())
}
