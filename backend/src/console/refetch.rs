//! Bringing the mirror up to date with Stripe, the same way for a webhook event and for an
//! action that just changed something: fetch what Stripe holds now (holding no connection), then
//! store it in one transaction under the object's lock, only if no fetch that started later
//! stored it first ([`Ticket`]).

use sqlx::PgConnection;

use super::mirror;
use crate::{
    billing::{lock_object, BillingError, Step, Ticket},
    stripe::{
        payments::{Balance, BalanceTransaction, Charge, Dispute, Payout, Refund},
        StripeClient,
    },
};

/// The lock and fetch-order key of the balance (it has no id of its own).
const BALANCE: &str = "stripe-balance";

/// What was fetched, to store.
#[derive(Debug)]
pub enum Fetched {
    /// A charge (its balance transaction expanded) and every refund of it.
    Charge(Box<Charge>, Vec<Refund>),
    /// A dispute and its charge, which the dispute changed (`disputed`, the balance).
    Dispute(Box<Dispute>, Box<Charge>, Vec<Refund>),
    /// A payout and the balance it moved.
    Payout(Box<Payout>, Balance),
    /// The balance.
    Balance(Balance),
    /// A balance transaction on its own (`server stripe sync` lists every one; webhooks store
    /// each with the charge, refund, dispute or payout that made it).
    BalanceTransaction(Box<BalanceTransaction>),
}

/// What to fetch.
#[derive(Clone, Copy, Debug)]
pub enum Object<'a> {
    /// `ch_…`.
    Charge(&'a str),
    /// `re_…`: its charge is what is fetched.
    Refund(&'a str),
    /// `du_…`.
    Dispute(&'a str),
    /// `po_…`.
    Payout(&'a str),
    /// The balance.
    Balance,
}

/// Fetches `object` (and what it changed) from Stripe; `None` when Stripe has no such object.
pub async fn fetch(
    stripe: &StripeClient,
    object: Object<'_>,
) -> Result<Option<Fetched>, BillingError> {
    Ok(Some(match object {
        Object::Charge(id) => {
            let Some(charge) = found(stripe.charge(id), "fetching the charge").await? else {
                return Ok(None);
            };
            let refunds = stripe
                .refunds_of(id)
                .await
                .step("fetching the charge's refunds")?;
            Fetched::Charge(Box::new(charge), refunds)
        }
        Object::Refund(id) => {
            let Some(refund) = found(stripe.refund(id), "fetching the refund").await? else {
                return Ok(None);
            };
            let Some(charge) = refund.charge.as_deref() else {
                return Ok(None);
            };
            return Box::pin(fetch(stripe, Object::Charge(charge))).await;
        }
        Object::Dispute(id) => {
            let Some(dispute) = found(stripe.dispute(id), "fetching the dispute").await? else {
                return Ok(None);
            };
            let charge = stripe
                .charge(&dispute.charge)
                .await
                .step("fetching the disputed charge")?;
            let refunds = stripe
                .refunds_of(&dispute.charge)
                .await
                .step("fetching the disputed charge's refunds")?;
            Fetched::Dispute(Box::new(dispute), Box::new(charge), refunds)
        }
        Object::Payout(id) => {
            let Some(payout) = found(stripe.payout(id), "fetching the payout").await? else {
                return Ok(None);
            };
            let balance = stripe.balance().await.step("fetching the balance")?;
            Fetched::Payout(Box::new(payout), balance)
        }
        Object::Balance => Fetched::Balance(stripe.balance().await.step("fetching the balance")?),
    }))
}

/// Stores what was fetched under `ticket`, each object under its lock (a charge before its
/// dispute; the balance last), skipping any object a later fetch already stored.
pub async fn store(
    conn: &mut PgConnection,
    fetched: &Fetched,
    ticket: Ticket,
) -> Result<(), BillingError> {
    match fetched {
        Fetched::Charge(charge, refunds) => {
            store_charge(conn, charge, refunds, ticket).await?;
            take_back_commission(conn, &charge.id).await
        }
        Fetched::Dispute(dispute, charge, refunds) => {
            store_charge(conn, charge, refunds, ticket).await?;
            lock_object(conn, &dispute.id)
                .await
                .step("locking the dispute")?;
            if ticket
                .is_latest_for(conn, &dispute.id)
                .await
                .step("checking the dispute's fetch order")?
            {
                mirror::store_dispute(conn, dispute)
                    .await
                    .step("storing the dispute")?;
            }
            take_back_commission(conn, &charge.id).await
        }
        Fetched::Payout(payout, balance) => {
            lock_object(conn, &payout.id)
                .await
                .step("locking the payout")?;
            if ticket
                .is_latest_for(conn, &payout.id)
                .await
                .step("checking the payout's fetch order")?
            {
                mirror::store_payout(conn, payout)
                    .await
                    .step("storing the payout")?;
            }
            store_balance(conn, balance, ticket).await
        }
        Fetched::Balance(balance) => store_balance(conn, balance, ticket).await,
        Fetched::BalanceTransaction(transaction) => {
            lock_object(conn, &transaction.id)
                .await
                .step("locking the balance transaction")?;
            if ticket
                .is_latest_for(conn, &transaction.id)
                .await
                .step("checking the balance transaction's fetch order")?
            {
                mirror::store_balance_transaction(conn, transaction)
                    .await
                    .step("storing the balance transaction")?;
            }
            Ok(())
        }
    }
}

/// Fetches `object` and stores it in a transaction of its own (after an action).
pub async fn now(
    db: &sqlx::PgPool,
    stripe: &StripeClient,
    object: Object<'_>,
) -> Result<(), BillingError> {
    let ticket = Ticket::draw(db).await.step("drawing a fetch ticket")?;
    let Some(fetched) = fetch(stripe, object).await? else {
        return Ok(());
    };
    store_alone(db, &fetched, ticket).await
}

/// After an action, brings the mirror up to date with what it changed — best effort: the
/// action's outcome stands whatever happens here (Stripe did it, or refused), so a failure is
/// logged, never shown as the action's (the admin would try again with a new form), and the
/// webhook that follows stores it anyway.
pub async fn after_action(db: &sqlx::PgPool, stripe: &StripeClient, object: Object<'_>) {
    if let Err(error) = now(db, stripe, object).await {
        tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), ?object, "bringing the console's mirror up to date after an action failed; the webhook will");
    }
}

/// Stores what was fetched under `ticket` (drawn before fetching) in a transaction of its own.
pub async fn store_alone(
    db: &sqlx::PgPool,
    fetched: &Fetched,
    ticket: Ticket,
) -> Result<(), BillingError> {
    let mut tx = db.begin().await.step("starting the mirror's transaction")?;
    store(&mut tx, fetched, ticket).await?;
    tx.commit().await.step("committing the mirror")
}

/// A refund or a lost dispute takes back the partner's commission on what the charge paid.
async fn take_back_commission(conn: &mut PgConnection, charge: &str) -> Result<(), BillingError> {
    crate::partners::takebacks::record_for_charge(conn, charge)
        .await
        .step("taking back the partner's commission on the charge")?;
    Ok(())
}

async fn store_charge(
    conn: &mut PgConnection,
    charge: &Charge,
    refunds: &[Refund],
    ticket: Ticket,
) -> Result<(), BillingError> {
    lock_object(conn, &charge.id)
        .await
        .step("locking the charge")?;
    if !ticket
        .is_latest_for(conn, &charge.id)
        .await
        .step("checking the charge's fetch order")?
    {
        return Ok(());
    }
    mirror::store_charge(conn, charge)
        .await
        .step("storing the charge")?;
    for refund in refunds {
        mirror::store_refund(conn, &charge.id, refund)
            .await
            .step("storing a refund")?;
    }
    Ok(())
}

async fn store_balance(
    conn: &mut PgConnection,
    balance: &Balance,
    ticket: Ticket,
) -> Result<(), BillingError> {
    lock_object(conn, BALANCE)
        .await
        .step("locking the balance")?;
    if ticket
        .is_latest_for(conn, BALANCE)
        .await
        .step("checking the balance's fetch order")?
    {
        mirror::store_balance(conn, balance)
            .await
            .step("storing the balance")?;
    }
    Ok(())
}

/// What Stripe answers to `call` (`step`), with "no such object" as `None`.
async fn found<T>(
    call: impl std::future::Future<Output = Result<T, crate::stripe::StripeError>>,
    step: &'static str,
) -> Result<Option<T>, BillingError> {
    match call.await {
        Ok(object) => Ok(Some(object)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error.step(step)),
    }
}
