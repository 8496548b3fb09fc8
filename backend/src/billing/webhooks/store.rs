//! The second step of applying an event: store what was fetched, in one transaction, each object
//! under its lock and only if no later fetch stored it first; and decide what follows from it
//! ([`FollowUp`]s, done once the transaction is committed).

use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{fetch::Fetched, Applied};
use crate::{
    billing::{
        self, catalog, checkout, customers, follow_ups::FollowUp, invoices, notifications,
        subscriptions, BillingError, Step, Ticket,
    },
    stripe::objects::{Event, Product},
};

/// What storing needs besides the connection.
pub(super) struct Context<'a> {
    pub(super) base_url: &'a url::Url,
    /// Billing time (Stripe's clock) as the event is applied.
    pub(super) now: OffsetDateTime,
    /// What partners earn on their referrals' invoices; `None` with the program off.
    pub(super) commission: Option<crate::partners::commissions::Terms>,
}

/// Stores what was fetched for `event`; returns what became of it and what is to follow once
/// committed. Locks are always taken outer-to-inner (the catalog; or customer, invoice or
/// session, then subscription), so two events cannot deadlock.
pub(super) async fn store(
    conn: &mut PgConnection,
    context: &Context<'_>,
    event: &Event,
    fetched: Fetched,
    ticket: Ticket,
) -> Result<(Applied, Vec<FollowUp>), BillingError> {
    let kind = event.kind.as_str();
    let mut mail_queued = false;
    let mut then = Vec::new();
    match fetched {
        Fetched::Nothing => return Ok((Applied::Nothing, then)),
        Fetched::Money(fetched) => {
            crate::console::refetch::store(conn, &fetched, ticket).await?;
            if kind == "charge.dispute.created" {
                if let crate::console::refetch::Fetched::Dispute(dispute, charge, _) = &*fetched {
                    mail_queued |= crate::console::disputes::notify_admins(
                        conn,
                        context.base_url,
                        dispute,
                        charge,
                    )
                    .await?;
                }
            }
        }
        Fetched::ConnectedAccount(account) => {
            billing::lock_object(conn, &account.id)
                .await
                .step("locking the connected account")?;
            if ticket
                .is_latest_for(conn, &account.id)
                .await
                .step("checking the connected account's fetch order")?
            {
                crate::partners::accounts::store(conn, &account)
                    .await
                    .step("storing the connected account")?;
            }
        }
        Fetched::AccountDeauthorized(account) => {
            crate::partners::accounts::disconnected(conn, &account)
                .await
                .step("recording the disconnected account")?;
        }
        Fetched::Transfer(transfer) => {
            crate::partners::transfers::store_fetched(conn, &transfer)
                .await
                .step("storing the transfer")?;
        }
        Fetched::Product(product) => {
            let id = event.object_id().unwrap_or_default();
            billing::lock_object(conn, catalog::LOCK)
                .await
                .step("locking the catalog")?;
            if ticket
                .is_latest_for(conn, id)
                .await
                .step("checking the product's fetch order")?
            {
                store_product(conn, id, product.as_ref()).await?;
            }
            return Ok((Applied::CatalogChanged, then));
        }
        Fetched::Price(price, product) => {
            let id = event.object_id().unwrap_or_default();
            billing::lock_object(conn, catalog::LOCK)
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
            return Ok((Applied::CatalogChanged, then));
        }
        Fetched::CheckoutSession(session, subscription) => {
            billing::lock_object(conn, &session.id)
                .await
                .step("locking the Checkout Session")?;
            let failed = kind == "checkout.session.async_payment_failed";
            let subscription = match subscription {
                Some(fetched) => subscriptions::store_fetched(conn, fetched, ticket).await?,
                None => None,
            };
            if let Some(subscription) = &subscription {
                record_commissions(conn, context, &subscription.id).await?;
            }
            then = checkout::apply(conn, &session, subscription, failed)
                .await?
                .1;
        }
        Fetched::Subscription(subscription) => {
            let stored = match subscription {
                Some(fetched) => subscriptions::store_fetched(conn, fetched, ticket).await?,
                None => None,
            };
            if let Some(subscription) = stored {
                record_commissions(conn, context, &subscription.id).await?;
                then.push(FollowUp::SettleTrial(Box::new(subscription)));
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
            // After the subscription: its start bounds the months a referral earns.
            if let Some(terms) = context.commission {
                crate::partners::commissions::record_for_invoice(conn, id, terms, context.now)
                    .await
                    .step("recording the partner's commission on the invoice")?;
            }
            // A plan change's invoice declined leaves the plan as it was: no "payment failed"
            // mail (it would say the plan is at risk); the account page says the change waits.
            if kind == "invoice.payment_failed"
                && !billing::manage::change_waits_for(&mut *conn, id)
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
            billing::lock_object(conn, &id)
                .await
                .step("locking the customer")?;
            for subscription in fetched {
                let stored = subscriptions::store_fetched(conn, subscription, ticket).await?;
                if let Some(stored) = stored.filter(|s| s.status.in_trial()) {
                    then.push(FollowUp::SettleTrial(Box::new(stored)));
                }
            }
            if deleted {
                // Stripe canceled its subscriptions: nothing to resume or pay.
                customers::forget_deleted(conn, &id)
                    .await
                    .step("forgetting a deleted customer")?;
            } else {
                then.push(FollowUp::ResumePausedTrials {
                    customer: id.clone(),
                });
                then.push(FollowUp::PayWaitingChanges { customer: id });
            }
        }
    }
    Ok((Applied::Other { mail_queued }, then))
}

/// With the partner program on, records the commissions the stored invoices of `subscription`
/// earn: an invoice stored before its subscription earns its commission now.
async fn record_commissions(
    conn: &mut PgConnection,
    context: &Context<'_>,
    subscription: &str,
) -> Result<(), BillingError> {
    if let Some(terms) = context.commission {
        crate::partners::commissions::record_for_subscription(
            conn,
            subscription,
            terms,
            context.now,
        )
        .await
        .step("recording the partner's commissions on the subscription's invoices")?;
    }
    Ok(())
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
