//! What Stripe refuses before taxing anything: tax rates that do not exist or are archived,
//! automatic tax on a price whose `tax_behavior` is `unspecified`, and automatic tax for a
//! customer whose location is unknown.

use serde_json::Value;

use super::table::location;
use crate::error::ApiError;
use crate::form::{bracketed, Params};
use crate::world::World;

/// The tax rates named at `path` (`default_tax_rates`, `items.0.tax_rates`): None when the
/// parameter is absent, empty when it is `""` (unset). Each must exist and be active.
pub fn requested_rates(
    world: &World,
    params: &Params,
    path: &str,
) -> Result<Option<Vec<Value>>, ApiError> {
    if params.get(path).is_none() {
        return Ok(None);
    }
    let mut rates = Vec::new();
    for (index, id) in params.strings(path).iter().enumerate() {
        let param = format!("{}[{index}]", bracketed(path));
        let rate = world.get("tax_rate", id, &param)?;
        if rate["active"] != true {
            return Err(ApiError::invalid(
                format!("Tax rate {id} is inactive and cannot be used."),
                Some(&param),
            ));
        }
        rates.push(rate);
    }
    Ok(Some(rates))
}

/// `…[automatic_tax][enabled]` under `prefix` (`automatic_tax`, `subscription_data.…`).
pub fn automatic_tax_param(params: &Params, prefix: &str) -> Result<Option<bool>, ApiError> {
    params.bool(&format!("{prefix}.enabled"))
}

/// Under automatic tax every price needs a `tax_behavior` (this emulator's account has no default
/// tax behavior in its tax settings); `prices` pairs each with the parameter that named it.
pub fn check_prices(prices: &[(&Value, String)]) -> Result<(), ApiError> {
    for (price, param) in prices {
        let behavior = price["tax_behavior"].as_str().unwrap_or("unspecified");
        if behavior == "unspecified" {
            return Err(ApiError::invalid(
                format!(
                    "The price `{}` has `tax_behavior=unspecified`. To use automatic tax, set \
                     `tax_behavior` on the price to `exclusive` or `inclusive`, or set a default \
                     tax behavior in your tax settings.",
                    price["id"].as_str().unwrap_or_default()
                ),
                Some(param),
            ));
        }
    }
    Ok(())
}

/// Automatic tax on a subscription needs the customer's location (a country, with the postal
/// code in the US): Stripe's `customer_tax_location_invalid`.
pub fn check_location(customer: &Value) -> Result<(), ApiError> {
    if location(customer).is_some() {
        return Ok(());
    }
    Err(ApiError::invalid_code(
        "customer_tax_location_invalid",
        "The customer's location isn't recognized. Add an address with a country (and a postal \
         code in the US) to the customer to calculate tax automatically.",
        Some("automatic_tax[enabled]"),
    ))
}
