//! Whether the catalog in Stripe can be sold: every active product says what it grants
//! (`features` metadata, read by [`crate::billing::entitlements`]; a credit pack grants its
//! `credits` instead), and the pricing page has at
//! least one recurring price to offer (active, a fixed amount, billed per period — what
//! [`crate::billing::catalog`] puts up for sale).

use std::collections::BTreeSet;

use super::{GoLiveError, Step};
use crate::stripe::{
    objects::{Price, PriceKind, Product, UsageType},
    Form, StripeClient,
};

/// What the catalog check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogReport {
    /// Active products.
    pub products: usize,
    /// Active recurring prices the pricing page can offer.
    pub recurring_prices: usize,
    /// Active products without a `features` entry: `Name (prod_…)`.
    pub without_features: Vec<String>,
}

impl CatalogReport {
    /// Whether it can be sold.
    pub fn sellable(&self) -> bool {
        self.without_features.is_empty() && self.recurring_prices > 0
    }

    /// What is wrong, each with its fix (empty when sellable).
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .without_features
            .iter()
            .map(|product| {
                format!(
                    "product {product} has no `features` metadata, so its subscribers get no \
                     features: set metadata features=reports,api (the names your code checks)"
                )
            })
            .collect();
        if self.recurring_prices == 0 {
            problems.push(
                "no active recurring price (fixed amount, licensed) on an active product: the \
                 pricing page has no plan to sell; create one, or run `server stripe seed FILE`"
                    .to_owned(),
            );
        }
        problems
    }

    /// One line when sellable: `3 products, each with features; 6 recurring prices`.
    pub fn summary(&self) -> String {
        format!(
            "{} active products, each with features; {} recurring prices for sale",
            self.products, self.recurring_prices
        )
    }
}

/// Reads the active products and prices from Stripe and checks them.
pub async fn check(stripe: &StripeClient) -> Result<CatalogReport, GoLiveError> {
    let active = Form::new().set("active", true);
    let products: Vec<Product> = stripe
        .list_all("/v1/products", &active)
        .await
        .step("listing the active products")?;
    let prices: Vec<Price> = stripe
        .list_all("/v1/prices", &active)
        .await
        .step("listing the active prices")?;
    Ok(report(&products, &prices))
}

/// The check itself, over what Stripe listed.
fn report(products: &[Product], prices: &[Price]) -> CatalogReport {
    let active: BTreeSet<&str> = products
        .iter()
        .filter(|product| product.active)
        .map(|product| product.id.as_str())
        .collect();
    CatalogReport {
        products: active.len(),
        recurring_prices: prices
            .iter()
            .filter(|price| {
                price.active
                    && active.contains(price.product.as_str())
                    && price.kind == PriceKind::Recurring
                    && price.unit_amount.is_some()
                    && price
                        .recurring
                        .as_ref()
                        .is_some_and(|recurring| recurring.usage_type == UsageType::Licensed)
            })
            .count(),
        without_features: products
            .iter()
            .filter(|product| {
                product.active
                    && !product.metadata.contains_key("features")
                    && !product.metadata.contains_key("credits")
            })
            .map(|product| format!("{} ({})", product.name, product.id))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn product(id: &str, metadata: serde_json::Value) -> Product {
        serde_json::from_value(
            json!({ "id": id, "active": true, "name": id.to_uppercase(), "metadata": metadata }),
        )
        .unwrap()
    }

    fn price(product: &str, recurring: Option<&str>) -> Price {
        serde_json::from_value(json!({
            "id": format!("price_{product}"), "active": true, "currency": "usd",
            "unit_amount": 900, "product": product,
            "type": if recurring.is_some() { "recurring" } else { "one_time" },
            "recurring": recurring.map(|usage| json!({
                "interval": "month", "interval_count": 1, "usage_type": usage,
            })),
        }))
        .unwrap()
    }

    #[test]
    fn a_catalog_with_features_and_a_licensed_plan_can_be_sold() {
        let report = report(
            &[
                product("prod_a", json!({ "features": "reports" })),
                product(
                    "prod_pack",
                    json!({ "credits": "500", "metered": "reports_generated" }),
                ),
            ],
            &[price("prod_a", Some("licensed")), price("prod_pack", None)],
        );
        assert!(report.sellable(), "{report:?}");
        assert!(report.problems().is_empty());
    }

    #[test]
    fn a_product_without_features_or_a_catalog_without_a_plan_cannot() {
        let report = report(
            &[product("prod_a", json!({}))],
            &[price("prod_a", Some("metered")), price("prod_a", None)],
        );
        assert!(!report.sellable());
        assert_eq!(report.without_features, ["PROD_A (prod_a)"]);
        assert_eq!(report.recurring_prices, 0);
        assert_eq!(report.problems().len(), 2);
    }
}
