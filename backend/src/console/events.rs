//! The webhook inbox in the console: every event received (type, when, whether and when it was
//! applied, attempts, the last error), one event's payload, and a failed one queued to be
//! applied again (the workers pick it up at once).

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::{
    audit::{self, Action, Outcome, Record},
    Admin, ConsoleError,
};
use crate::{
    billing::{inbox, Step},
    AppState,
};

/// Events per page.
pub const PAGE: i64 = 50;

/// One event of the inbox.
#[derive(Clone, Debug)]
pub struct Received {
    /// `evt_…`.
    pub id: String,
    /// `invoice.paid`, …
    pub kind: String,
    /// What it is about (`sub_…`, `ch_…`).
    pub object_id: Option<String>,
    /// When it arrived.
    pub received_at: OffsetDateTime,
    /// When it was applied; `None`: not yet.
    pub applied_at: Option<OffsetDateTime>,
    /// Attempts so far.
    pub attempts: i32,
    /// The last attempt's error.
    pub error: Option<String>,
    /// When it is tried next; `None` with an error: given up.
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// Which events a page lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Every event.
    All,
    /// Those that failed and are not applied.
    Failing,
}

/// A page of events, newest first, after `after`; `kind` matches the type's beginning
/// (`invoice.` lists every invoice event).
pub async fn page(
    db: impl PgExecutor<'_>,
    filter: Filter,
    kind: Option<&str>,
    after: Option<&str>,
) -> Result<Vec<Received>, sqlx::Error> {
    let prefix = super::like_pattern(kind, super::Match::Prefix);
    sqlx::query_as!(
        Received,
        r#"
        SELECT id, type AS kind, object_id, received_at, applied_at, attempts, error,
               next_attempt_at
        FROM stripe_events
        WHERE (NOT $1 OR (applied_at IS NULL AND error IS NOT NULL))
          AND ($2::text IS NULL OR type LIKE $2)
          AND ($3::text IS NULL OR (received_at, id) <
               (SELECT received_at, id FROM stripe_events WHERE id = $3))
        ORDER BY received_at DESC, id DESC
        LIMIT $4
        "#,
        filter == Filter::Failing,
        prefix,
        after,
        PAGE,
    )
    .fetch_all(db)
    .await
}

/// One event and its payload as received (`None` for events recorded before payloads were
/// kept); `None` if there is no such event.
pub async fn event(
    db: impl PgExecutor<'_>,
    id: &str,
) -> Result<Option<(Received, Option<serde_json::Value>)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT id, type AS kind, object_id, received_at, applied_at, attempts, error,
               next_attempt_at, payload
        FROM stripe_events WHERE id = $1
        "#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| {
        (
            Received {
                id: row.id,
                kind: row.kind,
                object_id: row.object_id,
                received_at: row.received_at,
                applied_at: row.applied_at,
                attempts: row.attempts,
                error: row.error,
                next_attempt_at: row.next_attempt_at,
            },
            row.payload,
        )
    }))
}

/// The events that are about `objects` (a customer's subscriptions, invoices, charges…),
/// newest first: a customer's timeline.
pub async fn about(
    db: impl PgExecutor<'_>,
    objects: &[String],
) -> Result<Vec<Received>, sqlx::Error> {
    sqlx::query_as!(
        Received,
        r#"
        SELECT id, type AS kind, object_id, received_at, applied_at, attempts, error,
               next_attempt_at
        FROM stripe_events
        WHERE object_id = ANY($1)
        ORDER BY created DESC, id DESC
        LIMIT 200
        "#,
        objects,
    )
    .fetch_all(db)
    .await
}

/// Queues a failed event to be applied again now; logged. `NotNow` when it was applied already
/// (or its payload was not kept: `server stripe replay` brings it back).
pub async fn reapply(state: &AppState, admin: &Admin, id: &str) -> Result<(), ConsoleError> {
    let (event, payload) = event(&state.db, id)
        .await
        .step("reading the event")?
        .ok_or(ConsoleError::NotFound)?;
    if event.applied_at.is_some() {
        return Err(ConsoleError::NotNow("This event is applied already."));
    }
    if payload.is_none() {
        return Err(ConsoleError::NotNow(
            "This event's payload was not kept: run `server stripe replay` to fetch it again.",
        ));
    }
    let ids = [id.to_owned()];
    inbox::retry(state, Some(&ids))
        .await
        .step("queueing the event again")?;
    audit::record(
        &state.db,
        admin,
        &Record {
            action: Action::EventReapplied,
            object_id: id,
            amount: None,
            idempotency_key: None,
            stripe_request_id: None,
            outcome: Outcome::Succeeded,
            detail: Some(&event.kind),
        },
    )
    .await
    .step("writing the action to the audit log")?;
    Ok(())
}
