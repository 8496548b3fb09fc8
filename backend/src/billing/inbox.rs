//! The webhook inbox: `POST /webhooks/stripe` verifies the signature, records the event with its
//! body in `stripe_events` and answers — one statement, no lock held, nothing called — and the
//! [`super::workers`] of every replica apply it afterwards. Here: accepting, claiming (with a
//! lease a crashed worker's claim runs out of), finishing, the retry schedule, and the
//! operator's view of events that keep failing.

use std::time::Duration;

use time::OffsetDateTime;

use super::webhooks::Topic;
use crate::{
    stripe::{
        objects::Event,
        signature::{self, SignatureError},
    },
    AppState,
};

/// The channel a new event is announced on, so idle workers of every replica wake at once.
pub const NEW_EVENT_CHANNEL: &str = "stripe_event_received";

/// How long a claim lasts. A worker that dies mid-apply leaves its event to the next worker once
/// this has passed; one that is merely slow may see another apply the event too, which is
/// harmless (applying re-fetches, and stores only what is newer).
pub const LEASE: Duration = Duration::from_secs(120);

/// How long an event is retried before it is given up (Stripe, too, retries for three days).
pub const GIVE_UP_AFTER: time::Duration = time::Duration::days(3);

/// What became of a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Recorded; a worker applies it shortly.
    Queued,
    /// Recorded before (Stripe delivers some events more than once); nothing changes.
    Duplicate,
    /// Recorded as done: Tollgate does nothing with this event type.
    Ignored,
}

impl Accepted {
    /// The answer's body (Stripe shows it in the Dashboard's delivery log).
    pub fn answer(self) -> &'static str {
        match self {
            Self::Queued => "received",
            Self::Duplicate => "duplicate: already received",
            Self::Ignored => "received: nothing to do for this event type",
        }
    }
}

/// Why a delivery was refused (400; nothing is stored) or could not be recorded (500, so Stripe
/// delivers it again).
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// The signature is missing, wrong or stale.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Signed, but not an event we can read.
    #[error("the payload is not a Stripe event")]
    Malformed(#[source] serde_json::Error),
    /// The database did not take it.
    #[error("recording the event failed")]
    Database(#[source] sqlx::Error),
}

/// Which of our webhook endpoints a delivery came to: each has its own signing secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/webhooks/stripe`: the platform's own events (`STRIPE_WEBHOOK_SECRET`).
    Platform,
    /// `/webhooks/stripe/connect`: events of partners' connected accounts
    /// (`STRIPE_CONNECT_WEBHOOK_SECRET`).
    Connect,
}

/// Verifies and records one delivery. A new event of a type we act on is queued and announced
/// on [`NEW_EVENT_CHANNEL`]; an event given up on before is queued again (Stripe's "resend").
/// Both endpoints feed the one inbox: the same dedupe, retries and refetching.
pub async fn accept(
    state: &AppState,
    endpoint: Endpoint,
    payload: &[u8],
    signature_header: Option<&str>,
) -> Result<Accepted, InboxError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let secrets = match endpoint {
        Endpoint::Platform => &state.config.stripe.webhook_secrets,
        Endpoint::Connect => &state.config.stripe.connect_webhook_secrets,
    };
    signature::verify(payload, signature_header, secrets, now)?;
    let event: Event = serde_json::from_slice(payload).map_err(InboxError::Malformed)?;
    // Parsed as JSON above, so it is UTF-8.
    let body = std::str::from_utf8(payload)
        .map_err(|_| InboxError::Malformed(serde::de::Error::custom("the payload is not UTF-8")))?;
    let handled = Topic::of(&event).is_some();
    let recorded = sqlx::query_scalar!(
        r#"
        WITH recorded AS (
            INSERT INTO stripe_events (id, type, object_id, created, payload, next_attempt_at, applied_at)
            VALUES ($1, $2, $3, to_timestamp($4), $5::text::jsonb,
                    CASE WHEN $6 THEN now() END, CASE WHEN $6 THEN NULL ELSE now() END)
            ON CONFLICT (id) DO UPDATE
                SET payload = EXCLUDED.payload, next_attempt_at = now(), received_at = now()
                WHERE stripe_events.applied_at IS NULL AND stripe_events.next_attempt_at IS NULL
            RETURNING id
        )
        SELECT recorded.id FROM recorded CROSS JOIN LATERAL pg_notify($7, '') AS announced
        "#,
        event.id,
        event.kind,
        event.object_id(),
        event.created as f64,
        body,
        handled,
        NEW_EVENT_CHANNEL,
    )
    .fetch_optional(&state.db)
    .await
    .map_err(InboxError::Database)?;
    Ok(match recorded {
        None => Accepted::Duplicate,
        Some(_) if handled => Accepted::Queued,
        Some(_) => Accepted::Ignored,
    })
}

/// An event a worker claimed: apply it, then [`finish`] or [`fail`] it.
#[derive(Debug)]
pub struct Claimed {
    /// The event as Stripe sent it.
    pub event: Event,
    /// How many times it has been claimed, this time included.
    pub attempt: i32,
    /// Drawn from the fetch order as the event was claimed: what this application fetches is
    /// stored only if nothing fetched later was stored first.
    pub ticket: super::Ticket,
}

/// Claims the event due longest, if any: its next attempt moves a [`LEASE`] ahead, so no other
/// worker takes it until then. One statement; no connection is held afterwards.
pub async fn claim(state: &AppState) -> Result<Option<Claimed>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        UPDATE stripe_events e
        SET attempts = e.attempts + 1, next_attempt_at = now() + make_interval(secs => $1)
        FROM (
            SELECT id FROM stripe_events
            WHERE applied_at IS NULL AND next_attempt_at <= now()
            ORDER BY next_attempt_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        ) due
        WHERE e.id = due.id
        RETURNING e.id, e.payload::text AS "payload", e.attempts,
                  nextval('stripe_fetch_tickets') AS "ticket!"
        "#,
        LEASE.as_secs_f64(),
    )
    .fetch_optional(&state.db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let parsed = row
        .payload
        .as_deref()
        .map(serde_json::from_str::<Event>)
        .transpose();
    match parsed {
        Ok(Some(event)) => Ok(Some(Claimed {
            event,
            attempt: row.attempts,
            ticket: super::Ticket(row.ticket),
        })),
        // Recorded without its body, or with one we cannot read (only by hand): nothing a
        // retry could change.
        Ok(None) | Err(_) => {
            give_up(state, &row.id, "the event's body is missing or unreadable").await?;
            Ok(None)
        }
    }
}

/// Marks a claimed event applied.
pub async fn finish(state: &AppState, event_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE stripe_events SET applied_at = now(), next_attempt_at = NULL, error = NULL \
         WHERE id = $1",
        event_id
    )
    .execute(&state.db)
    .await?;
    Ok(())
}

/// What became of a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Tried again at this moment.
    At(OffsetDateTime),
    /// Failing for [`GIVE_UP_AFTER`]: left for an operator.
    GivenUp,
}

/// Records a failed attempt: the error, and when to try again ([`backoff`]) — or nothing more
/// once the event has been failing for [`GIVE_UP_AFTER`].
pub async fn fail(
    state: &AppState,
    event_id: &str,
    attempt: i32,
    error: &str,
) -> Result<Retry, sqlx::Error> {
    let next = sqlx::query_scalar!(
        r#"
        UPDATE stripe_events
        SET error = $2,
            next_attempt_at = CASE WHEN received_at > now() - make_interval(secs => $4)
                                   THEN now() + make_interval(secs => $3) END
        WHERE id = $1 AND applied_at IS NULL
        RETURNING next_attempt_at
        "#,
        event_id,
        error,
        backoff(attempt).as_secs_f64(),
        GIVE_UP_AFTER.as_seconds_f64(),
    )
    .fetch_optional(&state.db)
    .await?;
    Ok(match next.flatten() {
        Some(at) => Retry::At(at),
        None => Retry::GivenUp,
    })
}

async fn give_up(state: &AppState, event_id: &str, error: &str) -> Result<(), sqlx::Error> {
    tracing::error!(event_id, error, "gave up on a Stripe event");
    sqlx::query!(
        "UPDATE stripe_events SET error = $2, next_attempt_at = NULL WHERE id = $1",
        event_id,
        error
    )
    .execute(&state.db)
    .await?;
    Ok(())
}

/// How long to wait after the `attempt`-th failure: 5 s, doubling, at most an hour.
pub fn backoff(attempt: i32) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(10);
    Duration::from_secs(5 << doublings).min(Duration::from_secs(3600))
}

/// How many of `event_ids` are recorded and still to be applied (due, or in a worker's hands).
pub async fn unapplied_among(state: &AppState, event_ids: &[String]) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "unapplied!" FROM stripe_events
        WHERE id = ANY($1) AND applied_at IS NULL AND next_attempt_at IS NOT NULL
        "#,
        event_ids
    )
    .fetch_one(&state.db)
    .await
}

/// An event that has not been applied, for the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unapplied {
    /// `evt_…`.
    pub id: String,
    /// e.g. `invoice.paid`.
    pub kind: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The last attempt's error.
    pub error: Option<String>,
    /// The next attempt; `None`: given up.
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// Events that failed at least once and are not applied yet (retrying or given up), oldest first.
pub async fn failing(state: &AppState) -> Result<Vec<Unapplied>, sqlx::Error> {
    sqlx::query_as!(
        Unapplied,
        r#"
        SELECT id, type AS kind, attempts, error, next_attempt_at
        FROM stripe_events
        WHERE applied_at IS NULL AND error IS NOT NULL
        ORDER BY received_at
        "#
    )
    .fetch_all(&state.db)
    .await
}

/// Queues events again at once: those named, or (`None`) every failing one. Returns how many.
pub async fn retry(state: &AppState, ids: Option<&[String]>) -> Result<u64, sqlx::Error> {
    let queued = sqlx::query!(
        r#"
        WITH queued AS (
            UPDATE stripe_events SET next_attempt_at = now(), received_at = now()
            WHERE applied_at IS NULL AND payload IS NOT NULL
              AND ($1::text[] IS NULL AND error IS NOT NULL OR id = ANY($1))
            RETURNING id
        )
        SELECT count(*) AS "queued!" FROM (SELECT pg_notify($2, '') FROM queued) AS announced
        "#,
        ids,
        NEW_EVENT_CHANNEL,
    )
    .fetch_one(&state.db)
    .await?;
    Ok(queued.queued as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_event_waits_longer_after_each_attempt_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(5), Duration::from_secs(80));
        assert_eq!(backoff(11), Duration::from_secs(3600));
        assert_eq!(backoff(1000), Duration::from_secs(3600));
        assert_eq!(
            backoff(0),
            Duration::from_secs(5),
            "never shorter than the first"
        );
    }
}
