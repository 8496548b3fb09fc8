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
    /// Webhook deliveries not acknowledged yet.
    pub pending_webhooks: i64,
}

impl StripeClient {
    /// The emulator's time and its pending webhook deliveries (one try, two seconds at most:
    /// billing decisions ask for it and fall back to our clock).
    pub async fn emulator_clock(&self) -> Result<EmulatorClock, StripeError> {
        self.once_within(Duration::from_secs(2))
            .get("/_emulator/clock", &Form::new())
            .await
    }

    /// Moves the emulator's clock `days` forward; everything that falls due on the way happens
    /// (trial ends, renewals, payment retries), and its events are sent. Not retried: moving
    /// twice is not the same as moving once.
    pub async fn advance_emulator_clock(&self, days: u32) -> Result<(), StripeError> {
        let form = Form::new().set("days", days);
        let _: serde_json::Value = self
            .for_webhooks()
            .post(
                "/_emulator/clock/advance",
                &form,
                &uuid::Uuid::new_v4().to_string(),
            )
            .await?;
        Ok(())
    }
}
