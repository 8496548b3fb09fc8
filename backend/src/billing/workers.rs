//! The workers that apply the inbox's events ([`super::inbox`]): a few in every replica, woken
//! when an event is recorded on any replica (`crate::announcements`) (and every [`POLL`] for retries that came due and leases
//! that ran out), each claiming one event at a time with `FOR UPDATE SKIP LOCKED`, applying it
//! in a span naming the event, and recording the outcome. On shutdown they finish the event in
//! hand and stop.

use std::{sync::Arc, time::Duration};

use tokio::{sync::watch, sync::Notify, task::JoinSet};
use tracing::Instrument;

use super::{
    inbox::{self, Claimed, Retry},
    webhooks,
};
use crate::AppState;

/// How often an idle worker looks for due retries and expired leases without being woken.
pub const POLL: Duration = Duration::from_secs(2);

/// Failures after which each further failure of an event is logged as an error, not a warning.
const FAILURES_WORTH_AN_ERROR: i32 = 5;

/// The running workers of this replica.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Workers {
    /// Starts `count` workers, woken by the state's [`crate::state::Shared::events_recorded`].
    pub fn start(state: &AppState, count: usize) -> Self {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for worker in 0..count {
            let wake = state.events_recorded.clone();
            let (state, stopped) = (state.clone(), stopped.clone());
            tasks.spawn(
                work(state, wake, stopped)
                    .instrument(tracing::info_span!("webhook worker", worker)),
            );
        }
        Self { stop, tasks }
    }

    /// Lets every worker finish the event in hand, then stops them.
    pub async fn stop(mut self) {
        // Receivers may all be gone already; then there is nothing to tell.
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Claims and applies events until told to stop; sleeps when there are none.
async fn work(state: AppState, wake: Arc<Notify>, mut stopped: watch::Receiver<bool>) {
    while !*stopped.borrow() {
        // Listening before looking, so an event recorded in between still wakes us.
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        match inbox::claim(&state).await {
            Ok(Some(claimed)) => apply(&state, claimed).await,
            Ok(None) => {
                tokio::select! {
                    () = woken => {}
                    () = tokio::time::sleep(POLL) => {}
                    _ = stopped.changed() => {}
                }
            }
            Err(error) => {
                // The database is away: the event stays due (or claimed, until its lease ends).
                tracing::warn!(%error, "could not claim a Stripe event");
                tokio::select! {
                    () = tokio::time::sleep(POLL) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
    }
}

/// Applies one claimed event and records the outcome.
#[tracing::instrument(
    skip_all,
    fields(event_id = %claimed.event.id, event_type = %claimed.event.kind, attempt = claimed.attempt)
)]
async fn apply(state: &AppState, claimed: Claimed) {
    let Claimed {
        event,
        attempt,
        ticket,
    } = claimed;
    let outcome = webhooks::apply_claimed(state, &event, ticket)
        .await
        .map_err(|error| webhooks::DisplayChain(&error).to_string());
    match outcome {
        Ok(()) => state.metrics.event_applied(),
        Err(_) => state.metrics.event_failed(),
    }
    // The database may be away for a moment (it may be why applying failed): try recording a
    // few times before leaving the event to its lease.
    let mut recorded = record(state, &event.id, attempt, &outcome).await;
    for pause in [1, 2, 4, 8] {
        if recorded.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_secs(pause)).await;
        recorded = record(state, &event.id, attempt, &outcome).await;
    }
    match recorded {
        Ok(None) => tracing::debug!("applied"),
        Ok(Some((Retry::At(at), error))) if attempt >= FAILURES_WORTH_AN_ERROR => {
            tracing::error!(%error, next_attempt_at = %at, "a Stripe event keeps failing");
        }
        Ok(Some((Retry::At(at), error))) => {
            tracing::warn!(%error, next_attempt_at = %at, "applying a Stripe event failed; it will be retried");
        }
        Ok(Some((Retry::GivenUp, error))) => {
            tracing::error!(%error, "gave up on a Stripe event after days of failures; `server stripe events retry` queues it again");
        }
        // The claim's lease runs out and the event is applied again: harmless.
        Err(error) => tracing::warn!(%error, "could not record the outcome of a Stripe event"),
    }
}

/// Records an attempt's outcome: applied, or failed (and when it is tried again).
async fn record(
    state: &AppState,
    event_id: &str,
    attempt: i32,
    outcome: &Result<(), String>,
) -> Result<Option<(Retry, String)>, sqlx::Error> {
    match outcome {
        Ok(()) => inbox::finish(state, event_id).await.map(|()| None),
        Err(error) => inbox::fail(state, event_id, attempt, error)
            .await
            .map(|retry| Some((retry, error.clone()))),
    }
}
