//! `server stripe replay --since …`: applies Stripe's own list of events since a moment, oldest
//! first — to recover from a webhook outage longer than Stripe's retries, or after restoring a
//! backup. Events never applied are recorded and applied as if delivered; events applied before
//! are applied again (every handler re-fetches, so this only brings rows up to date; emails are
//! never sent twice). Stripe keeps events for 30 days.

use super::{
    webhooks::{self, Mailing, Receipt},
    BillingError, Step,
};
use crate::AppState;

/// What a replay did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Events Stripe listed.
    pub listed: usize,
    /// Applied for the first time (missed deliveries).
    pub new: usize,
    /// Applied before, applied again.
    pub again: usize,
    /// Types Tollgate does not act on.
    pub ignored: usize,
    /// Failed to apply (the error is recorded on the event; running again retries them).
    pub failed: usize,
}

/// Replays every event created at or after `since` (unix seconds). A failure is recorded on its
/// event like a failed delivery, counted, and the replay goes on; running it again retries.
pub async fn run(
    state: &AppState,
    since: i64,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ReplayReport, BillingError> {
    progress("listing events from Stripe");
    let events = state
        .stripe
        .events_since(since)
        .await
        .step("listing events from Stripe")?;
    let mut report = ReplayReport {
        listed: events.len(),
        ..ReplayReport::default()
    };
    progress(&format!("{} events to apply", events.len()));
    for (done, event) in events.iter().enumerate() {
        let applied = match webhooks::record_and_apply(state, event, Mailing::Caller).await {
            Ok(Receipt::Duplicate) => webhooks::reapply(state, event, Mailing::Caller)
                .await
                .map(|_| Receipt::Duplicate),
            other => other,
        };
        match applied {
            Ok(Receipt::Applied) => report.new += 1,
            Ok(Receipt::Ignored) => report.ignored += 1,
            Ok(Receipt::Duplicate) => report.again += 1,
            Err(error) => {
                progress(&format!(
                    "event {} ({}) failed: {error}",
                    event.id, event.kind
                ));
                webhooks::record_failure(state, event, &error).await;
                report.failed += 1;
            }
        }
        if (done + 1) % 100 == 0 {
            progress(&format!("{} of {} events applied", done + 1, events.len()));
        }
    }
    // The emails the events queued are sent before the command exits; what cannot be sent now
    // waits for a server's sender.
    let mut mailed = 0;
    loop {
        let sent = super::notifications::deliver_due(state).await?;
        mailed += sent;
        if sent == 0 {
            break;
        }
    }
    if mailed > 0 {
        progress(&format!("sent {mailed} billing emails"));
    }
    progress(&format!(
        "applied {} new, {} again, {} of types we do not act on, {} failed",
        report.new, report.again, report.ignored, report.failed
    ));
    Ok(report)
}
