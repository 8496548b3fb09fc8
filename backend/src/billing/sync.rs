//! `server stripe sync`: makes Postgres match Stripe — every product and price (removing what
//! Stripe no longer has) and every known customer's subscriptions and invoices.

use std::collections::HashSet;

use super::{catalog, invoices, subscriptions, BillingError};
use crate::AppState;

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
            .await?;
    let total = customers.len();
    progress(&format!(
        "syncing the subscriptions and invoices of {total} customers"
    ));
    for (done, customer) in customers.iter().enumerate() {
        for subscription in state.stripe.subscriptions_of(customer).await? {
            let mut tx = state.db.begin().await?;
            if subscriptions::refresh(&mut tx, &state.stripe, &subscription.id)
                .await?
                .is_some()
            {
                report.subscriptions += 1;
            }
            tx.commit().await?;
        }
        for invoice in state.stripe.invoices_of(customer).await? {
            let Some(id) = invoice.id.as_deref() else {
                continue;
            };
            // Under the invoice's lock, stored from a fresh fetch like a webhook would.
            let mut tx = state.db.begin().await?;
            if invoices::refresh(&mut tx, &state.stripe, id)
                .await?
                .is_some()
            {
                report.invoices += 1;
            }
            tx.commit().await?;
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

/// Pulls every product and price and replaces the stored catalog with them, in one transaction.
pub async fn catalog_only(
    state: &AppState,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<SyncReport, BillingError> {
    let mut tx = state.db.begin().await?;
    // Listed under the catalog lock: a webhook applied meanwhile waits, then re-fetches.
    super::lock_object(&mut tx, catalog::LOCK).await?;
    progress("fetching products and prices from Stripe");
    let products = state.stripe.products().await?;
    let prices = state.stripe.prices().await?;
    let product_ids: HashSet<&str> = products.iter().map(|p| p.id.as_str()).collect();
    // A price whose product was deleted cannot be sold; it is left out.
    let prices: Vec<_> = prices
        .iter()
        .filter(|price| product_ids.contains(price.product.as_str()))
        .collect();

    for product in &products {
        catalog::upsert_product(&mut tx, product).await?;
    }
    for price in &prices {
        catalog::upsert_price(&mut tx, price).await?;
    }
    let product_ids: Vec<String> = products.iter().map(|p| p.id.clone()).collect();
    let price_ids: Vec<String> = prices.iter().map(|p| p.id.clone()).collect();
    let removed_prices = sqlx::query!(
        "DELETE FROM stripe_prices WHERE NOT (id = ANY($1))",
        &price_ids
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let removed_products = sqlx::query!(
        "DELETE FROM stripe_products WHERE NOT (id = ANY($1))",
        &product_ids
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    catalog::announce_change(&mut tx).await?;
    tx.commit().await?;
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
