//! Webhook delivery: every event goes to every enabled endpoint that wants its type, signed as
//! Stripe signs (`Stripe-Signature: t=…,v1=…`, HMAC-SHA256 over `"{t}.{body}"` with the wall-clock
//! `t`), retried with backoff on a non-2xx answer or a timeout, each attempt logged.

use std::sync::Weak;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::world::{endpoint_wants, wall_clock};
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
                .all("webhook_endpoint")
                .filter(|endpoint| endpoint_wants(endpoint, &kind))
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
            let backoff = config.delivery_backoff.get(attempt as usize - 1).copied();
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
    fn signatures_match_stripes_documented_scheme() {
        // HMAC-SHA256("whsec_test", "1700000000.{}"), computed independently with openssl.
        let header = signature_header("whsec_test", 1_700_000_000, b"{}");
        assert_eq!(
            header,
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }
}
