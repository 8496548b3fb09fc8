//! Receiving a Stripe event: verify the signature over the raw bytes, record the event id (a
//! duplicate is answered and ignored), re-fetch the object it is about and store Stripe's latest
//! state — all in one transaction. Unknown event types are recorded and acknowledged.

use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{catalog, checkout, subscriptions, BillingError};
use crate::{
    stripe::{
        objects::Event,
        signature::{self, SignatureError},
        StripeClient,
    },
    AppState,
};

/// What became of a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// Applied now.
    Applied,
    /// Already applied before (Stripe delivers some events more than once).
    Duplicate,
    /// Recorded; nothing to do for this type.
    Ignored,
}

/// Why a delivery was not applied.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The signature is missing, wrong or stale. 400; nothing is stored.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Signed, but not an event we can read. 400.
    #[error("the payload is not a Stripe event")]
    Malformed(#[source] serde_json::Error),
    /// Applying the event failed. 500, so Stripe retries; the error is recorded on the event.
    #[error("applying event {event_id} failed")]
    Apply {
        /// `evt_…`.
        event_id: String,
        /// What went wrong.
        #[source]
        source: BillingError,
    },
}

/// Verifies, records and applies one delivery.
pub async fn receive(
    state: &AppState,
    payload: &[u8],
    signature_header: Option<&str>,
) -> Result<Receipt, WebhookError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    signature::verify(
        payload,
        signature_header,
        &state.config.stripe.webhook_secrets,
        now,
    )?;
    let event: Event = serde_json::from_slice(payload).map_err(WebhookError::Malformed)?;
    let failed = |source: BillingError| WebhookError::Apply {
        event_id: event.id.clone(),
        source,
    };
    match record_and_apply(state, &event).await {
        Ok(receipt) => Ok(receipt),
        Err(error) => {
            // Best effort: the audit log keeps the error; the 500 makes Stripe try again. The
            // failed transaction's `attempts + 1` was rolled back, so this delivery is counted
            // here (an earlier failed delivery left the row).
            let recorded = sqlx::query!(
                r#"
                INSERT INTO stripe_events (id, type, object_id, created, error)
                VALUES ($1, $2, $3, to_timestamp($4), $5)
                ON CONFLICT (id) DO UPDATE
                    SET error = EXCLUDED.error, attempts = stripe_events.attempts + 1
                WHERE stripe_events.applied_at IS NULL
                "#,
                event.id,
                event.kind,
                event.object_id(),
                event.created as f64,
                DisplayChain(&error).to_string(),
            )
            .execute(&state.db)
            .await;
            if let Err(log_error) = recorded {
                tracing::warn!(%log_error, event = %event.id, "could not record a failed event");
            }
            Err(failed(error))
        }
    }
}

async fn record_and_apply(state: &AppState, event: &Event) -> Result<Receipt, BillingError> {
    let mut tx = state.db.begin().await?;
    // New, or seen before but never applied (an earlier attempt failed): go ahead. Applied
    // already: a duplicate. A concurrent delivery of the same event waits here on the row lock
    // until the first commits, then finds it applied.
    let fresh = sqlx::query!(
        r#"
        INSERT INTO stripe_events (id, type, object_id, created)
        VALUES ($1, $2, $3, to_timestamp($4))
        ON CONFLICT (id) DO UPDATE SET attempts = stripe_events.attempts + 1
        WHERE stripe_events.applied_at IS NULL
        "#,
        event.id,
        event.kind,
        event.object_id(),
        event.created as f64,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        return Ok(Receipt::Duplicate);
    }
    // Stripe waits only seconds for our answer and redelivers what we do not acknowledge: fetch
    // without our own retries and with a short timeout, and let its redelivery be the retry.
    let applied = apply(&mut tx, &state.stripe.for_webhooks(), event).await?;
    sqlx::query!(
        "UPDATE stripe_events SET applied_at = now(), error = NULL WHERE id = $1",
        event.id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if applied == Applied::CatalogChanged {
        // This replica at once; the others on the NOTIFY sent in the transaction.
        state.catalog.invalidate();
    }
    Ok(match applied {
        Applied::Nothing => Receipt::Ignored,
        Applied::CatalogChanged | Applied::Other => Receipt::Applied,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Applied {
    Nothing,
    CatalogChanged,
    Other,
}

/// Dispatches on the event type. Every handler re-fetches its object: the event's copy may be
/// older than what we already stored.
async fn apply(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    event: &Event,
) -> Result<Applied, BillingError> {
    let Some(id) = event.object_id() else {
        return Ok(Applied::Nothing);
    };
    let kind = event.kind.as_str();
    if kind.starts_with("product.") {
        // https://docs.stripe.com/api/events/types#event_types-product.updated
        product_changed(conn, stripe, id).await?;
        Ok(Applied::CatalogChanged)
    } else if kind.starts_with("price.") {
        // https://docs.stripe.com/api/events/types#event_types-price.updated
        price_changed(conn, stripe, id).await?;
        Ok(Applied::CatalogChanged)
    } else if matches!(
        kind,
        "checkout.session.completed"
            | "checkout.session.async_payment_succeeded"
            | "checkout.session.async_payment_failed"
    ) {
        // https://docs.stripe.com/api/events/types#event_types-checkout.session.completed
        super::lock_object(conn, id).await?;
        let session = stripe.checkout_session(id).await?;
        let failed = kind == "checkout.session.async_payment_failed";
        checkout::apply(conn, stripe, &session, failed).await?;
        Ok(Applied::Other)
    } else if kind.starts_with("customer.subscription.") {
        // https://docs.stripe.com/api/events/types#event_types-customer.subscription.updated
        subscriptions::refresh(conn, stripe, id).await?;
        Ok(Applied::Other)
    } else {
        Ok(Applied::Nothing)
    }
}

/// Stores the product as Stripe has it now, or removes it if Stripe no longer does.
async fn product_changed(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    id: &str,
) -> Result<(), BillingError> {
    super::lock_object(conn, catalog::LOCK).await?;
    match stripe.product(id).await {
        Ok(product) => catalog::upsert_product(conn, &product).await?,
        Err(error) if error.is_not_found() => catalog::delete_product(conn, id).await?,
        Err(error) => return Err(error.into()),
    }
    catalog::announce_change(conn).await?;
    Ok(())
}

/// Stores the price as Stripe has it now (fetching its product first if we have not seen it), or
/// removes it.
async fn price_changed(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    id: &str,
) -> Result<(), BillingError> {
    super::lock_object(conn, catalog::LOCK).await?;
    match stripe.price(id).await {
        Ok(price) => {
            if !catalog::has_product(conn, &price.product).await? {
                product_changed(conn, stripe, &price.product).await?;
            }
            if catalog::has_product(conn, &price.product).await? {
                catalog::upsert_price(conn, &price).await?;
            }
        }
        Err(error) if error.is_not_found() => catalog::delete_price(conn, id).await?,
        Err(error) => return Err(error.into()),
    }
    catalog::announce_change(conn).await?;
    Ok(())
}

/// Formats an error with its causes (`a: b: c`) for the audit log.
struct DisplayChain<'a>(&'a BillingError);

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut error: Option<&dyn std::error::Error> = Some(self.0);
        let mut first = true;
        while let Some(current) = error {
            if !first {
                f.write_str(": ")?;
            }
            write!(f, "{current}")?;
            first = false;
            error = current.source();
        }
        Ok(())
    }
}
