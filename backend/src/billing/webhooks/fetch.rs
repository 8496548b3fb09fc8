//! The first step of applying an event: fetch from Stripe what it is about, holding no database
//! connection across a call (one short query lists a customer's subscriptions first).

use super::Topic;
use crate::{
    billing::{invoices, subscriptions, BillingError, Step},
    console::refetch::{self, Object},
    stripe::{
        connect::{Account, Transfer},
        objects::{CheckoutSession, Event, Invoice, Price, Product},
        StripeClient, StripeError,
    },
    AppState,
};

/// What an event's objects are now in Stripe, fetched before any database work.
#[derive(Debug)]
pub(super) enum Fetched {
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
    /// The money after the sale: a charge, refund, dispute, payout or the balance.
    Money(Box<crate::console::refetch::Fetched>),
    /// A partner's connected account as Stripe has it now.
    ConnectedAccount(Box<Account>),
    /// A partner disconnected their account (`acct_…`): it can no longer be read.
    AccountDeauthorized(String),
    /// A transfer to a partner as Stripe has it now.
    Transfer(Box<Transfer>),
    /// Nothing to fetch or store.
    Nothing,
}

/// Fetches what `event` is about. The event's own copy is never stored: it may be older than
/// what we hold. Holds no database connection across a call to Stripe.
pub(super) async fn fetch(
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
    if let Some(fetched) = fetch_connect(stripe, event, topic).await? {
        return Ok(fetched);
    }
    if topic == Topic::Balance {
        // https://docs.stripe.com/api/events/types#event_types-balance.available
        return money(stripe, Object::Balance).await;
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
        // https://docs.stripe.com/api/events/types#event_types-subscription_schedule.updated
        // The subscription it manages (or managed, once released) is fetched with its schedule.
        Topic::Schedule => {
            let subscription = event
                .object_field("subscription")
                .or_else(|| event.object_field("released_subscription"));
            match subscription {
                Some(subscription) => {
                    Fetched::Subscription(subscriptions::fetch(stripe, subscription).await?)
                }
                None => Fetched::Nothing,
            }
        }
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
        // https://docs.stripe.com/api/events/types#event_types-charge.succeeded
        Topic::Charge => return money(stripe, Object::Charge(id)).await,
        // https://docs.stripe.com/api/events/types#event_types-charge.refund.updated
        Topic::Refund => return money(stripe, Object::Refund(id)).await,
        // https://docs.stripe.com/api/events/types#event_types-charge.dispute.created
        Topic::Dispute => return money(stripe, Object::Dispute(id)).await,
        // https://docs.stripe.com/api/events/types#event_types-payout.paid
        Topic::Payout => return money(stripe, Object::Payout(id)).await,
        Topic::PaymentMethod
        | Topic::UpcomingInvoice
        | Topic::Balance
        | Topic::ConnectedAccount
        | Topic::AccountDeauthorized
        | Topic::ConnectedPayout
        | Topic::Transfer => Fetched::Nothing,
    })
}

/// What a Connect event is about, fetched again (with `Stripe-Account` where it is the connected
/// account's own); `None` for other topics.
async fn fetch_connect(
    stripe: &StripeClient,
    event: &Event,
    topic: Topic,
) -> Result<Option<Fetched>, BillingError> {
    let account = event.account.as_deref();
    Ok(Some(match (topic, account) {
        // https://docs.stripe.com/api/events/types#event_types-account.updated
        // (and `account.external_account.*`, `capability.updated`: the account changed.)
        (Topic::ConnectedAccount, Some(account)) => {
            match found(stripe.account(account), "fetching the connected account").await? {
                Some(account) => Fetched::ConnectedAccount(Box::new(account)),
                None => Fetched::AccountDeauthorized(account.to_owned()),
            }
        }
        // https://docs.stripe.com/api/events/types#event_types-account.application.deauthorized
        (Topic::AccountDeauthorized, Some(account)) => {
            Fetched::AccountDeauthorized(account.to_owned())
        }
        // https://docs.stripe.com/api/events/types#event_types-payout.paid
        // A partner's own payout: their page reads payouts live from Stripe, so nothing is
        // stored; fetching it (as the account) confirms the event is about a payout that exists.
        (Topic::ConnectedPayout, Some(account)) => {
            if let Some(id) = event.object_id() {
                found(
                    stripe.for_account(account).payout(id),
                    "fetching the connected account's payout",
                )
                .await?;
            }
            Fetched::Nothing
        }
        // https://docs.stripe.com/api/events/types#event_types-transfer.reversed
        (Topic::Transfer, _) => match event.object_id() {
            Some(id) => match found(stripe.transfer(id), "fetching the transfer").await? {
                Some(transfer) => Fetched::Transfer(Box::new(transfer)),
                None => Fetched::Nothing,
            },
            None => Fetched::Nothing,
        },
        (Topic::ConnectedAccount | Topic::AccountDeauthorized | Topic::ConnectedPayout, None) => {
            Fetched::Nothing
        }
        _ => return Ok(None),
    }))
}

/// A charge, refund, dispute, payout or the balance, and what it changed.
async fn money(stripe: &StripeClient, object: Object<'_>) -> Result<Fetched, BillingError> {
    Ok(match refetch::fetch(stripe, object).await? {
        Some(fetched) => Fetched::Money(Box::new(fetched)),
        None => Fetched::Nothing,
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
