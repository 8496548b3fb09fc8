//! The Stripe emulator's own controls, which real Stripe does not have: its clock. Used only in
//! development (the account page's time travel), against the emulator `STRIPE_API_BASE` names.

use std::time::Duration;

use serde::Deserialize;

use super::{Form, StripeClient, StripeError};

/// `GET /_emulator/clock`'s answer.
#[derive(Clone, Debug, Deserialize)]
pub struct EmulatorClock {
    /// The emulator's time, unix seconds.
    pub now: i64,
}

impl StripeClient {
    /// The emulator's time (one try, two seconds at most: billing decisions ask for it and fall
    /// back to our clock).
    pub async fn emulator_clock(&self) -> Result<EmulatorClock, StripeError> {
        self.once_within(Duration::from_secs(2))
            .get("/_emulator/clock", &Form::new())
            .await
    }

    /// Moves the emulator's clock `days` forward; everything that falls due on the way happens
    /// (trial ends, renewals, payment retries), and its events are sent. Returns the ids of those
    /// events. Not retried (moving twice is not moving once), and given a minute: a long move
    /// runs many renewals.
    pub async fn advance_emulator_clock(&self, days: u32) -> Result<Vec<String>, StripeError> {
        #[derive(Deserialize)]
        struct Advanced {
            events: Vec<String>,
        }
        let form = Form::new().set("days", days);
        let advanced: Advanced = self
            .once_within(Duration::from_secs(60))
            .post(
                "/_emulator/clock/advance",
                &form,
                &uuid::Uuid::new_v4().to_string(),
            )
            .await?;
        Ok(advanced.events)
    }

    /// How many deliveries of event `id` are still pending.
    pub async fn pending_webhooks_of(&self, id: &str) -> Result<i64, StripeError> {
        #[derive(Deserialize)]
        struct Pending {
            pending_webhooks: i64,
        }
        let event: Pending = self
            .once_within(Duration::from_secs(2))
            .get(&format!("/v1/events/{id}"), &Form::new())
            .await?;
        Ok(event.pending_webhooks)
    }
}
