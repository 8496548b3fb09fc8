//! Seats: an organization on a per-seat plan (product metadata `billing=per_seat`) pays for as
//! many seats as it has members.
//!
//! A change of membership writes a `seat_syncs` row due a minute later (`SEAT_SYNC_DELAY`) in
//! its own transaction; further changes in that minute find the row and ride along. The worker
//! ([`sync_forever`]) takes due rows (`FOR UPDATE SKIP LOCKED`, so replicas share them) and sets
//! the subscription item's quantity to the member count then — one update, with the configured
//! proration (`SEAT_PRORATION`, `create_prorations` by default: the difference lands on the next
//! invoice, never an invoice per change). Its idempotency key names the subscription, the count and
//! the request, so a retry after a lost answer changes nothing twice.
//!
//! Every night ([`reconcile_nightly`], or `server seats reconcile`) each per-seat subscription is
//! read from Stripe and compared with the members; a difference (someone changed the quantity in
//! the dashboard, a sync that kept failing) is recorded in `seat_drifts`, fixed, and shown in the
//! operator console.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use super::member_count;
use crate::{
    billing::{subscriptions, BillingError, Step, SubscriptionStatus},
    stripe::Form,
    AppState,
};

/// `SEAT_PRORATION`: what Stripe does about the part of the period a seat change covers
/// (Stripe's `proration_behavior`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SeatProration {
    /// `create_prorations`: the difference is charged or credited on the next invoice.
    #[default]
    CreateProrations,
    /// `always_invoice`: the difference is invoiced (and charged) at once.
    AlwaysInvoice,
    /// `none`: the new count is billed from the next period on.
    None,
}

impl SeatProration {
    /// Stripe's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateProrations => "create_prorations",
            Self::AlwaysInvoice => "always_invoice",
            Self::None => "none",
        }
    }
}

impl std::str::FromStr for SeatProration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "create_prorations" => Ok(Self::CreateProrations),
            "always_invoice" => Ok(Self::AlwaysInvoice),
            "none" => Ok(Self::None),
            other => Err(format!(
                "expected create_prorations, always_invoice or none, not {other:?}"
            )),
        }
    }
}

/// Asks for the organization's seats to follow its members once the coalescing delay passes (a
/// request already waiting covers this change too). Called in the transaction that changes the
/// membership.
pub async fn request_sync(
    conn: &mut PgConnection,
    organization_id: Uuid,
    delay: std::time::Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        INSERT INTO seat_syncs (organization_id, due_at)
        VALUES ($1, now() + make_interval(secs => $2))
        ON CONFLICT (organization_id) DO NOTHING
        "#,
        organization_id,
        delay.as_secs_f64()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The organization's per-seat subscription item, if its plan is per seat.
#[derive(Debug, Clone)]
pub struct SeatItem {
    pub subscription_id: String,
    pub item_id: String,
    pub quantity: i32,
    pub max_seats: Option<i64>,
}

/// The per-seat item of the organization's live plan.
pub async fn item(
    db: impl PgExecutor<'_>,
    organization_id: Uuid,
) -> Result<Option<SeatItem>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT s.id AS subscription_id, i.id AS item_id, i.quantity,
               CASE WHEN p.metadata->>'max_seats' ~ '^[0-9]{1,9}$'
                    THEN (p.metadata->>'max_seats')::bigint END AS max_seats
        FROM subscriptions s
        JOIN subscription_items i ON i.subscription_id = s.id
        JOIN stripe_products p ON p.id = i.product_id
        WHERE s.account_id = $1 AND s.status = ANY($2) AND p.metadata->>'billing' = 'per_seat'
        ORDER BY s.created DESC, i.id
        LIMIT 1
        "#,
        organization_id,
        &SubscriptionStatus::names_where(SubscriptionStatus::holds_plan) as &[&str]
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| SeatItem {
        subscription_id: row.subscription_id,
        item_id: row.item_id,
        quantity: row.quantity,
        max_seats: row.max_seats,
    }))
}

/// The most members the organization's plan allows (product metadata `max_seats`), if it caps.
pub async fn cap(
    db: impl PgExecutor<'_>,
    organization_id: Uuid,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT (p.metadata->>'max_seats')::bigint AS "cap!"
        FROM subscriptions s
        JOIN subscription_items i ON i.subscription_id = s.id
        JOIN stripe_products p ON p.id = i.product_id
        WHERE s.account_id = $1 AND s.status = ANY($2)
          AND p.metadata->>'max_seats' ~ '^[0-9]{1,9}$'
        ORDER BY s.created DESC
        LIMIT 1
        "#,
        organization_id,
        &SubscriptionStatus::names_where(SubscriptionStatus::holds_plan) as &[&str]
    )
    .fetch_optional(db)
    .await
}

/// Sets the item's quantity to `members` in Stripe and stores the subscription Stripe returns.
async fn set_quantity(
    state: &AppState,
    item: &SeatItem,
    members: i64,
    key: &str,
) -> Result<(), BillingError> {
    let form = Form::new()
        .set("items[0][id]", &item.item_id)
        .set("items[0][quantity]", members)
        .set("proration_behavior", state.config.seat_proration.as_str());
    state
        .stripe
        .update_subscription(&item.subscription_id, &form, key)
        .await
        .step("changing the seats in Stripe")?;
    subscriptions::refresh_unheld(&state.db, &state.stripe, &item.subscription_id).await?;
    Ok(())
}

/// Makes the seats follow the members for every request due at `as_of`; how many subscriptions
/// changed. A failed request is tried again later (with its error kept); one that finds nothing
/// to change is simply done.
pub async fn sync_due(state: &AppState, as_of: OffsetDateTime) -> Result<usize, BillingError> {
    let mut changed = 0;
    loop {
        let mut tx = state.db.begin().await.step("starting a seat sync")?;
        let due = sqlx::query!(
            r#"
            SELECT organization_id, due_at FROM seat_syncs
            WHERE due_at <= $1
            ORDER BY due_at LIMIT 1
            FOR UPDATE SKIP LOCKED
            "#,
            as_of
        )
        .fetch_optional(&mut *tx)
        .await
        .step("taking a due seat sync")?;
        let Some(due) = due else {
            return Ok(changed);
        };
        let span = tracing::info_span!("seat sync", organization_id = %due.organization_id);
        let outcome =
            tracing::Instrument::instrument(sync_one(state, due.organization_id, due.due_at), span)
                .await;
        match outcome {
            Ok(did) => {
                changed += usize::from(did);
                sqlx::query!(
                    "DELETE FROM seat_syncs WHERE organization_id = $1",
                    due.organization_id
                )
                .execute(&mut *tx)
                .await
                .step("finishing the seat sync")?;
            }
            Err(error) => {
                tracing::warn!(error.cause_chain = ?error, organization_id = %due.organization_id, "the seat sync failed; it is tried again");
                sqlx::query!(
                    r#"
                    UPDATE seat_syncs
                    SET attempts = attempts + 1, last_error = $2,
                        due_at = now() + make_interval(secs => least(3600, 30 * 2 ^ attempts))
                    WHERE organization_id = $1
                    "#,
                    due.organization_id,
                    error.to_string()
                )
                .execute(&mut *tx)
                .await
                .step("recording the failed seat sync")?;
            }
        }
        tx.commit().await.step("committing the seat sync")?;
    }
}

/// One organization's sync; whether Stripe was changed.
async fn sync_one(
    state: &AppState,
    organization_id: Uuid,
    requested: OffsetDateTime,
) -> Result<bool, BillingError> {
    let Some(item) = item(&state.db, organization_id)
        .await
        .step("finding the per-seat subscription")?
    else {
        return Ok(false);
    };
    let members = member_count(&state.db, organization_id)
        .await
        .step("counting the members")?;
    if i64::from(item.quantity) == members {
        return Ok(false);
    }
    let key = format!(
        "tollgate-seats-{}-{members}-{}",
        item.subscription_id,
        requested.unix_timestamp_nanos() / 1_000
    );
    set_quantity(state, &item, members, &key).await?;
    tracing::info!(
        from = item.quantity,
        to = members,
        "seats follow the members"
    );
    Ok(true)
}

/// Runs [`sync_due`] every few seconds, forever.
pub async fn sync_forever(state: AppState) {
    loop {
        if let Err(error) = sync_due(&state, OffsetDateTime::now_utc()).await {
            tracing::warn!(error.cause_chain = ?error, "seat syncs could not run");
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

/// What a reconciliation found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    /// Per-seat subscriptions compared.
    pub checked: usize,
    /// Those whose seats did not match the members (each recorded and fixed).
    pub drifted: usize,
    /// Those that could not be read or fixed (recorded with the error; tried again next night).
    pub failed: usize,
}

/// Compares every per-seat subscription, as Stripe has it now, with the organization's members,
/// and fixes and records each difference.
#[tracing::instrument(skip_all)]
pub async fn reconcile(state: &AppState) -> Result<Reconciled, BillingError> {
    let organizations = sqlx::query_scalar!(
        r#"
        SELECT DISTINCT s.account_id
        FROM subscriptions s
        JOIN subscription_items i ON i.subscription_id = s.id
        JOIN stripe_products p ON p.id = i.product_id
        JOIN organizations o ON o.id = s.account_id
        WHERE s.status = ANY($1) AND p.metadata->>'billing' = 'per_seat'
        "#,
        &SubscriptionStatus::names_where(SubscriptionStatus::holds_plan) as &[&str]
    )
    .fetch_all(&state.db)
    .await
    .step("listing the per-seat subscriptions")?;
    let mut report = Reconciled::default();
    for organization_id in organizations {
        report.checked += 1;
        match reconcile_one(state, organization_id).await {
            Ok(false) => {}
            Ok(true) => report.drifted += 1,
            Err(error) => {
                report.failed += 1;
                tracing::warn!(error.cause_chain = ?error, %organization_id, "could not reconcile the organization's seats");
            }
        }
    }
    tracing::info!(?report, "seats reconciled");
    Ok(report)
}

/// One organization: whether its seats had drifted (and were fixed).
#[tracing::instrument(skip_all, fields(%organization_id))]
async fn reconcile_one(state: &AppState, organization_id: Uuid) -> Result<bool, BillingError> {
    let Some(stored) = item(&state.db, organization_id)
        .await
        .step("finding the per-seat subscription")?
    else {
        return Ok(false);
    };
    // What Stripe bills now, not our copy: the copy may be what drifted.
    let Some(live) =
        subscriptions::refresh_unheld(&state.db, &state.stripe, &stored.subscription_id).await?
    else {
        return Ok(false);
    };
    let Some(billed) = live
        .items
        .data
        .iter()
        .find(|item| item.id == stored.item_id)
        .map(|item| item.quantity.unwrap_or(1))
    else {
        return Ok(false);
    };
    let members = member_count(&state.db, organization_id)
        .await
        .step("counting the members")?;
    if billed == members {
        return Ok(false);
    }
    let drift = sqlx::query_scalar!(
        r#"
        INSERT INTO seat_drifts (organization_id, subscription_id, seats_billed, members)
        VALUES ($1, $2, $3, $4) RETURNING id
        "#,
        organization_id,
        stored.subscription_id,
        billed as i32,
        members as i32
    )
    .fetch_one(&state.db)
    .await
    .step("recording the drift")?;
    let item = SeatItem {
        quantity: billed as i32,
        ..stored
    };
    let fixed = set_quantity(
        state,
        &item,
        members,
        &format!("tollgate-seat-drift-{drift}"),
    )
    .await;
    let error = fixed.as_ref().err().map(ToString::to_string);
    sqlx::query!(
        "UPDATE seat_drifts SET fixed_at = CASE WHEN $2::text IS NULL THEN now() END, error = $2 WHERE id = $1",
        drift,
        error
    )
    .execute(&state.db)
    .await
    .step("recording the drift's fix")?;
    fixed?;
    tracing::warn!(billed, members, "seats had drifted from the members; fixed");
    Ok(true)
}

/// One seat drift, for the operator console.
#[derive(Debug, Clone)]
pub struct Drift {
    pub organization: String,
    pub subscription_id: String,
    pub seats_billed: i32,
    pub members: i32,
    pub found_at: OffsetDateTime,
    pub fixed_at: Option<OffsetDateTime>,
    pub error: Option<String>,
}

/// The newest drifts found.
pub async fn drifts(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<Drift>, sqlx::Error> {
    sqlx::query_as!(
        Drift,
        r#"
        SELECT o.name AS organization, d.subscription_id, d.seats_billed, d.members, d.found_at,
               d.fixed_at, d.error
        FROM seat_drifts d JOIN organizations o ON o.id = d.organization_id
        ORDER BY d.found_at DESC, d.id DESC
        LIMIT $1
        "#,
        limit
    )
    .fetch_all(db)
    .await
}

/// Reconciles once a night, on one replica at a time, forever ([`crate::jobs`]).
pub async fn reconcile_nightly(state: AppState) {
    crate::jobs::every_night(state.db.clone(), "seat reconciliation", || async {
        run_locked(&state).await.map(|done| done.is_some())
    })
    .await;
}

/// [`reconcile`] under the seat reconciliation's advisory lock; `None` when another replica
/// holds it.
pub async fn run_locked(state: &AppState) -> Result<Option<Reconciled>, BillingError> {
    crate::jobs::run_locked(&state.db, "tollgate-seat-reconciliation", reconcile(state)).await
}
