//! Development only: moving the Stripe emulator's clock from the account page, to watch what
//! happens to a plan over weeks (a trial ending, a renewal, a failed payment and its retries) in
//! seconds. Available with `DEV_MODE=true` and the emulator as `STRIPE_API_BASE`; never with real
//! Stripe, whose clocks (test clocks) move only their own test customers.

use std::time::Duration;

use time::OffsetDateTime;

use super::{BillingError, Step};
use crate::{config::Config, AppState};

/// How far the clock may move in one step (the error message says so too).
const MAX_DAYS: u32 = 400;

/// How long [`advance`] waits for the emulator's webhooks to arrive here.
const SETTLE: Duration = Duration::from_secs(10);

/// Whether the time travel control is offered.
pub fn available(config: &Config) -> bool {
    config.dev_mode && !config.stripe.is_real_stripe()
}

/// The emulator's time, when the control is available and the emulator answers.
pub async fn now(state: &AppState) -> Option<OffsetDateTime> {
    if !available(&state.config) {
        return None;
    }
    match state.stripe.emulator_clock().await {
        Ok(clock) => OffsetDateTime::from_unix_timestamp(clock.now).ok(),
        Err(error) => {
            tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), "the Stripe emulator's clock did not answer");
            None
        }
    }
}

/// Moves the emulator's clock `days` forward (1 to 400) and waits (up to ten seconds) until
/// the webhooks of the events it emitted on the way have been delivered here and applied, so the
/// next page shows their effects.
pub async fn advance(state: &AppState, days: u32) -> Result<(), BillingError> {
    if !available(&state.config) {
        return Err(BillingError::NotNow(
            "Time travel is only available in development, with the Stripe emulator.",
        ));
    }
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(BillingError::NotNow(
            "Move the clock 1 to 400 days at a time.",
        ));
    }
    let waiting_for_events = state
        .stripe
        .advance_emulator_clock(days)
        .await
        .step("moving the emulator's clock")?;
    // Every page that shows a date relative to the clock is out of date, whoever it is for.
    crate::account_changes::announce_everything_changed(&state.db)
        .await
        .step("announcing that the clock moved")?;
    let mut waiting = waiting_for_events.clone();
    let deadline = tokio::time::Instant::now() + SETTLE;
    while !waiting.is_empty() && tokio::time::Instant::now() < deadline {
        let mut still = Vec::new();
        for event in waiting {
            match state.stripe.pending_webhooks_of(&event).await {
                Ok(0) => {}
                Ok(_) => still.push(event),
                // A connected account's event (a partner's payout falling due) is not the
                // platform's to read: its Connect endpoint is no concern of this wait.
                Err(error) if error.is_not_found() => {}
                Err(error) => {
                    return Err(error.step("asking the emulator about an event's webhooks"))
                }
            }
        }
        waiting = still;
        if !waiting.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    if !waiting.is_empty() {
        tracing::warn!(
            pending = waiting.len(),
            "time travel: some webhooks had not arrived after ten seconds"
        );
        return Ok(());
    }
    // Delivered: now applied by the workers.
    let emitted = waiting_for_events;
    while super::inbox::unapplied_among(state, &emitted)
        .await
        .step("counting the events still to apply")?
        > 0
    {
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!("time travel: some events had not been applied after ten seconds");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
