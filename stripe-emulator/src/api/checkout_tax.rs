//! Tax and the buyer's details on Checkout Sessions: `automatic_tax[enabled]`,
//! `line_items[][tax_rates][]`, `billing_address_collection`, `tax_id_collection[enabled]` and
//! `customer_update[address|name]` checked as Stripe checks them; each line's `amount_tax` and
//! `taxes`, the session's `total_details.amount_tax` and `automatic_tax.status`; and, on
//! completion, the address and tax ID typed on the hosted page saved on the customer.

use serde_json::{json, Value};

use crate::billing::NewItem;
use crate::error::ApiError;
use crate::form::Params;
use crate::tax::{self, Levy, Location};
use crate::world::World;

/// What the buyer typed on the hosted page besides the card.
#[derive(Debug, Clone, Default)]
pub struct BuyerDetails {
    /// The billing address (`line1`, `city`, `postal_code`, `state`, `country`), if collected.
    pub address: Option<Value>,
    /// A tax ID (`type`, `value`), if collected.
    pub tax_id: Option<(String, String)>,
    /// The business name typed beside the tax ID, if any.
    pub business_name: Option<String>,
}

/// The session's `automatic_tax` and `tax_id_collection`, after Stripe's refusals: prices
/// without `tax_behavior`, an existing customer whose address Checkout may neither use nor
/// update, `tax_id_collection` without `customer_update[name]=auto`, `customer_update` without
/// a customer.
pub fn session_settings(
    params: &Params,
    customer: Option<&Value>,
    line_items: &[Value],
) -> Result<(Value, Value), ApiError> {
    if customer.is_none() && params.get("customer_update").is_some() {
        return Err(ApiError::invalid(
            "`customer_update` can only be used with `customer`.",
            Some("customer_update"),
        ));
    }
    let automatic = tax::automatic_tax_param(params, "automatic_tax")? == Some(true);
    if automatic {
        let prices: Vec<(&Value, String)> = line_items
            .iter()
            .enumerate()
            .map(|(index, item)| (&item["price"], format!("line_items[{index}][price]")))
            .collect();
        tax::check_prices(&prices)?;
        let updates_address = params.str("customer_update.address") == Some("auto")
            || params.str("customer_update.shipping") == Some("auto");
        if customer.is_some_and(|customer| tax::location(customer).is_none()) && !updates_address {
            return Err(ApiError::invalid_code(
                "customer_tax_location_invalid",
                "Automatic tax calculation in Checkout requires a valid address on the Customer. \
                 Add a valid address to the Customer or set either `customer_update[address]` or \
                 `customer_update[shipping]` to 'auto' to save the address entered in Checkout \
                 to the Customer.",
                Some("automatic_tax[enabled]"),
            ));
        }
    }
    let collect_tax_ids = params.bool("tax_id_collection.enabled")? == Some(true);
    if collect_tax_ids && customer.is_some() && params.str("customer_update.name") != Some("auto") {
        return Err(ApiError::invalid(
            "Tax ID collection requires updating business name on the customer. To enable tax ID \
             collection for an existing customer, please set `customer_update[name]` to `auto`.",
            Some("tax_id_collection[enabled]"),
        ));
    }
    let automatic_tax = if automatic {
        json!({ "enabled": true, "liability": { "type": "self" }, "provider": "stripe", "status": "requires_location_inputs" })
    } else {
        json!({ "enabled": false, "liability": null, "provider": null, "status": null })
    };
    let tax_id_collection = json!({
        "enabled": collect_tax_ids,
        "required": params.str("tax_id_collection.required").unwrap_or("never"),
    });
    Ok((automatic_tax, tax_id_collection))
}

/// `line_items[i][tax_rates][]` as the line item's `taxes` (amounts filled in by [`apply`]).
pub fn item_rates(world: &World, params: &Params, index: usize) -> Result<Value, ApiError> {
    let rates = tax::requested_rates(world, params, &format!("line_items.{index}.tax_rates"))?
        .unwrap_or_default();
    Ok(json!(rates
        .into_iter()
        .map(|rate| json!({ "amount": 0, "rate": rate, "taxability_reason": "standard_rated", "taxable_amount": 0 }))
        .collect::<Vec<_>>()))
}

/// Taxes a session's line items and totals: automatic tax where the buyer's location is known
/// (else its status stays `requires_location_inputs`), or each line's own tax rates.
pub fn apply(world: &mut World, session: &mut Value, items: &mut [Value], place: Option<Location>) {
    let automatic = session["automatic_tax"]["enabled"] == true;
    let rate = match (&place, automatic) {
        (Some(place), true) => {
            session["automatic_tax"]["status"] = json!("complete");
            tax::automatic_rate(world, place)
        }
        _ => None,
    };
    if automatic && place.is_none() {
        return;
    }
    let trial = session["subscription_data"]["trial_period_days"]
        .as_i64()
        .is_some_and(|days| days > 0);
    let (mut exclusive, mut all) = (0, 0);
    for item in items.iter_mut() {
        let base = item["amount_subtotal"].as_i64().unwrap_or(0)
            - item["amount_discount"].as_i64().unwrap_or(0);
        let inclusive = item["price"]["tax_behavior"] == "inclusive";
        let levies: Vec<(Levy, Value)> = if automatic {
            rate.iter()
                .map(|rate| {
                    let levy = Levy {
                        rate: rate["id"].as_str().map(str::to_owned),
                        percentage: rate["percentage"].as_f64().unwrap_or(0.0),
                        inclusive,
                        reason: "standard_rated",
                    };
                    (levy, rate.clone())
                })
                .collect()
        } else {
            item["taxes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|tax| {
                    let rate = &tax["rate"];
                    let levy = Levy {
                        rate: rate["id"].as_str().map(str::to_owned),
                        percentage: rate["percentage"].as_f64().unwrap_or(0.0),
                        inclusive: rate["inclusive"] == true,
                        reason: "standard_rated",
                    };
                    (levy, rate.clone())
                })
                .collect()
        };
        let plain: Vec<Levy> = levies.iter().map(|(levy, _)| levy.clone()).collect();
        let amounts = tax::tax_amounts(base, &plain);
        let included: i64 = plain
            .iter()
            .zip(&amounts)
            .filter(|(levy, _)| levy.inclusive)
            .map(|(_, amount)| amount)
            .sum();
        let added: i64 = amounts.iter().sum::<i64>() - included;
        item["taxes"] = json!(levies
            .iter()
            .zip(&amounts)
            .map(|((_, rate), amount)| json!({ "amount": amount, "rate": rate, "taxability_reason": "standard_rated", "taxable_amount": base - included }))
            .collect::<Vec<_>>());
        item["amount_tax"] = json!(amounts.iter().sum::<i64>());
        item["amount_total"] = json!(base + added);
        exclusive += added;
        all += amounts.iter().sum::<i64>();
    }
    if !trial {
        let subtotal = session["amount_subtotal"].as_i64().unwrap_or(0);
        let discount = session["total_details"]["amount_discount"]
            .as_i64()
            .unwrap_or(0);
        session["amount_total"] = json!(subtotal - discount + exclusive);
        session["total_details"]["amount_tax"] = json!(all);
    }
}

/// A subscription item made from a Checkout line item: its price, quantity and tax rates (none
/// of its own under automatic tax, which the subscription then applies itself).
pub fn subscription_item(item: &Value, automatic: bool) -> NewItem {
    let tax_rates = if automatic {
        Vec::new()
    } else {
        item["taxes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|tax| tax["rate"].clone())
            .collect()
    };
    NewItem {
        price: item["price"].clone(),
        quantity: item["quantity"].as_i64().unwrap_or(1),
        tax_rates,
    }
}

/// Saves what the buyer typed on the customer, as the session allows: the address on a new
/// customer or with `customer_update[address]=auto` (`customer.updated`), the business name
/// with `customer_update[name]=auto`, the tax ID (`customer.tax_id.created`). Returns the
/// session's `customer_details.tax_ids`.
pub fn save_details(
    world: &mut World,
    session: &Value,
    customer_id: &str,
    created: bool,
    details: &BuyerDetails,
) -> Result<Value, ApiError> {
    let update = world
        .checkout_customer_update
        .get(session["id"].as_str().unwrap_or_default())
        .cloned()
        .unwrap_or(Value::Null);
    let before = world.get("customer", customer_id, "customer")?;
    let mut after = before.clone();
    if let Some(address) = &details.address {
        if created || update["address"] == "auto" {
            after["address"] = address.clone();
        }
    }
    if let Some(name) = &details.business_name {
        if created || update["name"] == "auto" {
            after["name"] = json!(name);
        }
    }
    world.update_and_emit("customer.updated", &before, after);
    let mut tax_ids = Vec::new();
    if let Some((kind, value)) = &details.tax_id {
        let tax_id = super::tax_ids::add(world, customer_id, kind, value, "tax_id")?;
        tax_ids.push(json!({ "type": tax_id["type"], "value": tax_id["value"] }));
    }
    Ok(json!(tax_ids))
}
