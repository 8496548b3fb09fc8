//! `server stripe sync`: makes Postgres match Stripe — every product and price (removing what
//! Stripe no longer has) and every known customer's subscriptions and invoices.

use std::collections::HashSet;

use super::{catalog, invoices, subscriptions, trials, BillingError, Step};
use crate::{
    stripe::{
        objects::{Invoice, Price, Product, Subscription},
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
}

/// Pulls the whole catalog, then each customer's subscriptions and invoices. `progress` hears
/// about each step.
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
    Ok(report)
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
