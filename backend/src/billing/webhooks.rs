//! Receiving a Stripe event: verify the signature over the raw bytes, record the event id (a
//! duplicate is answered and ignored), re-fetch the object it is about under its lock and store
//! Stripe's latest state — all in one transaction; then send the emails it caused. Unknown event
//! types are recorded and acknowledged.

use secrecy::SecretString;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{
    catalog, checkout, customers, invoices, notifications, paused, subscriptions, trials,
    BillingError,
};
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
    match record_and_apply(state, &event, Mailing::Background).await {
        Ok(receipt) => Ok(receipt),
        Err(error) => {
            record_failure(state, &event, &error).await;
            Err(failed(error))
        }
    }
}

/// Best effort: the audit log keeps the error of a failed application. The failed transaction's
/// `attempts + 1` was rolled back, so this attempt is counted here (an earlier failed attempt
/// left the row).
pub(super) async fn record_failure(state: &AppState, event: &Event, error: &BillingError) {
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
        DisplayChain(error).to_string(),
    )
    .execute(&state.db)
    .await;
    if let Err(log_error) = recorded {
        tracing::warn!(%log_error, event = %event.id, "could not record a failed event");
    }
}

/// Records the event and applies it in one transaction, then sends the emails it caused.
/// `Duplicate` when it was applied before.
pub(super) async fn record_and_apply(
    state: &AppState,
    event: &Event,
    mailing: Mailing,
) -> Result<Receipt, BillingError> {
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
    let applied = apply_in(state, &mut tx, event).await?;
    sqlx::query!(
        "UPDATE stripe_events SET applied_at = now(), error = NULL WHERE id = $1",
        event.id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(finish(state, applied, mailing))
}

/// Who sends the emails an event queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mailing {
    /// A background task, right after the commit (a webhook: Stripe waits only seconds).
    Background,
    /// The caller, when it is done (`server stripe replay`, whose process then exits).
    Caller,
}

/// Applies an event again without touching its record (`server stripe replay` of an event
/// applied before: every handler re-fetches, so this only brings rows up to date).
pub(super) async fn reapply(
    state: &AppState,
    event: &Event,
    mailing: Mailing,
) -> Result<Receipt, BillingError> {
    let mut tx = state.db.begin().await?;
    let applied = apply_in(state, &mut tx, event).await?;
    tx.commit().await?;
    Ok(finish(state, applied, mailing))
}

async fn apply_in(
    state: &AppState,
    conn: &mut PgConnection,
    event: &Event,
) -> Result<Applied, BillingError> {
    // Stripe waits only seconds for our answer and redelivers what we do not acknowledge: fetch
    // without our own retries and with a short timeout, and let its redelivery be the retry.
    let context = Context {
        stripe: state.stripe.for_webhooks(),
        base_url: &state.config.base_url,
        trial_ledger_key: &state.config.trial_ledger_key,
        now: super::clock::now(state).await,
    };
    apply(conn, &context, event).await
}

/// After the commit: invalidate the local catalog, start sending the emails.
fn finish(state: &AppState, applied: Applied, mailing: Mailing) -> Receipt {
    match applied {
        Applied::Nothing => Receipt::Ignored,
        Applied::CatalogChanged => {
            // This replica at once; the others on the NOTIFY sent in the transaction.
            state.catalog.invalidate();
            Receipt::Applied
        }
        Applied::Other { mail_queued } => {
            // Sent off the request (Stripe waits only seconds for our answer); what fails is
            // retried by the background sender.
            if mail_queued && mailing == Mailing::Background {
                let state = state.clone();
                tokio::spawn(async move {
                    if let Err(error) = notifications::deliver_due(&state).await {
                        tracing::error!(error.cause_chain = ?anyhow::Error::new(error), "delivering billing emails failed");
                    }
                });
            }
            Receipt::Applied
        }
    }
}

#[derive(Debug)]
enum Applied {
    Nothing,
    CatalogChanged,
    /// Stored; whether emails were queued (to send once committed).
    Other {
        mail_queued: bool,
    },
}

/// What the handlers need besides the connection.
struct Context<'a> {
    stripe: StripeClient,
    base_url: &'a url::Url,
    /// The trial ledger's key ([`trials`]).
    trial_ledger_key: &'a SecretString,
    /// Billing time (Stripe's clock) as the event is applied.
    now: OffsetDateTime,
}

/// Dispatches on the event type. Every handler takes the object's lock and re-fetches it: the
/// event's copy may be older than what we already stored.
async fn apply(
    conn: &mut PgConnection,
    context: &Context<'_>,
    event: &Event,
) -> Result<Applied, BillingError> {
    let stripe = &context.stripe;
    let kind = event.kind.as_str();
    if kind == "invoice.upcoming" {
        // https://docs.stripe.com/api/events/types#event_types-invoice.upcoming
        // A preview without an id: bring its subscription up to date.
        // Where the subscription is depends on the API version the event was rendered in.
        let object = &event.data.object;
        if let Some(subscription) = object
            .pointer("/parent/subscription_details/subscription")
            .or_else(|| object.get("subscription"))
            .and_then(|id| id.as_str())
        {
            subscriptions::refresh(conn, stripe, subscription).await?;
        }
        return Ok(Applied::Other { mail_queued: false });
    }
    if kind.starts_with("payment_method.") {
        // https://docs.stripe.com/api/events/types#event_types-payment_method.attached
        // A detached method's customer is only in `previous_attributes`.
        if let Some(customer) = event.object_field("customer") {
            card_changed(conn, stripe, context.trial_ledger_key, customer).await?;
        }
        return Ok(Applied::Other { mail_queued: false });
    }
    let Some(id) = event.object_id() else {
        return Ok(Applied::Nothing);
    };
    if kind.starts_with("product.") {
        // https://docs.stripe.com/api/events/types#event_types-product.updated
        product_changed(conn, stripe, id).await?;
        return Ok(Applied::CatalogChanged);
    }
    if kind.starts_with("price.") {
        // https://docs.stripe.com/api/events/types#event_types-price.updated
        price_changed(conn, stripe, id).await?;
        return Ok(Applied::CatalogChanged);
    }
    let mut mail_queued = false;
    match kind {
        "checkout.session.completed"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.async_payment_failed"
        | "checkout.session.expired" => {
            // https://docs.stripe.com/api/events/types#event_types-checkout.session.completed
            super::lock_object(conn, id).await?;
            let session = stripe.checkout_session(id).await?;
            let failed = kind == "checkout.session.async_payment_failed";
            checkout::apply(conn, stripe, context.trial_ledger_key, &session, failed).await?;
        }
        _ if kind.starts_with("customer.subscription.") => {
            // https://docs.stripe.com/api/events/types#event_types-customer.subscription.updated
            if let Some(subscription) = subscriptions::refresh(conn, stripe, id).await? {
                trials::settle(conn, stripe, context.trial_ledger_key, &subscription).await?;
            }
            mail_queued = match kind {
                // https://docs.stripe.com/api/events/types#event_types-customer.subscription.trial_will_end
                "customer.subscription.trial_will_end" => {
                    notifications::trial_ending(conn, context.base_url, id).await?
                }
                // https://docs.stripe.com/api/events/types#event_types-customer.subscription.deleted
                "customer.subscription.deleted" => {
                    notifications::canceled(conn, context.base_url, id, context.now).await?
                }
                // https://docs.stripe.com/api/events/types#event_types-customer.subscription.paused
                "customer.subscription.paused" => {
                    notifications::trial_paused(conn, context.base_url, id).await?
                }
                _ => false,
            };
        }
        // https://docs.stripe.com/api/events/types#event_types-customer.updated
        // Customers change for many reasons (invoice numbering, balance, address); only a new
        // default card matters here, so the others cost no Stripe call.
        "customer.updated" if !default_card_changed(event) => {}
        "customer.updated" | "customer.deleted" => {
            customer_changed(conn, stripe, context.trial_ledger_key, id).await?;
        }
        _ if kind.starts_with("invoice.") => {
            // https://docs.stripe.com/api/events/types#event_types-invoice.paid
            let invoice = invoices::refresh(conn, stripe, id).await?;
            if matches!(kind, "invoice.paid" | "invoice.payment_failed") {
                // The payment moved the subscription (active again, or past due). Read from
                // the fetched invoice, in our API version, not the event's rendering.
                if let Some(subscription) = invoice.as_ref().and_then(|i| i.subscription_id()) {
                    subscriptions::refresh(conn, stripe, subscription).await?;
                }
            }
            // A plan change's invoice declined leaves the plan as it was: no "payment failed"
            // mail (it would say the plan is at risk); the account page says the change waits.
            if kind == "invoice.payment_failed"
                && !super::manage::change_waits_for(conn, id).await?
            {
                // https://docs.stripe.com/api/events/types#event_types-invoice.payment_failed
                mail_queued = notifications::payment_failed(conn, context.base_url, id).await?;
            }
        }
        _ => return Ok(Applied::Nothing),
    }
    Ok(Applied::Other { mail_queued })
}

/// Whether a `customer.updated` may have changed the default card (without the earlier values,
/// assume it did).
fn default_card_changed(event: &Event) -> bool {
    event
        .data
        .previous_attributes
        .as_ref()
        .is_none_or(|previous| {
            previous.get("invoice_settings").is_some() || previous.get("default_source").is_some()
        })
}

/// A customer changed (its default card) or was deleted: its subscriptions are re-fetched (their
/// card, or their cancellation), and a deleted customer is forgotten, so the user can start again.
async fn customer_changed(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    trial_ledger_key: &SecretString,
    id: &str,
) -> Result<(), BillingError> {
    card_changed(conn, stripe, trial_ledger_key, id).await?;
    let gone = match stripe.customer(id).await {
        Ok(customer) => customer.deleted,
        Err(error) if error.is_not_found() => true,
        Err(error) => return Err(error.into()),
    };
    if gone {
        customers::forget_deleted(conn, id).await?;
    }
    Ok(())
}

/// A payment method was attached, detached or updated: the cards shown on the customer's
/// subscriptions are re-read, a card new to a trial is checked against the trial ledger, and a
/// trial paused for want of a card resumes once it has one, and a plan change waiting for
/// payment is paid with it.
async fn card_changed(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    trial_ledger_key: &SecretString,
    customer: &str,
) -> Result<(), BillingError> {
    super::lock_object(conn, customer).await?;
    subscriptions::refresh_customer(conn, stripe, customer).await?;
    trials::settle_customer(conn, stripe, trial_ledger_key, customer).await?;
    paused::resume_with_card(conn, stripe, customer).await?;
    super::manage::pay_waiting_changes(conn, stripe, customer).await?;
    Ok(())
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
