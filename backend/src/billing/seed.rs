//! `server stripe seed [FILE]`: creates a catalog — products, prices, coupons and their
//! promotion codes — in whatever Stripe the app points at, from a JSON file (the demo catalog in `backend/seed/catalog.json` by default). Idempotent: products
//! are matched by the id the file gives them, prices by lookup key; running it twice changes
//! nothing, and editing a product's text in the file updates it.

use serde::Deserialize;

use super::{BillingError, Step};
use crate::stripe::{objects::Product, Form, StripeClient};

/// The demo catalog, compiled in so `server stripe seed` works from any directory.
pub const DEMO_CATALOG: &str = include_str!("../../seed/catalog.json");

/// A catalog file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    /// The products to create, in pricing-page order.
    pub products: Vec<SeedProduct>,
    /// Coupons, each with the promotion codes customers type at Checkout.
    #[serde(default)]
    pub coupons: Vec<SeedCoupon>,
    /// Billing Meters that metered prices bill (created before the products).
    #[serde(default)]
    pub meters: Vec<SeedMeter>,
}

/// A Billing Meter in a catalog file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMeter {
    /// What meter events name it by, and what metered prices and products (`metered`) say.
    pub event_name: String,
    pub display_name: String,
    /// `sum` (the default), `count` or `last`.
    #[serde(default = "sum")]
    pub formula: String,
}

fn sum() -> String {
    "sum".to_owned()
}

/// A coupon in a catalog file: a percentage or an amount off, once, for some months, or forever.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCoupon {
    /// The coupon id to create it under (matched on later runs; a coupon cannot be edited).
    pub id: String,
    /// Shown on invoices and the account page.
    pub name: String,
    /// 1–100, or set `amount_off` with `currency` instead.
    pub percent_off: Option<f64>,
    /// In the currency's minor unit.
    pub amount_off: Option<i64>,
    pub currency: Option<String>,
    /// `once`, `repeating` (with `duration_in_months`) or `forever`.
    pub duration: String,
    pub duration_in_months: Option<i64>,
    /// The codes customers type for it.
    #[serde(default)]
    pub promotion_codes: Vec<SeedPromotionCode>,
}

/// A promotion code in a catalog file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPromotionCode {
    /// What customers type (matched on later runs).
    pub code: String,
    /// How many times it may be redeemed in all.
    pub max_redemptions: Option<i64>,
}

/// A product in a catalog file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedProduct {
    /// The product id to create it under (`prod_…`), which makes seeding idempotent.
    pub id: String,
    /// The plan's name.
    pub name: String,
    /// Shown under the name.
    pub description: Option<String>,
    /// Position on the pricing page (`metadata.index`).
    pub index: Option<i32>,
    /// Entitlements the plan grants, comma-separated (`metadata.features`).
    pub features: Option<String>,
    /// The plan the pricing page makes stand out (`metadata.highlight`).
    #[serde(default)]
    pub highlight: bool,
    /// The bullet list on the pricing card.
    #[serde(default)]
    pub marketing_features: Vec<String>,
    /// `per_seat`: priced per member of the organization (`metadata.billing`).
    pub billing: Option<String>,
    /// The most members an organization on it may have (`metadata.max_seats`).
    pub max_seats: Option<i64>,
    /// The meter its use counts on (`metadata.metered`: a meter's event name).
    pub metered: Option<String>,
    /// What one unit of it is, in words (`metadata.unit`: `report`).
    pub unit: Option<String>,
    /// Units included each period (`metadata.included_usage`).
    pub included_usage: Option<i64>,
    /// The most units a period (`metadata.usage_limit`).
    pub usage_limit: Option<i64>,
    /// A credit pack: the units of `metered` its one-time price grants (`metadata.credits`).
    pub credits: Option<i64>,
    /// Its prices.
    pub prices: Vec<SeedPrice>,
}

/// A price in a catalog file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPrice {
    /// The price's stable name; an existing price with this key is left alone.
    pub lookup_key: String,
    /// In the currency's minor unit.
    pub unit_amount: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// `day`, `week`, `month` or `year`; absent for a one-time price.
    pub interval: Option<String>,
    /// Free days before the first bill.
    pub trial_period_days: Option<i64>,
    /// `exclusive` (tax added on top) or `inclusive` (part of the amount), which Stripe Tax
    /// needs; absent: Stripe's `unspecified`.
    pub tax_behavior: Option<String>,
    /// The event name of the meter a metered price bills (the amount is then per unit).
    pub meter: Option<String>,
}

/// Reads a catalog file's text, with errors that say what is wrong.
pub fn parse(text: &str) -> Result<SeedFile, anyhow::Error> {
    let file: SeedFile = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("the catalog file is not valid: {e}"))?;
    for coupon in &file.coupons {
        let off = (coupon.percent_off.is_some(), coupon.amount_off.is_some());
        if off.0 == off.1 {
            anyhow::bail!(
                "coupon `{}`: give either percent_off or amount_off",
                coupon.id
            );
        }
        if coupon.amount_off.is_some() != coupon.currency.is_some() {
            anyhow::bail!("coupon `{}`: amount_off needs a currency", coupon.id);
        }
        match (coupon.duration.as_str(), coupon.duration_in_months) {
            ("once" | "forever", None) | ("repeating", Some(1..)) => {}
            _ => anyhow::bail!(
                "coupon `{}`: duration is once, forever, or repeating with duration_in_months",
                coupon.id
            ),
        }
    }
    for product in &file.products {
        if !product.id.starts_with("prod_") {
            anyhow::bail!("product id `{}` must start with prod_", product.id);
        }
        if product
            .billing
            .as_deref()
            .is_some_and(|billing| billing != "per_seat")
        {
            anyhow::bail!("product `{}`: billing is per_seat or absent", product.id);
        }
        if product.credits.is_some()
            && (product.metered.is_none()
                || product.credits < Some(1)
                || product.prices.iter().any(|price| price.interval.is_some()))
        {
            anyhow::bail!(
                "product `{}`: a credit pack grants at least one unit of its `metered` meter and is sold once (no interval)",
                product.id
            );
        }
        for price in &product.prices {
            if let Some(meter) = &price.meter {
                if price.interval.is_none() || !file.meters.iter().any(|m| &m.event_name == meter) {
                    anyhow::bail!(
                        "price `{}`: a metered price recurs and bills a meter the file lists, not `{meter}`",
                        price.lookup_key
                    );
                }
            }
            if let Some(behavior) = &price.tax_behavior {
                if !["exclusive", "inclusive"].contains(&behavior.as_str()) {
                    anyhow::bail!(
                        "price `{}`: tax_behavior is exclusive or inclusive, not `{behavior}`",
                        price.lookup_key
                    );
                }
            }
        }
        for price in &product.prices {
            if let Some(interval) = &price.interval {
                if !["day", "week", "month", "year"].contains(&interval.as_str()) {
                    anyhow::bail!(
                        "price `{}`: interval must be day, week, month or year, not `{interval}`",
                        price.lookup_key
                    );
                }
            } else if price.trial_period_days.is_some() {
                anyhow::bail!(
                    "price `{}`: only recurring prices have trials",
                    price.lookup_key
                );
            }
        }
    }
    Ok(file)
}

/// Creates or updates each product and creates each missing price. `progress` hears each step.
pub async fn run(
    stripe: &StripeClient,
    file: &SeedFile,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(), BillingError> {
    let meters = seed_meters(stripe, &file.meters, progress).await?;
    for product in &file.products {
        let mut form = Form::new()
            .set("name", &product.name)
            .set_some("description", product.description.as_deref())
            .set_some("metadata[index]", product.index)
            .set_some("metadata[features]", product.features.as_deref())
            .set_some("metadata[highlight]", product.highlight.then_some("true"))
            .set_some("metadata[billing]", product.billing.as_deref())
            .set_some("metadata[max_seats]", product.max_seats)
            .set_some("metadata[metered]", product.metered.as_deref())
            .set_some("metadata[unit]", product.unit.as_deref())
            .set_some("metadata[included_usage]", product.included_usage)
            .set_some("metadata[usage_limit]", product.usage_limit)
            .set_some("metadata[credits]", product.credits);
        for (i, feature) in product.marketing_features.iter().enumerate() {
            form = form.set(format!("marketing_features[{i}][name]"), feature);
        }
        match stripe.product(&product.id).await {
            Ok(existing) if matches(&existing, product) => {
                progress(&format!(
                    "product {} ({}) is up to date",
                    product.name, product.id
                ));
            }
            Ok(existing) => {
                // An empty value removes a metadata key in Stripe.
                let form = if existing.metadata.contains_key("highlight") && !product.highlight {
                    form.set("metadata[highlight]", "")
                } else {
                    form
                };
                stripe
                    .update_product(&product.id, &form, &key("update", &product.id, &form))
                    .await
                    .step("updating a product in Stripe")?;
                progress(&format!(
                    "updated product {} ({})",
                    product.name, product.id
                ));
            }
            Err(error) if error.is_not_found() => {
                let form = form.set("id", &product.id);
                stripe
                    .create_product(&form, &key("create", &product.id, &form))
                    .await
                    .step("creating a product in Stripe")?;
                progress(&format!(
                    "created product {} ({})",
                    product.name, product.id
                ));
            }
            Err(error) => return Err(error.step("fetching a product from Stripe")),
        }

        let keys: Vec<&str> = product
            .prices
            .iter()
            .map(|p| p.lookup_key.as_str())
            .collect();
        let existing = stripe
            .prices_by_lookup_key(&keys)
            .await
            .step("fetching a product's prices from Stripe")?;
        for price in &product.prices {
            if existing
                .iter()
                .any(|e| e.lookup_key.as_deref() == Some(&price.lookup_key))
            {
                progress(&format!("price {} exists", price.lookup_key));
                continue;
            }
            let form = Form::new()
                .set("product", &product.id)
                .set("currency", &price.currency)
                .set("unit_amount", price.unit_amount)
                .set("lookup_key", &price.lookup_key)
                .set_some("recurring[interval]", price.interval.as_deref())
                .set_some("recurring[trial_period_days]", price.trial_period_days)
                .set_some("tax_behavior", price.tax_behavior.as_deref());
            let form = match &price.meter {
                Some(event_name) => form.set("recurring[usage_type]", "metered").set_some(
                    "recurring[meter]",
                    meters
                        .iter()
                        .find(|meter| &meter.event_name == event_name)
                        .map(|meter| meter.id.as_str()),
                ),
                None => form,
            };
            stripe
                .create_price(&form, &key("price", &price.lookup_key, &form))
                .await
                .step("creating a price in Stripe")?;
            progress(&format!("created price {}", price.lookup_key));
        }
    }
    seed_coupons(stripe, &file.coupons, progress).await
}

/// Whether a product in Stripe already says what the file says.
fn matches(existing: &Product, wanted: &SeedProduct) -> bool {
    let features: Vec<&str> = existing
        .marketing_features
        .iter()
        .filter_map(|f| f.name.as_deref())
        .collect();
    existing.name == wanted.name
        && existing.description.as_deref().unwrap_or("")
            == wanted.description.as_deref().unwrap_or("")
        && existing.metadata.get("index").map(String::as_str)
            == wanted.index.map(|i| i.to_string()).as_deref()
        && existing.metadata.get("features").map(String::as_str) == wanted.features.as_deref()
        && (existing.metadata.get("highlight").map(String::as_str) == Some("true"))
            == wanted.highlight
        && features == wanted.marketing_features
        && existing.metadata.get("billing").map(String::as_str) == wanted.billing.as_deref()
        && existing.metadata.get("max_seats").map(String::as_str)
            == wanted.max_seats.map(|n| n.to_string()).as_deref()
        && existing.metadata.get("metered").map(String::as_str) == wanted.metered.as_deref()
        && existing.metadata.get("unit").map(String::as_str) == wanted.unit.as_deref()
        && existing.metadata.get("included_usage").map(String::as_str)
            == wanted.included_usage.map(|n| n.to_string()).as_deref()
        && existing.metadata.get("usage_limit").map(String::as_str)
            == wanted.usage_limit.map(|n| n.to_string()).as_deref()
        && existing.metadata.get("credits").map(String::as_str)
            == wanted.credits.map(|n| n.to_string()).as_deref()
}

/// Creates each meter the file names that Stripe has no active meter for; every active meter.
async fn seed_meters(
    stripe: &StripeClient,
    wanted: &[SeedMeter],
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Vec<crate::stripe::meters::Meter>, BillingError> {
    let mut meters: Vec<_> = stripe
        .meters()
        .await
        .step("listing the meters in Stripe")?
        .into_iter()
        .filter(|meter| meter.status == "active")
        .collect();
    for meter in wanted {
        if meters.iter().any(|m| m.event_name == meter.event_name) {
            progress(&format!("meter {} exists", meter.event_name));
            continue;
        }
        let form = Form::new()
            .set("display_name", &meter.display_name)
            .set("event_name", &meter.event_name)
            .set("default_aggregation[formula]", &meter.formula);
        let created = stripe
            .create_meter(&form, &key("meter", &meter.event_name, &form))
            .await
            .step("creating a meter in Stripe")?;
        progress(&format!(
            "created meter {} ({})",
            meter.event_name, created.id
        ));
        meters.push(created);
    }
    Ok(meters)
}

/// Creates each coupon and promotion code the file names that Stripe does not have yet.
async fn seed_coupons(
    stripe: &StripeClient,
    coupons: &[SeedCoupon],
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(), BillingError> {
    for coupon in coupons {
        match stripe.coupon(&coupon.id).await {
            Ok(_) => progress(&format!("coupon {} exists", coupon.id)),
            Err(error) if error.is_not_found() => {
                let form = Form::new()
                    .set("id", &coupon.id)
                    .set("name", &coupon.name)
                    .set_some("percent_off", coupon.percent_off)
                    .set_some("amount_off", coupon.amount_off)
                    .set_some("currency", coupon.currency.as_deref())
                    .set("duration", &coupon.duration)
                    .set_some("duration_in_months", coupon.duration_in_months);
                stripe
                    .create_coupon(&form, &key("coupon", &coupon.id, &form))
                    .await
                    .step("creating a coupon in Stripe")?;
                progress(&format!("created coupon {} ({})", coupon.name, coupon.id));
            }
            Err(error) => return Err(error.step("fetching a coupon from Stripe")),
        }
        for code in &coupon.promotion_codes {
            let existing = stripe
                .promotion_codes_by_code(&code.code)
                .await
                .step("fetching a promotion code from Stripe")?;
            if !existing.is_empty() {
                progress(&format!("promotion code {} exists", code.code));
                continue;
            }
            let form = Form::new()
                .set("promotion[type]", "coupon")
                .set("promotion[coupon]", &coupon.id)
                .set("code", &code.code)
                .set_some("max_redemptions", code.max_redemptions);
            stripe
                .create_promotion_code(&form, &key("promotion-code", &code.code, &form))
                .await
                .step("creating a promotion code in Stripe")?;
            progress(&format!("created promotion code {}", code.code));
        }
    }
    Ok(())
}

/// An idempotency key for one seeding call: the same content always gets the same key.
fn key(action: &str, id: &str, form: &Form) -> String {
    format!("tollgate-seed-{action}-{id}-{}", form.fingerprint())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalog_parses() {
        let file = parse(DEMO_CATALOG).unwrap();
        assert_eq!(file.products.len(), 5);
        assert_eq!(
            file.products
                .iter()
                .filter_map(|p| p.credits.zip(p.metered.as_deref()))
                .collect::<Vec<_>>(),
            vec![(500, "reports_generated")],
            "a credit pack for the reports"
        );
        assert_eq!(file.meters[0].event_name, "reports_generated");
        assert_eq!(file.coupons[0].promotion_codes[0].code, "LAUNCH20");
        assert!(file
            .products
            .iter()
            .flat_map(|p| &p.prices)
            .any(|p| p.meter.as_deref() == Some("reports_generated")));
        assert_eq!(
            file.products.iter().filter(|p| p.highlight).count(),
            1,
            "one plan stands out"
        );
        assert!(file
            .products
            .iter()
            .flat_map(|p| &p.prices)
            .any(|p| p.trial_period_days == Some(14)));
        assert!(file
            .products
            .iter()
            .flat_map(|p| &p.prices)
            .any(|p| p.interval.is_none()));
    }

    #[test]
    fn a_bad_catalog_file_says_what_is_wrong() {
        let err =
            parse(r#"{"products": [{"id": "hobby", "name": "H", "prices": []}]}"#).unwrap_err();
        assert!(err.to_string().contains("must start with prod_"), "{err}");
        let err = parse(
            r#"{"products": [{"id": "prod_x", "name": "H", "prices": [
            {"lookup_key": "k", "unit_amount": 1, "currency": "usd", "interval": "fortnight"}]}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("fortnight"), "{err}");
        let err = parse(r#"{"products": [], "extra": 1}"#).unwrap_err();
        assert!(err.to_string().contains("not valid"), "{err}");
        let err = parse(
            r#"{"products": [{"id": "prod_x", "name": "H", "prices": [
            {"lookup_key": "k", "unit_amount": 1, "currency": "usd", "interval": "month",
             "meter": "calls"}]}]}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("bills a meter the file lists"),
            "{err}"
        );
        let err = parse(
            r#"{"products": [], "coupons": [{"id": "c", "name": "C", "percent_off": 5,
            "amount_off": 100, "currency": "usd", "duration": "once"}]}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("either percent_off or amount_off"),
            "{err}"
        );
        let err = parse(
            r#"{"products": [{"id": "prod_x", "name": "H", "metered": "calls", "credits": 5,
            "prices": [{"lookup_key": "k", "unit_amount": 1, "currency": "usd", "interval": "month"}]}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("a credit pack"), "{err}");
    }
}
