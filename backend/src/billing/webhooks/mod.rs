//! Applying a Stripe event (claimed from the inbox by a worker, or listed by `server stripe
//! replay`): re-fetch the object it is about and store Stripe's latest state, never the event's
//! copy; then send the emails it caused. [`PLATFORM_EVENTS`] and [`CONNECT_EVENTS`] are the one
//! list of event types Tollgate acts on, and [`Topic`] says what each is about.
//!
//! - [`fetch`]: the first step, Stripe's current objects, with no database connection held.
//! - [`store`]: the second, one transaction under the objects' locks and the fetch order.

mod fetch;
mod store;
#[cfg(test)]
mod tests;

use super::{notifications, BillingError, Step, Ticket};
use crate::{stripe::objects::Event, AppState};
use store::Context;

/// What became of an event applied by `server stripe replay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// Applied now.
    Applied,
    /// Already applied before.
    Duplicate,
    /// Recorded; nothing to do for this type.
    Ignored,
}

/// Every event type of the platform's own account that Tollgate acts on ([`Topic::of_type`] with
/// `connected = false`), named one by one: a Stripe webhook endpoint takes explicit names, not
/// prefixes. `server stripe setup` subscribes the endpoint at `/webhooks/stripe` to exactly these,
/// `server doctor` checks it, and README.md lists them (a test keeps all three equal; another
/// checks the list against every type Stripe has).
pub const PLATFORM_EVENTS: &[&str] = &[
    "balance.available",
    "charge.captured",
    "charge.dispute.closed",
    "charge.dispute.created",
    "charge.dispute.funds_reinstated",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.updated",
    "charge.expired",
    "charge.failed",
    "charge.pending",
    "charge.refund.updated",
    "charge.refunded",
    "charge.succeeded",
    "charge.updated",
    "checkout.session.async_payment_failed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.completed",
    "checkout.session.expired",
    "customer.deleted",
    "customer.subscription.created",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.pending_update_applied",
    "customer.subscription.pending_update_expired",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
    "customer.subscription.updated",
    "customer.updated",
    "invoice.created",
    "invoice.deleted",
    "invoice.finalization_failed",
    "invoice.finalized",
    "invoice.marked_uncollectible",
    "invoice.overdue",
    "invoice.overpaid",
    "invoice.paid",
    "invoice.payment_action_required",
    "invoice.payment_attempt_required",
    "invoice.payment_failed",
    "invoice.payment_succeeded",
    "invoice.sent",
    "invoice.upcoming",
    "invoice.updated",
    "invoice.voided",
    "invoice.will_be_due",
    "payment_method.attached",
    "payment_method.automatically_updated",
    "payment_method.detached",
    "payment_method.updated",
    "payout.canceled",
    "payout.created",
    "payout.failed",
    "payout.paid",
    "payout.reconciliation_completed",
    "payout.updated",
    "price.created",
    "price.deleted",
    "price.updated",
    "product.created",
    "product.deleted",
    "product.updated",
    "refund.created",
    "refund.failed",
    "refund.updated",
    "subscription_schedule.aborted",
    "subscription_schedule.canceled",
    "subscription_schedule.completed",
    "subscription_schedule.created",
    "subscription_schedule.expiring",
    "subscription_schedule.released",
    "subscription_schedule.updated",
    "transfer.created",
    "transfer.reversed",
    "transfer.updated",
];

/// Every event type of partners' connected accounts that Tollgate acts on ([`Topic::of_type`]
/// with `connected = true`): what the Connect endpoint at `/webhooks/stripe/connect` listens to.
pub const CONNECT_EVENTS: &[&str] = &[
    "account.application.deauthorized",
    "account.external_account.created",
    "account.external_account.deleted",
    "account.external_account.updated",
    "account.updated",
    "capability.updated",
    "payout.canceled",
    "payout.created",
    "payout.failed",
    "payout.paid",
    "payout.reconciliation_completed",
    "payout.updated",
    "transfer.created",
    "transfer.reversed",
    "transfer.updated",
];

/// The kinds of event Tollgate acts on, by what they are about; every other type is recorded and
/// acknowledged. The inbox and the dispatcher read the same list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// `product.*`.
    Product,
    /// `price.*`.
    Price,
    /// `checkout.session.completed`, `.async_payment_succeeded`, `.async_payment_failed`,
    /// `.expired`.
    CheckoutSession,
    /// `customer.subscription.*`.
    Subscription,
    /// `subscription_schedule.*`: a plan change at renewal was scheduled, happened or undone.
    Schedule,
    /// `customer.updated`, `customer.deleted`.
    Customer,
    /// `invoice.*` but `invoice.upcoming`.
    Invoice,
    /// `invoice.upcoming` (a preview, without an id).
    UpcomingInvoice,
    /// `payment_method.*`.
    PaymentMethod,
    /// `charge.*` (not its disputes' and refunds' events).
    Charge,
    /// `refund.*`, `charge.refund.updated`.
    Refund,
    /// `charge.dispute.*`.
    Dispute,
    /// `payout.*`.
    Payout,
    /// `balance.available`.
    Balance,
    /// A partner's connected account changed: `account.updated`, `account.external_account.*`,
    /// `capability.updated` (Connect events).
    ConnectedAccount,
    /// A partner disconnected their account: `account.application.deauthorized`.
    AccountDeauthorized,
    /// `payout.*` of a connected account (Connect events): the partner's own payouts.
    ConnectedPayout,
    /// `transfer.*`: a transfer to a partner changed (a reversal made in the Dashboard).
    Transfer,
}

impl Topic {
    /// What an event is about, if Tollgate acts on it.
    pub fn of(event: &Event) -> Option<Self> {
        Self::of_type(&event.kind, event.account.is_some())
    }

    /// What an event type is about, if Tollgate acts on it — if it is one of
    /// [`PLATFORM_EVENTS`] (or of [`CONNECT_EVENTS`] when `connected`: it happened on a connected
    /// account).
    pub fn of_type(kind: &str, connected: bool) -> Option<Self> {
        let listed = if connected {
            CONNECT_EVENTS
        } else {
            PLATFORM_EVENTS
        };
        if !listed.contains(&kind) {
            return None;
        }
        Self::classify(kind, connected)
    }

    /// What an event type is about, by its name alone (`invoice.*` is an invoice's); the lists
    /// above are the types of Stripe's catalog this maps (a test checks it).
    fn classify(kind: &str, connected: bool) -> Option<Self> {
        let (object, _) = kind.rsplit_once('.')?;
        if connected {
            return match (object, kind) {
                (_, "account.application.deauthorized") => Some(Self::AccountDeauthorized),
                (_, "account.updated" | "capability.updated") | ("account.external_account", _) => {
                    Some(Self::ConnectedAccount)
                }
                ("payout", _) => Some(Self::ConnectedPayout),
                ("transfer", _) => Some(Self::Transfer),
                _ => None,
            };
        }
        Some(match (object, kind) {
            ("transfer", _) => Self::Transfer,
            (_, "invoice.upcoming") => Self::UpcomingInvoice,
            ("invoice", _) => Self::Invoice,
            ("product", _) => Self::Product,
            ("price", _) => Self::Price,
            ("payment_method", _) => Self::PaymentMethod,
            ("charge", _) => Self::Charge,
            ("refund" | "charge.refund", _) => Self::Refund,
            ("charge.dispute", _) => Self::Dispute,
            ("payout", _) => Self::Payout,
            (_, "balance.available") => Self::Balance,
            ("customer.subscription", _) => Self::Subscription,
            ("subscription_schedule", _) => Self::Schedule,
            (_, "customer.updated" | "customer.deleted") => Self::Customer,
            (
                _,
                "checkout.session.completed"
                | "checkout.session.async_payment_succeeded"
                | "checkout.session.async_payment_failed"
                | "checkout.session.expired",
            ) => Self::CheckoutSession,
            _ => return None,
        })
    }
}

/// Applies an event a worker claimed from the inbox, then sends the emails it caused.
pub async fn apply_claimed(
    state: &AppState,
    event: &Event,
    ticket: Ticket,
) -> Result<(), BillingError> {
    apply(state, event, ticket, Mailing::Background)
        .await
        .map(|_| ())
}

/// Best effort: the audit log keeps the error of a failed application. The failed transaction's
/// `attempts + 1` was rolled back, so this attempt is counted here (an earlier failed attempt
/// left the row).
pub(super) async fn record_failure(state: &AppState, event: &Event, error: &BillingError) {
    let recorded = sqlx::query!(
        r#"
        INSERT INTO stripe_events (id, type, object_id, created, error, attempts)
        VALUES ($1, $2, $3, to_timestamp($4), $5, 1)
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

/// Records the event (as applied by the caller: no worker takes it) and applies it, then sends
/// the emails it caused. `Duplicate` when it was applied before.
pub(super) async fn record_and_apply(
    state: &AppState,
    event: &Event,
    mailing: Mailing,
) -> Result<Receipt, BillingError> {
    // New, or seen before but never applied (an earlier attempt failed, or it waits in the
    // inbox): go ahead. Applied already: a duplicate.
    let fresh = sqlx::query!(
        r#"
        INSERT INTO stripe_events (id, type, object_id, created, attempts)
        VALUES ($1, $2, $3, to_timestamp($4), 1)
        ON CONFLICT (id) DO UPDATE SET attempts = stripe_events.attempts + 1
        WHERE stripe_events.applied_at IS NULL
        "#,
        event.id,
        event.kind,
        event.object_id(),
        event.created as f64,
    )
    .execute(&state.db)
    .await
    .step("recording a replayed event")?
    .rows_affected()
        == 1;
    if !fresh {
        return Ok(Receipt::Duplicate);
    }
    let receipt = reapply(state, event, mailing).await?;
    sqlx::query!(
        "UPDATE stripe_events SET applied_at = now(), next_attempt_at = NULL, error = NULL \
         WHERE id = $1",
        event.id
    )
    .execute(&state.db)
    .await
    .step("marking a replayed event applied")?;
    Ok(receipt)
}

/// Who sends the emails an event queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mailing {
    /// A background task, right after the commit (a worker goes on to the next event).
    Background,
    /// The caller, when it is done (`server stripe replay`, whose process then exits).
    Caller,
}

/// Applies an event without touching its record (`server stripe replay` of an event applied
/// before: everything is re-fetched, so this only brings rows up to date).
pub(super) async fn reapply(
    state: &AppState,
    event: &Event,
    mailing: Mailing,
) -> Result<Receipt, BillingError> {
    let ticket = Ticket::draw(&state.db)
        .await
        .step("drawing a fetch ticket")?;
    apply(state, event, ticket, mailing).await
}

/// Applies one event in three steps: fetch from Stripe what it is about, holding no database
/// connection; store it in one transaction, each object under its lock and only if nothing
/// fetched after `ticket` was stored for it first, deciding what follows from the change (a
/// trial to end, a paused plan to resume, an unpaid change to pay); once committed, do that
/// ([`super::follow_ups`]), again holding no connection while Stripe answers. A failed
/// follow-up fails the event, which is applied again later: the same follow-ups are decided from
/// what is stored, and each is idempotent.
async fn apply(
    state: &AppState,
    event: &Event,
    ticket: Ticket,
    mailing: Mailing,
) -> Result<Receipt, BillingError> {
    let Some(topic) = Topic::of(event) else {
        return Ok(Receipt::Ignored);
    };
    // No retries of our own and a short timeout: a failed attempt is retried by the worker
    // (or the next replay) with backoff.
    let stripe = state.stripe.for_webhooks();
    let context = Context {
        base_url: &state.config.base_url,
        now: super::clock::now(state).await,
        commission: state
            .config
            .partners_enabled
            .then_some(state.config.partner_commission),
    };
    let fetched = fetch::fetch(state, &stripe, event, topic).await?;
    let mut tx = state
        .db
        .begin()
        .await
        .step("starting the event's transaction")?;
    let (applied, then) = store::store(&mut tx, &context, event, fetched, ticket).await?;
    tx.commit().await.step("committing the event")?;
    let receipt = finish(state, applied, mailing);
    super::follow_ups::run_all(then, &state.db, &stripe, &state.config.trial_ledger_key).await?;
    Ok(receipt)
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

/// Formats an error with its causes (`a: b: c`) for the audit log.
pub(in crate::billing) struct DisplayChain<'a>(pub(in crate::billing) &'a BillingError);

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
