//! Webhook delivery: every event goes to every enabled endpoint that wants its type (a connected
//! account's events to Connect endpoints, the platform's to the others), signed as
//! Stripe signs (`Stripe-Signature: t=…,v1=…`, HMAC-SHA256 over `"{t}.{body}"` with the wall-clock
//! `t`), retried with backoff on a non-2xx answer or a timeout, each attempt logged. Retries
//! follow a quick schedule for tests ([`WebhookRetries::Fast`]) or Stripe's live-mode one
//! ([`WebhookRetries::Stripe`], [`stripe_retry_delay`]).

use std::sync::Weak;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::world::wall_clock;
use crate::{Emulator, Shared};

/// One delivery attempt, as `GET /_emulator/deliveries` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// `evt_…`
    pub event: String,
    /// The event type.
    pub event_type: String,
    /// `we_…`
    pub endpoint: String,
    /// Where it was sent.
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Wall-clock unix seconds.
    pub at: i64,
    /// The endpoint's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why the attempt failed without a status (timeout, connection refused).
    pub error: Option<String>,
    /// The start of the endpoint's answer (at most 200 characters), as the Dashboard shows it.
    pub response: Option<String>,
}

/// How failed webhook deliveries are retried (`--webhook-retries`). Retries wait on the wall clock:
/// moving the emulator's clock does not hasten them, as test clocks do not hasten Stripe's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WebhookRetries {
    /// After each of [`crate::Config::delivery_backoff`]'s delays (1, 2, 5, 10, 30 and 60 s by
    /// default), then abandoned: quick, for tests and development (`fast`, the default).
    #[default]
    Fast,
    /// As Stripe does in live mode: exponential backoff for up to three days, then abandoned
    /// (`stripe`; see [`stripe_retry_delay`]). Stripe's sandboxes retry only three times over a
    /// few hours; live mode is the schedule an app has to live with.
    Stripe,
}

impl WebhookRetries {
    /// How long to wait after `failed_attempts` failed attempts before the next one, or `None`
    /// when the delivery is abandoned. `fast` is the configured `delivery_backoff`.
    pub fn delay_after(self, failed_attempts: u32, fast: &[Duration]) -> Option<Duration> {
        match self {
            Self::Fast => failed_attempts
                .checked_sub(1)
                .and_then(|index| fast.get(index as usize))
                .copied(),
            Self::Stripe => stripe_retry_delay(failed_attempts),
        }
    }
}

impl std::str::FromStr for WebhookRetries {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "fast" => Ok(Self::Fast),
            "stripe" => Ok(Self::Stripe),
            _ => Err(format!(
                "{text:?} is not a retry schedule: use fast or stripe"
            )),
        }
    }
}

/// How long Stripe keeps retrying a failed delivery in live mode: "up to three days, with an
/// exponential back off" (<https://docs.stripe.com/webhooks#automatic-retries>).
pub const STRIPE_RETRY_WINDOW: Duration = Duration::from_secs(3 * 24 * 3_600);

/// The first retry on Stripe's schedule waits this long; each later one twice the one before.
const STRIPE_FIRST_RETRY: Duration = Duration::from_secs(60);

/// No two attempts on Stripe's schedule are further apart than this.
const STRIPE_LONGEST_RETRY: Duration = Duration::from_secs(12 * 3_600);

/// Stripe's live-mode schedule: the wait after `failed_attempts` failed attempts (1 for the first),
/// or `None` once the waits so far would pass [`STRIPE_RETRY_WINDOW`]. Stripe publishes the window
/// and the exponential backoff, not the intervals; these start at a minute, double, and stop
/// growing at twelve hours: 1, 2, 4 … 512 minutes, then 12 hours, fourteen retries in about 65 hours.
pub fn stripe_retry_delay(failed_attempts: u32) -> Option<Duration> {
    let mut waited = Duration::ZERO;
    let mut wait = STRIPE_FIRST_RETRY;
    for _ in 1..failed_attempts {
        waited += wait;
        wait = (wait * 2).min(STRIPE_LONGEST_RETRY);
    }
    (failed_attempts >= 1 && waited + wait <= STRIPE_RETRY_WINDOW).then_some(wait)
}

/// The `Stripe-Signature` header for a payload signed at `timestamp`.
pub fn signature_header(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Delivers events as they arrive until the emulator is dropped.
pub(crate) async fn deliver(shared: Weak<Shared>, mut events: mpsc::UnboundedReceiver<Value>) {
    let client = reqwest::Client::new();
    while let Some(event) = events.recv().await {
        let Some(emulator) = Emulator::upgrade(&shared) else {
            return;
        };
        let kind = event["type"].as_str().unwrap_or_default().to_owned();
        let targets: Vec<(String, String, String)> = emulator.read(|world| {
            world
                .endpoints()
                .filter(|endpoint| world.endpoint_receives(endpoint, &event))
                .filter_map(|endpoint| {
                    let id = endpoint["id"].as_str()?.to_owned();
                    let secret = world.endpoint_secrets.get(&id)?.clone();
                    Some((id, endpoint["url"].as_str()?.to_owned(), secret))
                })
                .collect()
        });
        let body = serde_json::to_vec(&event).expect("events serialize");
        for (endpoint, url, secret) in targets {
            let chaos = emulator.shared.config.chaos.clone();
            let copies = if chaos.duplicate_rate > 0.0
                && emulator.mutate_quiet(|world| world.ids.fraction()) < chaos.duplicate_rate
            {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let delay = if chaos.shuffle_window.is_zero() {
                    Duration::ZERO
                } else {
                    chaos
                        .shuffle_window
                        .mul_f64(emulator.mutate_quiet(|world| world.ids.fraction()))
                };
                let job = Job {
                    client: client.clone(),
                    shared: shared.clone(),
                    event: event["id"].as_str().unwrap_or_default().to_owned(),
                    event_type: kind.clone(),
                    endpoint: endpoint.clone(),
                    url: url.clone(),
                    secret: secret.clone(),
                    body: body.clone(),
                };
                tokio::spawn(job.run(delay));
            }
        }
    }
}

struct Job {
    client: reqwest::Client,
    shared: Weak<Shared>,
    event: String,
    event_type: String,
    endpoint: String,
    url: String,
    secret: String,
    body: Vec<u8>,
}

impl Job {
    async fn run(self, delay: Duration) {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut attempt = 1;
        loop {
            let Some(emulator) = Emulator::upgrade(&self.shared) else {
                return;
            };
            let config = &emulator.shared.config;
            let timeout = config.delivery_timeout;
            let backoff = config
                .webhook_retries
                .delay_after(attempt, &config.delivery_backoff);
            drop(emulator);
            let timestamp = wall_clock();
            let result = self
                .client
                .post(&self.url)
                .timeout(timeout)
                .header("content-type", "application/json; charset=utf-8")
                .header(
                    "user-agent",
                    "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                )
                .header(
                    "stripe-signature",
                    signature_header(&self.secret, timestamp, &self.body),
                )
                .body(self.body.clone())
                .send()
                .await;
            let (status, error, response) = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap_or_default();
                    (Some(status), None, Some(body.chars().take(200).collect()))
                }
                Err(error) => (None, Some(error.to_string()), None),
            };
            let delivered = status.is_some_and(|status| (200..300).contains(&status));
            let Some(emulator) = Emulator::upgrade(&self.shared) else {
                return;
            };
            // Count the delivery before logging it: whoever sees it in the log sees it counted.
            if delivered {
                emulator.mutate_quiet(|world| world.webhook_delivered(&self.event));
            }
            emulator
                .shared
                .log
                .lock()
                .expect("delivery log lock")
                .push(Attempt {
                    event: self.event.clone(),
                    event_type: self.event_type.clone(),
                    endpoint: self.endpoint.clone(),
                    url: self.url.clone(),
                    attempt,
                    at: timestamp,
                    status,
                    error,
                    response,
                });
            if delivered {
                return;
            }
            let Some(wait) = backoff else {
                tracing::warn!(event = %self.event, url = %self.url, "webhook delivery abandoned after {attempt} attempts");
                return;
            };
            drop(emulator);
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_schedule_starts_at_a_minute_and_doubles_up_to_twelve_hours() {
        let minutes = |n: u64| Some(Duration::from_secs(60 * n));
        assert_eq!(stripe_retry_delay(1), minutes(1));
        assert_eq!(stripe_retry_delay(2), minutes(2));
        assert_eq!(stripe_retry_delay(3), minutes(4));
        assert_eq!(stripe_retry_delay(10), minutes(512));
        assert_eq!(stripe_retry_delay(11), minutes(12 * 60));
        assert_eq!(stripe_retry_delay(14), minutes(12 * 60));
    }

    #[test]
    fn stripes_schedule_never_shrinks_and_gives_up_within_three_days() {
        let delays: Vec<Duration> = (1..).map_while(stripe_retry_delay).collect();
        assert_eq!(delays.len(), 14, "{delays:?}");
        assert!(
            delays.windows(2).all(|pair| pair[0] <= pair[1]),
            "{delays:?}"
        );
        let total: Duration = delays.iter().sum();
        assert!(total <= STRIPE_RETRY_WINDOW, "{total:?}");
        assert!(
            total > STRIPE_RETRY_WINDOW / 2,
            "retries end early: {total:?}"
        );
        assert_eq!(stripe_retry_delay(15), None);
        assert_eq!(stripe_retry_delay(100), None);
    }

    #[test]
    fn the_fast_schedule_waits_each_configured_delay_then_gives_up() {
        let fast = [Duration::from_secs(1), Duration::from_secs(5)];
        let retries = WebhookRetries::Fast;
        assert_eq!(retries.delay_after(1, &fast), Some(Duration::from_secs(1)));
        assert_eq!(retries.delay_after(2, &fast), Some(Duration::from_secs(5)));
        assert_eq!(retries.delay_after(3, &fast), None);
        assert_eq!(
            WebhookRetries::Stripe.delay_after(1, &fast),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn retry_schedules_are_named_fast_and_stripe() {
        assert_eq!("fast".parse(), Ok(WebhookRetries::Fast));
        assert_eq!("stripe".parse(), Ok(WebhookRetries::Stripe));
        assert!("slow".parse::<WebhookRetries>().is_err());
    }

    #[test]
    fn signatures_match_stripes_documented_scheme() {
        // HMAC-SHA256("whsec_test", "1700000000.{}"), computed independently with openssl.
        let header = signature_header("whsec_test", 1_700_000_000, b"{}");
        assert_eq!(
            header,
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }
}
