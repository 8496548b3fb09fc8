//! Products and prices: the SQL that mirrors them from Stripe, and the [`Catalog`]: what is for
//! sale, the one place that decides it. The pricing page shows it, and Checkout and plan changes
//! accept no other price, whatever id a request names.
//!
//! For sale: on an active product, an active price with a fixed amount, billed per period
//! (`licensed`, never `metered` — usage is billed on top of a plan, not bought by itself), and
//! per product and cadence (monthly, yearly, every 3 months, once) only the cheapest, which is the
//! one the page shows. A product is sold by subscription or once, not both: on a product with
//! recurring prices, one-time prices are not for sale (one payment would grant a plan's features
//! forever).

use std::collections::BTreeMap;

use sqlx::{PgConnection, PgExecutor};

use crate::stripe::objects::{Price, PriceKind, Product};

/// The NOTIFY channel a changed catalog is announced on (see [`super::cache`]).
pub const CHANGED_CHANNEL: &str = "catalog_changed";

/// The advisory lock every catalog writer (webhooks, sync) takes before fetching from Stripe, so
/// a re-sync's listing cannot overwrite or delete what a webhook stored meanwhile.
pub const LOCK: &str = "stripe-catalog";

/// What is for sale (see the module doc), in display order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Products ordered by `metadata.index` (unset last), then name.
    pub products: Vec<CatalogProduct>,
}

/// A product and its active prices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogProduct {
    /// `prod_…`.
    pub id: String,
    /// Shown as the plan's name.
    pub name: String,
    /// Shown under the name.
    pub description: Option<String>,
    /// Image URLs.
    pub images: Vec<String>,
    /// The bullet list (Stripe's marketing features).
    pub features: Vec<String>,
    /// `metadata.highlight` is `true`: the plan the pricing page makes stand out.
    pub highlighted: bool,
    /// `metadata.billing` is `per_seat`: its prices are per member of the organization.
    pub per_seat: bool,
    /// `metadata.max_seats`: the most members an organization on it may have.
    pub max_seats: Option<i64>,
    /// `metadata.unit`: what a metered price counts, in words (`report`).
    pub usage_unit: Option<String>,
    /// `metadata.credits`: a credit pack, granting this many units of its meter
    /// (`metadata.metered`); sold on the account page, not the pricing page.
    pub credits: Option<i64>,
    /// Its prices for sale, one per cadence: shortest interval first, one-time last.
    pub prices: Vec<CatalogPrice>,
}

/// A price on the pricing page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogPrice {
    /// `price_…`.
    pub id: String,
    /// Lower-case ISO code.
    pub currency: String,
    /// In the currency's minor unit.
    pub unit_amount: i64,
    /// `None` for one-time prices.
    pub recurring: Option<Interval>,
    /// Free days before the first bill.
    pub trial_period_days: Option<i32>,
    /// The price's stable name, if it has one.
    pub lookup_key: Option<String>,
    /// Whether tax is part of the amount (`inclusive`), added on top (`exclusive`), or unsaid.
    pub tax_behavior: Option<String>,
    /// Billed per unit of usage at the period's end (`recurring.usage_type=metered`), the unit
    /// amount being per unit; sold only on a product whose prices are all metered.
    pub metered: bool,
}

/// How often a recurring price bills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interval {
    /// `day`, `week`, `month` or `year`.
    pub unit: String,
    /// Every `count` units.
    pub count: i32,
}

impl Catalog {
    /// The product and price for a price id, if the price is for sale: the only way Checkout
    /// and plan changes turn a requested id into something to sell.
    pub fn find_price(&self, price_id: &str) -> Option<(&CatalogProduct, &CatalogPrice)> {
        self.products.iter().find_map(|product| {
            product
                .prices
                .iter()
                .find(|price| price.id == price_id)
                .map(|price| (product, price))
        })
    }
}

/// Reads the catalog: active products with their active, fixed-amount prices.
pub async fn load(db: impl PgExecutor<'_> + Copy) -> Result<Catalog, sqlx::Error> {
    let products = sqlx::query!(
        r#"
        SELECT id, name, description, images, marketing_features,
               metadata->>'highlight' IS NOT DISTINCT FROM 'true' AS "highlighted!",
               metadata->>'billing' IS NOT DISTINCT FROM 'per_seat' AS "per_seat!",
               CASE WHEN metadata->>'max_seats' ~ '^[0-9]{1,9}$'
                    THEN (metadata->>'max_seats')::bigint END AS max_seats,
               metadata->>'unit' AS usage_unit,
               CASE WHEN metadata->>'credits' ~ '^[0-9]{1,12}$'
                    THEN (metadata->>'credits')::bigint END AS credits
        FROM stripe_products
        WHERE active
        ORDER BY sort_order NULLS LAST, name, id
        "#
    )
    .fetch_all(db)
    .await?;
    let prices = sqlx::query!(
        r#"
        SELECT p.id, p.product_id, p.currency, p.unit_amount AS "unit_amount!",
               p.recurring_interval, p.interval_count, p.trial_period_days, p.lookup_key,
               p.tax_behavior, p.usage_type IS NOT DISTINCT FROM 'metered' AS "metered!"
        FROM stripe_prices p
        WHERE p.active AND p.unit_amount IS NOT NULL
        ORDER BY p.product_id,
                 array_position(ARRAY['day', 'week', 'month', 'year', 'one_time'],
                                coalesce(p.recurring_interval, 'one_time')),
                 p.interval_count, p.unit_amount, p.id
        "#
    )
    .fetch_all(db)
    .await?;
    let mut by_product: BTreeMap<String, Vec<CatalogPrice>> = BTreeMap::new();
    for price in prices {
        by_product
            .entry(price.product_id)
            .or_default()
            .push(CatalogPrice {
                id: price.id,
                currency: price.currency,
                unit_amount: price.unit_amount,
                recurring: price
                    .recurring_interval
                    .zip(price.interval_count)
                    .map(|(unit, count)| Interval { unit, count }),
                trial_period_days: price.trial_period_days,
                lookup_key: price.lookup_key,
                tax_behavior: price.tax_behavior,
                metered: price.metered,
            });
    }
    Ok(Catalog {
        products: products
            .into_iter()
            .filter_map(|product| {
                let prices = for_sale(by_product.remove(&product.id)?);
                Some(CatalogProduct {
                    id: product.id,
                    name: product.name,
                    description: product.description,
                    images: product.images,
                    features: product.marketing_features,
                    highlighted: product.highlighted,
                    per_seat: product.per_seat,
                    max_seats: product.max_seats,
                    usage_unit: product.usage_unit,
                    credits: product.credits,
                    prices,
                })
            })
            .collect(),
    })
}

/// Of one product's active, fixed-amount prices (sorted by cadence, then amount), those for
/// sale: the first (cheapest) of each cadence, one-time prices only on a product without
/// recurring ones, and metered prices only on a product whose prices are all metered (a
/// subscription here has one item: a fixed price and a metered one are not sold together).
fn for_sale(prices: Vec<CatalogPrice>) -> Vec<CatalogPrice> {
    let usage_priced = prices.iter().all(|price| price.metered);
    let prices = prices
        .into_iter()
        .filter(|price| price.metered == usage_priced);
    let prices: Vec<CatalogPrice> = prices.collect();
    let subscribed = prices.iter().any(|price| price.recurring.is_some());
    let mut offered: Vec<CatalogPrice> = Vec::new();
    for price in prices {
        let cadence_taken = offered
            .iter()
            .any(|other| other.recurring == price.recurring);
        if !cadence_taken && (price.recurring.is_some() || !subscribed) {
            offered.push(price);
        }
    }
    offered
}

/// A product as `stripe_products` stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductRow {
    /// `prod_…`.
    pub id: String,
    /// Whether it is for sale.
    pub active: bool,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Image URLs.
    pub images: Vec<String>,
    /// The names of its marketing features, in order.
    pub marketing_features: Vec<String>,
    /// Stripe's metadata, as a JSON object.
    pub metadata: serde_json::Value,
    /// `metadata.index`, when it is an integer.
    pub sort_order: Option<i32>,
}

impl From<&Product> for ProductRow {
    fn from(product: &Product) -> Self {
        Self {
            id: product.id.clone(),
            active: product.active,
            name: product.name.clone(),
            description: product.description.clone(),
            images: product.images.clone(),
            marketing_features: product
                .marketing_features
                .iter()
                .filter_map(|feature| feature.name.clone())
                .collect(),
            metadata: serde_json::to_value(&product.metadata).expect("a string map is JSON"),
            sort_order: product
                .metadata
                .get("index")
                .and_then(|index| index.trim().parse::<i32>().ok()),
        }
    }
}

/// Inserts or overwrites a product with what Stripe returned.
pub async fn upsert_product(conn: &mut PgConnection, product: &Product) -> Result<(), sqlx::Error> {
    let row = ProductRow::from(product);
    sqlx::query!(
        r#"
        INSERT INTO stripe_products
            (id, active, name, description, images, marketing_features, metadata, sort_order)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id) DO UPDATE SET
            active = EXCLUDED.active, name = EXCLUDED.name, description = EXCLUDED.description,
            images = EXCLUDED.images, marketing_features = EXCLUDED.marketing_features,
            metadata = EXCLUDED.metadata, sort_order = EXCLUDED.sort_order, synced_at = now()
        "#,
        row.id,
        row.active,
        row.name,
        row.description,
        &row.images,
        &row.marketing_features,
        row.metadata,
        row.sort_order,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Every stored product, by id.
pub async fn stored_products(db: impl PgExecutor<'_>) -> Result<Vec<ProductRow>, sqlx::Error> {
    sqlx::query_as!(
        ProductRow,
        r#"
        SELECT id, active, name, description, images, marketing_features, metadata, sort_order
        FROM stripe_products ORDER BY id
        "#
    )
    .fetch_all(db)
    .await
}

/// A price as `stripe_prices` stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceRow {
    /// `price_…`.
    pub id: String,
    /// `prod_…`.
    pub product_id: String,
    /// Whether it is for sale.
    pub active: bool,
    /// Lower-case ISO code.
    pub currency: String,
    /// Minor units; `None` without a fixed amount.
    pub unit_amount: Option<i64>,
    /// `one_time` or `recurring`.
    pub kind: String,
    /// For recurring prices: `day`, `week`, `month` or `year`.
    pub recurring_interval: Option<String>,
    /// For recurring prices: every this many intervals.
    pub interval_count: Option<i32>,
    /// For recurring prices: free days first.
    pub trial_period_days: Option<i32>,
    /// Its stable name.
    pub lookup_key: Option<String>,
    /// Its internal label.
    pub nickname: Option<String>,
    /// For recurring prices: `licensed` or `metered`.
    pub usage_type: Option<String>,
    /// Stripe's metadata, as a JSON object.
    pub metadata: serde_json::Value,
    /// `inclusive`, `exclusive` or `unspecified` (whether tax is part of the amount).
    pub tax_behavior: Option<String>,
}

impl From<&Price> for PriceRow {
    fn from(price: &Price) -> Self {
        let recurring = price
            .recurring
            .as_ref()
            .filter(|_| price.kind == PriceKind::Recurring);
        Self {
            id: price.id.clone(),
            product_id: price.product.clone(),
            active: price.active,
            currency: price.currency.clone(),
            unit_amount: price.unit_amount,
            kind: match price.kind {
                PriceKind::OneTime => "one_time",
                PriceKind::Recurring => "recurring",
            }
            .to_owned(),
            recurring_interval: recurring.map(|r| r.interval.clone()),
            interval_count: recurring.map(|r| clamp_i32(r.interval_count)),
            trial_period_days: recurring.and_then(|r| r.trial_period_days).map(clamp_i32),
            lookup_key: price.lookup_key.clone(),
            nickname: price.nickname.clone(),
            usage_type: recurring.map(|r| r.usage_type.as_str().to_owned()),
            metadata: serde_json::to_value(&price.metadata).expect("a string map is JSON"),
            tax_behavior: price.tax_behavior.clone(),
        }
    }
}

/// Inserts or overwrites a price. Its product must be stored first.
pub async fn upsert_price(conn: &mut PgConnection, price: &Price) -> Result<(), sqlx::Error> {
    let row = PriceRow::from(price);
    sqlx::query!(
        r#"
        INSERT INTO stripe_prices
            (id, product_id, active, currency, unit_amount, kind, recurring_interval,
             interval_count, trial_period_days, lookup_key, nickname, usage_type, metadata,
             tax_behavior)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        ON CONFLICT (id) DO UPDATE SET
            product_id = EXCLUDED.product_id, active = EXCLUDED.active,
            currency = EXCLUDED.currency, unit_amount = EXCLUDED.unit_amount,
            kind = EXCLUDED.kind, recurring_interval = EXCLUDED.recurring_interval,
            interval_count = EXCLUDED.interval_count,
            trial_period_days = EXCLUDED.trial_period_days, lookup_key = EXCLUDED.lookup_key,
            nickname = EXCLUDED.nickname, usage_type = EXCLUDED.usage_type,
            metadata = EXCLUDED.metadata, tax_behavior = EXCLUDED.tax_behavior,
            synced_at = now()
        "#,
        row.id,
        row.product_id,
        row.active,
        row.currency,
        row.unit_amount,
        row.kind,
        row.recurring_interval,
        row.interval_count,
        row.trial_period_days,
        row.lookup_key,
        row.nickname,
        row.usage_type,
        row.metadata,
        row.tax_behavior,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Every stored price, by id.
pub async fn stored_prices(db: impl PgExecutor<'_>) -> Result<Vec<PriceRow>, sqlx::Error> {
    sqlx::query_as!(
        PriceRow,
        r#"
        SELECT id, product_id, active, currency, unit_amount, kind, recurring_interval,
               interval_count, trial_period_days, lookup_key, nickname, usage_type, metadata,
               tax_behavior
        FROM stripe_prices ORDER BY id
        "#
    )
    .fetch_all(db)
    .await
}

/// Whether a product is stored (a price may arrive before its product).
pub async fn has_product(conn: &mut PgConnection, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM stripe_products WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(conn)
    .await
}

/// Removes a product Stripe no longer has (its prices go with it).
pub async fn delete_product(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM stripe_products WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes a price Stripe no longer has.
pub async fn delete_price(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM stripe_prices WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Tells every replica (including this one) the catalog changed; delivered on commit.
pub async fn announce_change(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_notify($1, '')", CHANGED_CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
}

fn clamp_i32(value: i64) -> i32 {
    value.clamp(0, i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(id: &str, amount: i64, recurring: Option<(&str, i32)>) -> CatalogPrice {
        CatalogPrice {
            id: id.to_owned(),
            currency: "usd".to_owned(),
            unit_amount: amount,
            recurring: recurring.map(|(unit, count)| Interval {
                unit: unit.to_owned(),
                count,
            }),
            trial_period_days: None,
            lookup_key: None,
            tax_behavior: None,
            metered: false,
        }
    }

    fn ids(prices: &[CatalogPrice]) -> Vec<&str> {
        prices.iter().map(|price| price.id.as_str()).collect()
    }

    #[test]
    fn only_the_cheapest_price_of_each_cadence_is_for_sale() {
        let offered = for_sale(vec![
            price("monthly", 900, Some(("month", 1))),
            price("monthly_dearer", 1900, Some(("month", 1))),
            price("quarterly", 2400, Some(("month", 3))),
            price("yearly", 9000, Some(("year", 1))),
            price("yearly_dearer", 9900, Some(("year", 1))),
        ]);
        assert_eq!(ids(&offered), ["monthly", "quarterly", "yearly"]);
    }

    #[test]
    fn a_one_time_price_is_not_for_sale_on_a_product_sold_by_subscription() {
        let offered = for_sale(vec![
            price("monthly", 900, Some(("month", 1))),
            price("once", 100, None),
        ]);
        assert_eq!(ids(&offered), ["monthly"]);
    }

    #[test]
    fn a_product_sold_once_offers_its_cheapest_one_time_price() {
        let offered = for_sale(vec![
            price("once", 19_900, None),
            price("again", 29_900, None),
        ]);
        assert_eq!(ids(&offered), ["once"]);
    }
}
