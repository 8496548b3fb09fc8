//! `server stripe sync`: makes Postgres match Stripe — every product and price (removing what
//! Stripe no longer has), every known customer's subscriptions and invoices, and the money after
//! the sale the operator console mirrors (charges and their refunds, disputes, payouts, balance
//! transactions, the balance).

use std::collections::{HashMap, HashSet};

use super::{catalog, invoices, subscriptions, trials, BillingError, Step, Ticket};
use crate::{
    console::refetch::{self, Fetched},
    stripe::{
        objects::{Invoice, Price, Product, Subscription},
        payments::{Charge, Dispute, Payout, Refund},
        StripeClient, StripeError,
    },
    AppState,
};

/// What a re-sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Products stored (active or archived).
    pub products: usize,
    /// Prices stored.
    pub prices: usize,
    /// Products and prices removed because Stripe no longer has them.
    pub removed: usize,
    /// Subscriptions stored.
    pub subscriptions: usize,
    /// Invoices stored.
    pub invoices: usize,
    /// Charges stored.
    pub charges: usize,
    /// Refunds stored.
    pub refunds: usize,
    /// Disputes stored.
    pub disputes: usize,
    /// Payouts stored.
    pub payouts: usize,
    /// Balance transactions stored.
    pub balance_transactions: usize,
}

/// Pulls the whole catalog, then each customer's subscriptions and invoices, then the money after
/// the sale. `progress` hears about each step.
pub async fn run(
    state: &AppState,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<SyncReport, BillingError> {
    let mut report = catalog_only(state, progress).await?;
    let customers =
        sqlx::query_scalar!("SELECT stripe_customer_id FROM billing_customers ORDER BY created_at")
            .fetch_all(&state.db)
            .await
            .step("reading the stored customers")?;
    let total = customers.len();
    progress(&format!(
        "syncing the subscriptions and invoices of {total} customers"
    ));
    for (done, customer) in customers.iter().enumerate() {
        let in_stripe = fetch_customer(&state.stripe, customer)
            .await
            .step("fetching a customer's subscriptions and invoices from Stripe")?;
        for subscription in in_stripe.subscriptions {
            let mut tx = state
                .db
                .begin()
                .await
                .step("starting the transaction storing a subscription")?;
            let stored = subscriptions::refresh(&mut tx, &state.stripe, &subscription.id).await?;
            tx.commit().await.step("committing a stored subscription")?;
            if let Some(stored) = stored {
                let key = &state.config.trial_ledger_key;
                trials::settle(&state.db, &state.stripe, key, &stored).await?;
                report.subscriptions += 1;
            }
        }
        for invoice in in_stripe.invoices {
            let Some(id) = invoice.id.as_deref() else {
                continue;
            };
            // Under the invoice's lock, stored from a fresh fetch like a webhook would.
            let mut tx = state
                .db
                .begin()
                .await
                .step("starting the transaction storing an invoice")?;
            if invoices::refresh(&mut tx, &state.stripe, id)
                .await?
                .is_some()
            {
                report.invoices += 1;
            }
            tx.commit().await.step("committing a stored invoice")?;
        }
        if (done + 1) % 25 == 0 && done + 1 < total {
            progress(&format!("{} of {total} customers synced", done + 1));
        }
    }
    progress(&format!(
        "stored {} subscriptions and {} invoices",
        report.subscriptions, report.invoices
    ));
    money(state, &mut report, progress).await?;
    Ok(report)
}

/// Pulls every charge (with its refunds), dispute, payout and balance transaction and the
/// balance into the console's mirror, as webhooks store them: under one ticket drawn before the
/// first call, each object in a transaction of its own under its lock, so what a webhook fetched
/// later and stored first stays.
async fn money(
    state: &AppState,
    report: &mut SyncReport,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(), BillingError> {
    let ticket = Ticket::draw(&state.db)
        .await
        .step("drawing a fetch ticket")?;
    progress("fetching charges, refunds, disputes, payouts and balance transactions from Stripe");
    let MoneyInStripe {
        disputes,
        charges,
        payouts,
    } = fetch_money(&state.stripe).await?;
    let transactions = state
        .stripe
        .balance_transactions()
        .await
        .step("listing balance transactions")?;
    let balance = state.stripe.balance().await.step("fetching the balance")?;

    // A dispute first, with its charge (lock order: the charge, then the dispute); the charge
    // was listed after the dispute, so is among those listed.
    let listed: HashMap<&str, &(Charge, Vec<Refund>)> = charges
        .iter()
        .map(|listed| (listed.0.id.as_str(), listed))
        .collect();
    report.disputes = disputes.len();
    for dispute in disputes {
        let fetched = match listed.get(dispute.charge.as_str()) {
            Some((charge, refunds)) => {
                Fetched::Dispute(Box::new(dispute), Box::new(charge.clone()), refunds.clone())
            }
            None => {
                match refetch::fetch(&state.stripe, refetch::Object::Dispute(&dispute.id)).await? {
                    Some(fetched) => fetched,
                    None => continue,
                }
            }
        };
        refetch::store_alone(&state.db, &fetched, ticket).await?;
    }
    // A disputed charge stored just now is skipped here: same ticket, same answer.
    report.charges = charges.len();
    for (charge, refunds) in charges {
        report.refunds += refunds.len();
        let fetched = Fetched::Charge(Box::new(charge), refunds);
        refetch::store_alone(&state.db, &fetched, ticket).await?;
    }
    report.payouts = payouts.len();
    for payout in payouts {
        let fetched = Fetched::Payout(Box::new(payout), balance.clone());
        refetch::store_alone(&state.db, &fetched, ticket).await?;
    }
    report.balance_transactions = transactions.len();
    for transaction in transactions {
        let fetched = Fetched::BalanceTransaction(Box::new(transaction));
        refetch::store_alone(&state.db, &fetched, ticket).await?;
    }
    refetch::store_alone(&state.db, &Fetched::Balance(balance), ticket).await?;
    progress(&format!(
        "stored {} charges, {} refunds, {} disputes, {} payouts, {} balance transactions and the balance",
        report.charges, report.refunds, report.disputes, report.payouts, report.balance_transactions
    ));
    Ok(())
}

/// Every product and price in Stripe, as sync stores them: a price whose product was deleted
/// cannot be sold and is left out.
pub async fn fetch_catalog(
    stripe: &StripeClient,
) -> Result<(Vec<Product>, Vec<Price>), StripeError> {
    let products = stripe.products().await?;
    let product_ids: HashSet<&str> = products.iter().map(|p| p.id.as_str()).collect();
    let prices = stripe
        .prices()
        .await?
        .into_iter()
        .filter(|price| product_ids.contains(price.product.as_str()))
        .collect();
    Ok((products, prices))
}

/// What Stripe holds for one of our customers: its subscriptions in every status and its
/// invoices.
pub struct CustomerInStripe {
    /// Listed with their own default payment method expanded.
    pub subscriptions: Vec<Subscription>,
    /// Every invoice, drafts included.
    pub invoices: Vec<Invoice>,
}

/// Lists a customer's subscriptions and invoices, as sync stores them.
pub async fn fetch_customer(
    stripe: &StripeClient,
    customer: &str,
) -> Result<CustomerInStripe, StripeError> {
    Ok(CustomerInStripe {
        subscriptions: stripe.subscriptions_of(customer).await?,
        invoices: stripe.invoices_of(customer).await?,
    })
}

/// The money after the sale in Stripe that the console mirrors and verify compares.
pub struct MoneyInStripe {
    /// Every dispute.
    pub disputes: Vec<Dispute>,
    /// Every charge (listed after the disputes, so each disputed charge is here), its balance
    /// transaction expanded, with its refunds.
    pub charges: Vec<(Charge, Vec<Refund>)>,
    /// Every payout, its balance transaction expanded.
    pub payouts: Vec<Payout>,
}

/// Lists every dispute, charge (and each charge's refunds) and payout, as sync stores them.
pub async fn fetch_money(stripe: &StripeClient) -> Result<MoneyInStripe, BillingError> {
    let disputes = stripe.disputes().await.step("listing disputes")?;
    let mut charges = Vec::new();
    for charge in stripe.charges().await.step("listing charges")? {
        let refunds = stripe
            .refunds_of(&charge.id)
            .await
            .step("listing a charge's refunds")?;
        charges.push((charge, refunds));
    }
    let payouts = stripe.payouts().await.step("listing payouts")?;
    Ok(MoneyInStripe {
        disputes,
        charges,
        payouts,
    })
}

/// Pulls every product and price and replaces the stored catalog with them, in one transaction.
pub async fn catalog_only(
    state: &AppState,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<SyncReport, BillingError> {
    let mut tx = state.db.begin().await.step("starting the catalog sync")?;
    // Listed under the catalog lock: a webhook applied meanwhile waits, then re-fetches.
    super::lock_object(&mut tx, catalog::LOCK)
        .await
        .step("locking the catalog")?;
    let ticket = super::Ticket::draw(&mut *tx)
        .await
        .step("drawing a fetch ticket")?;
    progress("fetching products and prices from Stripe");
    let (products, prices) = fetch_catalog(&state.stripe)
        .await
        .step("listing products and prices")?;

    // What an event's worker fetched after we did and stored first stays.
    for product in &products {
        if ticket
            .is_latest_for(&mut tx, &product.id)
            .await
            .step("checking a product's fetch order")?
        {
            catalog::upsert_product(&mut tx, product)
                .await
                .step("storing a product")?;
        }
    }
    for price in &prices {
        if ticket
            .is_latest_for(&mut tx, &price.id)
            .await
            .step("checking a price's fetch order")?
        {
            catalog::upsert_price(&mut tx, price)
                .await
                .step("storing a price")?;
        }
    }
    let product_ids: Vec<String> = products.iter().map(|p| p.id.clone()).collect();
    let price_ids: Vec<String> = prices.iter().map(|p| p.id.clone()).collect();
    let removed_prices = sqlx::query!(
        "DELETE FROM stripe_prices WHERE NOT (id = ANY($1))",
        &price_ids
    )
    .execute(&mut *tx)
    .await
    .step("removing prices Stripe no longer has")?
    .rows_affected();
    let removed_products = sqlx::query!(
        "DELETE FROM stripe_products WHERE NOT (id = ANY($1))",
        &product_ids
    )
    .execute(&mut *tx)
    .await
    .step("removing products Stripe no longer has")?
    .rows_affected();
    catalog::announce_change(&mut tx)
        .await
        .step("announcing the catalog change")?;
    tx.commit().await.step("committing the catalog sync")?;
    state.catalog.invalidate();

    let report = SyncReport {
        products: products.len(),
        prices: prices.len(),
        removed: (removed_prices + removed_products) as usize,
        ..SyncReport::default()
    };
    progress(&format!(
        "stored {} products and {} prices, removed {} that Stripe no longer has",
        report.products, report.prices, report.removed
    ));
    Ok(report)
}
