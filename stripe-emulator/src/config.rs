//! How an emulator is started: its address, pre-configured webhook endpoints (the platform's and
//! Connect ones), state file, seed,
//! dunning schedule, API latency, webhook retries and chaos options. The binary fills this from
//! flags; tests build it directly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::latency::Latency;
use crate::webhooks::WebhookRetries;

/// One webhook endpoint configured at start-up, receiving every event type (of the platform, or
/// of the connected accounts for a Connect endpoint).
#[derive(Debug, Clone)]
pub struct StartupEndpoint {
    /// Where events are POSTed.
    pub url: String,
    /// The `whsec_…` secret they are signed with.
    pub secret: String,
}

/// Emulator behaviour that is saved with the state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Days between payment attempts after a failed renewal: `[3, 5, 7]` retries on days 3, 8
    /// and 15, then gives up (Stripe's Smart Retries spread attempts over up to two weeks).
    pub retry_days: Vec<i64>,
    /// What a subscription becomes when retries run out: `canceled` (default) or `unpaid`.
    pub when_retries_exhausted: String,
    /// How the hosted portal cancels a plan, as the default portal configuration's
    /// `features.subscription_cancel.mode` says in Stripe's Dashboard: `at_period_end` (default)
    /// or `immediately`.
    #[serde(default = "at_period_end")]
    pub portal_cancel_mode: String,
}

fn at_period_end() -> String {
    "at_period_end".to_owned()
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            retry_days: vec![3, 5, 7],
            when_retries_exhausted: "canceled".to_owned(),
            portal_cancel_mode: at_period_end(),
        }
    }
}

/// Webhook delivery and API faults for reliability tests.
#[derive(Debug, Clone)]
pub struct Chaos {
    /// Share of deliveries sent twice (0.0–1.0).
    pub duplicate_rate: f64,
    /// Each delivery waits a random time up to this long, so events arrive out of order.
    pub shuffle_window: Duration,
    /// Share of API requests (`/v1/…`) that fail: 500 or 429 before anything happens, 500 after
    /// it happened, an answer stalled past the client's timeout, or a dropped connection
    /// (0.0–1.0; `/_emulator/chaos` changes it).
    pub api_fault_rate: f64,
    /// How long a stalled API request (carried out at once) waits before it is answered.
    pub api_stall: Duration,
}

impl Default for Chaos {
    fn default() -> Self {
        Self {
            duplicate_rate: 0.0,
            shuffle_window: Duration::ZERO,
            api_fault_rate: 0.0,
            api_stall: Duration::from_secs(35),
        }
    }
}

/// Everything needed to start an emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on; port 0 picks a free one.
    pub addr: SocketAddr,
    /// The public base URL for hosted pages, when it differs from `http://{addr}`.
    pub public_url: Option<String>,
    /// Endpoints configured at start-up.
    pub webhooks: Vec<StartupEndpoint>,
    /// Connect endpoints configured at start-up: they receive every connected account's events
    /// (those with `account`), as an endpoint created with `connect=true` does.
    pub connect_webhooks: Vec<StartupEndpoint>,
    /// Where state is saved after each change and loaded from at start.
    pub state_file: Option<PathBuf>,
    /// Seed for deterministic ids.
    pub seed: Option<u64>,
    /// Saved behaviour knobs (used when no state file exists yet).
    pub settings: Settings,
    /// How failed webhook deliveries are retried: after the `delivery_backoff` delays (`Fast`,
    /// the default) or on Stripe's live-mode schedule (`Stripe`).
    pub webhook_retries: WebhookRetries,
    /// With `WebhookRetries::Fast`, the delays between webhook delivery attempts; the delivery is
    /// abandoned after the last.
    pub delivery_backoff: Vec<Duration>,
    /// How long a webhook endpoint may take to answer (10 s by default). Stripe's documentation
    /// asks for a prompt 2xx but publishes no figure; write-ups about it give 20 to 30 s, so an
    /// app that answers within 10 s here is safe there.
    pub delivery_timeout: Duration,
    /// How long every API request (`/v1/…`) waits before it is answered; none by default.
    pub latency: Latency,
    /// Process due renewals and trial ends on the wall clock this often (None: only on advance).
    pub tick: Option<Duration>,
    /// Delivery faults.
    pub chaos: Chaos,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            webhooks: Vec::new(),
            connect_webhooks: Vec::new(),
            state_file: None,
            seed: None,
            settings: Settings::default(),
            webhook_retries: WebhookRetries::Fast,
            delivery_backoff: [1, 2, 5, 10, 30, 60].map(Duration::from_secs).to_vec(),
            delivery_timeout: Duration::from_secs(10),
            latency: Latency::default(),
            tick: Some(Duration::from_secs(1)),
            chaos: Chaos::default(),
        }
    }
}

/// Parses a duration written as a number and a unit: `150ms`, `1s`, `1.5s`, `2m`, `3h` (or `0`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text
        .find(|character: char| character.is_ascii_alphabetic())
        .ok_or_else(|| format!("{text:?} needs a unit: ms, s, m or h (as in 150ms or 1s)"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{number:?} in {text:?} is not a number"))?;
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3_600.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}: use ms, s, m or h"
            ))
        }
    };
    Duration::try_from_secs_f64(number * seconds_per_unit)
        .map_err(|_| format!("{text:?} is not a duration of zero or more"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_read_with_their_unit() {
        assert_eq!(parse_duration("150ms"), Ok(Duration::from_millis(150)));
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1_500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn durations_without_a_known_unit_or_below_zero_are_refused() {
        assert!(parse_duration("150").is_err());
        assert!(parse_duration("150 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("ms").is_err());
    }
}
