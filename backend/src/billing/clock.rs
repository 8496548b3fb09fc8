//! Billing time: the moment Stripe is at. With real Stripe that is our clock. In development the
//! emulator's clock can be moved forward ([`super::time_travel`]), and every billing decision —
//! what a plan grants now, how long a grace period has run, the proration date of a plan change —
//! follows it, so what a developer sees after moving it is what a customer would see that day.

use time::OffsetDateTime;

use super::time_travel;
use crate::AppState;

/// Stripe's now: the emulator's clock when time travel is available and the emulator answers,
/// else ours.
pub async fn now(state: &AppState) -> OffsetDateTime {
    if time_travel::available(&state.config) {
        match state.stripe.emulator_clock().await {
            Ok(clock) => {
                if let Ok(now) = OffsetDateTime::from_unix_timestamp(clock.now) {
                    return now;
                }
            }
            Err(error) => {
                tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), "the Stripe emulator's clock did not answer; billing time is ours for now");
            }
        }
    }
    OffsetDateTime::now_utc()
}
