//! Applying a Stripe event (claimed from the inbox by a worker, or listed by `server stripe
//! replay`): re-fetch the object it is about and store Stripe's latest state, never the event's
//! copy; then send the emails it caused. [`Topic`] is the one list of event types Tollgate acts
//! on.

use secrecy::SecretString;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{
    catalog, checkout, customers, invoices, notifications, paused, subscriptions, trials,
    BillingError, Step, Ticket,
};
use crate::{
    stripe::{
        objects::{CheckoutSession, Event, Invoice, Price, Product},
        StripeClient, StripeError,
    },
    AppState,
};

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
    /// `customer.updated`, `customer.deleted`.
    Customer,
    /// `invoice.*` but `invoice.upcoming`.
    Invoice,
    /// `invoice.upcoming` (a preview, without an id).
    UpcomingInvoice,
    /// `payment_method.*`.
    PaymentMethod,
}

impl Topic {
    /// What an event type is about, if Tollgate acts on it.
    pub fn of(kind: &str) -> Option<Self> {
        let (object, _) = kind.rsplit_once('.')?;
        Some(match (object, kind) {
            (_, "invoice.upcoming") => Self::UpcomingInvoice,
            ("invoice", _) => Self::Invoice,
            ("product", _) => Self::Product,
            ("price", _) => Self::Price,
            ("payment_method", _) => Self::PaymentMethod,
            ("customer.subscription", _) => Self::Subscription,
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

/// Applies one event in two steps: fetch from Stripe what it is about, holding no database
/// connection; then store it in one transaction, each object under its lock and only if nothing
/// fetched after `ticket` was stored for it first (what follows a change — a trial to end, a
/// paused plan to resume, an unpaid change to pay — is decided and done in that transaction).
async fn apply(
    state: &AppState,
    event: &Event,
    ticket: Ticket,
    mailing: Mailing,
) -> Result<Receipt, BillingError> {
    let Some(topic) = Topic::of(&event.kind) else {
        return Ok(Receipt::Ignored);
    };
    // No retries of our own and a short timeout: a failed attempt is retried by the worker
    // (or the next replay) with backoff.
    let context = Context {
        stripe: state.stripe.for_webhooks(),
        base_url: &state.config.base_url,
        trial_ledger_key: &state.config.trial_ledger_key,
        now: super::clock::now(state).await,
    };
    let fetched = fetch(state, &context.stripe, event, topic).await?;
    let mut tx = state
        .db
        .begin()
        .await
        .step("starting the event's transaction")?;
    let applied = store(&mut tx, &context, event, fetched, ticket).await?;
    tx.commit().await.step("committing the event")?;
    Ok(finish(state, applied, mailing))
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

/// What storing needs besides the connection.
struct Context<'a> {
    stripe: StripeClient,
    base_url: &'a url::Url,
    /// The trial ledger's key ([`trials`]).
    trial_ledger_key: &'a SecretString,
    /// Billing time (Stripe's clock) as the event is applied.
    now: OffsetDateTime,
}

/// What an event's objects are now in Stripe, fetched before any database work.
#[derive(Debug)]
enum Fetched {
    /// `None`: gone from Stripe.
    Product(Option<Product>),
    /// The price (`None`: gone) and its product (`None`: gone).
    Price(Option<Price>, Option<Product>),
    /// A Checkout Session (`subscription` and `line_items` expanded), with its subscription.
    CheckoutSession(Box<CheckoutSession>, Option<subscriptions::Fetched>),
    /// A subscription (`None`: gone, or no id to fetch).
    Subscription(Option<subscriptions::Fetched>),
    /// An invoice (`None`: gone), and for a payment's events its subscription.
    Invoice(Option<Box<Invoice>>, Option<subscriptions::Fetched>),
    /// A customer's live subscriptions we keep, fetched again (their cards may have changed), and
    /// whether the customer is gone.
    Customer {
        /// `cus_…`.
        id: String,
        subscriptions: Vec<subscriptions::Fetched>,
        deleted: bool,
    },
    /// Nothing to fetch or store.
    Nothing,
}

/// Fetches what `event` is about. The event's own copy is never stored: it may be older than
/// what we hold. Holds no database connection across a call to Stripe.
async fn fetch(
    state: &AppState,
    stripe: &StripeClient,
    event: &Event,
    topic: Topic,
) -> Result<Fetched, BillingError> {
    let kind = event.kind.as_str();
    if topic == Topic::PaymentMethod {
        // https://docs.stripe.com/api/events/types#event_types-payment_method.attached
        // A detached method's customer is only in `previous_attributes`.
        return match event.object_field("customer") {
            Some(customer) => fetch_customer(state, stripe, customer, false).await,
            None => Ok(Fetched::Nothing),
        };
    }
    if topic == Topic::UpcomingInvoice {
        // https://docs.stripe.com/api/events/types#event_types-invoice.upcoming
        // A preview without an id: bring its subscription up to date. Where the subscription is
        // depends on the API version the event was rendered in.
        let object = &event.data.object;
        let subscription = object
            .pointer("/parent/subscription_details/subscription")
            .or_else(|| object.get("subscription"))
            .and_then(|id| id.as_str());
        return Ok(match subscription {
            Some(id) => Fetched::Subscription(subscriptions::fetch(stripe, id).await?),
            None => Fetched::Nothing,
        });
    }
    let Some(id) = event.object_id() else {
        return Ok(Fetched::Nothing);
    };
    Ok(match topic {
        // https://docs.stripe.com/api/events/types#event_types-product.updated
        Topic::Product => {
            Fetched::Product(found(stripe.product(id), "fetching the product").await?)
        }
        // https://docs.stripe.com/api/events/types#event_types-price.updated
        Topic::Price => {
            let price = found(stripe.price(id), "fetching the price").await?;
            let product = match &price {
                Some(price) => {
                    found(
                        stripe.product(&price.product),
                        "fetching the price's product",
                    )
                    .await?
                }
                None => None,
            };
            Fetched::Price(price, product)
        }
        // https://docs.stripe.com/api/events/types#event_types-checkout.session.completed
        Topic::CheckoutSession => {
            let session = stripe
                .checkout_session(id)
                .await
                .step("fetching the Checkout Session")?;
            let subscription = match &session.subscription {
                Some(subscription) => subscriptions::fetch(stripe, subscription.id()).await?,
                None => None,
            };
            Fetched::CheckoutSession(Box::new(session), subscription)
        }
        // https://docs.stripe.com/api/events/types#event_types-customer.subscription.updated
        Topic::Subscription => Fetched::Subscription(subscriptions::fetch(stripe, id).await?),
        // https://docs.stripe.com/api/events/types#event_types-customer.updated
        // Customers change for many reasons (invoice numbering, balance, address); only a new
        // default card matters here, so the others cost no Stripe call.
        Topic::Customer if kind == "customer.updated" && !default_card_changed(event) => {
            Fetched::Nothing
        }
        Topic::Customer => fetch_customer(state, stripe, id, true).await?,
        // https://docs.stripe.com/api/events/types#event_types-invoice.paid
        Topic::Invoice => {
            let invoice = invoices::fetch(stripe, id).await?;
            // The payment moved the subscription (active again, or past due). Read from the
            // fetched invoice, in our API version, not the event's rendering.
            let paying = matches!(kind, "invoice.paid" | "invoice.payment_failed");
            let subscription = match invoice.as_ref().and_then(|i| i.subscription_id()) {
                Some(subscription) if paying => subscriptions::fetch(stripe, subscription).await?,
                _ => None,
            };
            Fetched::Invoice(invoice.map(Box::new), subscription)
        }
        Topic::PaymentMethod | Topic::UpcomingInvoice => Fetched::Nothing,
    })
}

/// A customer's live subscriptions that we keep (one short query), each fetched again; and, for
/// the customer's own events, whether it is gone.
async fn fetch_customer(
    state: &AppState,
    stripe: &StripeClient,
    customer: &str,
    check_deleted: bool,
) -> Result<Fetched, BillingError> {
    let mut fetched = Vec::new();
    for id in subscriptions::live_of_customer(&state.db, customer)
        .await
        .step("listing the customer's live subscriptions")?
    {
        fetched.extend(subscriptions::fetch(stripe, &id).await?);
    }
    let deleted = check_deleted
        && match stripe.customer(customer).await {
            Ok(customer) => customer.deleted,
            Err(error) if error.is_not_found() => true,
            Err(error) => return Err(error.step("fetching the customer")),
        };
    Ok(Fetched::Customer {
        id: customer.to_owned(),
        subscriptions: fetched,
        deleted,
    })
}

/// What Stripe answers to `call` (`step`), with "no such object" as `None`.
async fn found<T>(
    call: impl std::future::Future<Output = Result<T, StripeError>>,
    step: &'static str,
) -> Result<Option<T>, BillingError> {
    match call.await {
        Ok(object) => Ok(Some(object)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error.step(step)),
    }
}

/// Stores what was fetched for `event`, and what follows from it. Locks are always taken
/// outer-to-inner (the catalog; or customer, invoice or session, then subscription), so two
/// events cannot deadlock.
async fn store(
    conn: &mut PgConnection,
    context: &Context<'_>,
    event: &Event,
    fetched: Fetched,
    ticket: Ticket,
) -> Result<Applied, BillingError> {
    let stripe = &context.stripe;
    let key = context.trial_ledger_key;
    let kind = event.kind.as_str();
    let mut mail_queued = false;
    match fetched {
        Fetched::Nothing => return Ok(Applied::Nothing),
        Fetched::Product(product) => {
            let id = event.object_id().unwrap_or_default();
            super::lock_object(conn, catalog::LOCK)
                .await
                .step("locking the catalog")?;
            if ticket
                .is_latest_for(conn, id)
                .await
                .step("checking the product's fetch order")?
            {
                store_product(conn, id, product.as_ref()).await?;
            }
            return Ok(Applied::CatalogChanged);
        }
        Fetched::Price(price, product) => {
            let id = event.object_id().unwrap_or_default();
            super::lock_object(conn, catalog::LOCK)
                .await
                .step("locking the catalog")?;
            if let Some(product) = &product {
                if ticket
                    .is_latest_for(conn, &product.id)
                    .await
                    .step("checking the product's fetch order")?
                {
                    catalog::upsert_product(conn, product)
                        .await
                        .step("storing the product")?;
                }
            }
            if ticket
                .is_latest_for(conn, id)
                .await
                .step("checking the price's fetch order")?
            {
                match &price {
                    Some(price)
                        if catalog::has_product(&mut *conn, &price.product)
                            .await
                            .step("checking the price's product is stored")? =>
                    {
                        catalog::upsert_price(conn, price)
                            .await
                            .step("storing the price")?;
                    }
                    Some(_) => {}
                    None => catalog::delete_price(conn, id)
                        .await
                        .step("removing a price Stripe no longer has")?,
                }
            }
            catalog::announce_change(conn)
                .await
                .step("announcing the catalog change")?;
            return Ok(Applied::CatalogChanged);
        }
        Fetched::CheckoutSession(session, subscription) => {
            super::lock_object(conn, &session.id)
                .await
                .step("locking the Checkout Session")?;
            let failed = kind == "checkout.session.async_payment_failed";
            let subscription = match subscription {
                Some(fetched) => subscriptions::store_fetched(conn, fetched, ticket).await?,
                None => None,
            };
            checkout::apply(conn, stripe, key, &session, subscription, failed).await?;
        }
        Fetched::Subscription(subscription) => {
            let stored = match subscription {
                Some(fetched) => subscriptions::store_fetched(conn, fetched, ticket).await?,
                None => None,
            };
            if let Some(subscription) = &stored {
                trials::settle(conn, stripe, key, subscription).await?;
            }
            // `customer.subscription.*` events (an `invoice.upcoming` has no id of its own).
            if let Some(id) = event.object_id() {
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
        }
        Fetched::Invoice(invoice, subscription) => {
            let id = event.object_id().unwrap_or_default();
            invoices::store_fetched(conn, id, invoice.map(|invoice| *invoice), ticket).await?;
            if let Some(fetched) = subscription {
                subscriptions::store_fetched(conn, fetched, ticket).await?;
            }
            // A plan change's invoice declined leaves the plan as it was: no "payment failed"
            // mail (it would say the plan is at risk); the account page says the change waits.
            if kind == "invoice.payment_failed"
                && !super::manage::change_waits_for(&mut *conn, id)
                    .await
                    .step("checking for a plan change waiting on the invoice")?
            {
                // https://docs.stripe.com/api/events/types#event_types-invoice.payment_failed
                mail_queued = notifications::payment_failed(conn, context.base_url, id).await?;
            }
        }
        Fetched::Customer {
            id,
            subscriptions: fetched,
            deleted,
        } => {
            // A card was attached, detached or updated, or the customer changed or went: the
            // cards shown on its subscriptions are stored again, a card new to a trial is
            // checked against the trial ledger, a trial paused for want of a card resumes once
            // it has one, and a plan change waiting for payment is paid with it.
            super::lock_object(conn, &id)
                .await
                .step("locking the customer")?;
            for subscription in fetched {
                let stored = subscriptions::store_fetched(conn, subscription, ticket).await?;
                if let Some(stored) = stored.filter(|s| s.status.in_trial()) {
                    trials::settle(conn, stripe, key, &stored).await?;
                }
            }
            paused::resume_with_card(conn, stripe, &id).await?;
            super::manage::pay_waiting_changes(conn, stripe, &id).await?;
            if deleted {
                customers::forget_deleted(conn, &id)
                    .await
                    .step("forgetting a deleted customer")?;
            }
        }
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

/// Stores the product as Stripe has it now, or removes it if Stripe no longer does.
async fn store_product(
    conn: &mut PgConnection,
    id: &str,
    product: Option<&Product>,
) -> Result<(), BillingError> {
    match product {
        Some(product) => catalog::upsert_product(conn, product)
            .await
            .step("storing the product")?,
        None => catalog::delete_product(conn, id)
            .await
            .step("removing a product Stripe no longer has")?,
    }
    catalog::announce_change(conn)
        .await
        .step("announcing the catalog change")?;
    Ok(())
}

/// Formats an error with its causes (`a: b: c`) for the audit log.
pub(super) struct DisplayChain<'a>(pub(super) &'a BillingError);

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
