//! Plan changes: the requested item changes, the proration lines they cause (credit for unused
//! time, charge for remaining time) and the subscription with the changes applied.

use serde_json::{json, Value};

use super::invoices::line;
use super::subscriptions::{subscription_item, NewItem};
use crate::listing::embedded;
use crate::metering::is_metered;
use crate::world::World;

/// A requested change of one subscription item.
pub struct ItemChange {
    /// The item being changed (`si_…`), or None to add an item.
    pub item: Option<String>,
    /// The new price, if it changes.
    pub price: Option<Value>,
    /// The new quantity, if it changes.
    pub quantity: Option<i64>,
    /// `items[][deleted]=true`: the item is removed.
    pub deleted: bool,
    /// `items[][tax_rates][]`, full tax rate objects, if they change.
    pub tax_rates: Option<Vec<Value>>,
}

/// Proration lines for item changes at `at`: a credit for the unused time on each replaced or
/// removed item, and a charge for the remaining time on each new price, quantity or added item.
pub fn proration_lines(
    world: &mut World,
    subscription: &Value,
    changes: &[ItemChange],
    at: i64,
) -> Vec<Value> {
    let items = subscription["items"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(remaining) = Remaining::of(&items, at) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for change in changes {
        let Some((old, new)) = replacement(&items, change) else {
            continue;
        };
        // Metered usage is billed in arrears for what was used, never prorated.
        if let Some(item) = old.as_ref().filter(|item| !is_metered(&item["price"])) {
            lines.push(remaining.credit(world, subscription, item));
        }
        if let Some((price, quantity)) = new.filter(|(price, _)| !is_metered(price)) {
            let mut item = old.unwrap_or_else(|| json!({ "id": null }));
            item["price"] = price;
            lines.push(remaining.charge(world, subscription, &item, quantity));
        }
    }
    lines
}

/// The item a change replaces (None when it adds one), and the price and quantity that follow
/// (None when it removes the item).
type Replacement = (Option<Value>, Option<(Value, i64)>);

/// What one change replaces, or None when it changes nothing.
fn replacement(items: &[Value], change: &ItemChange) -> Option<Replacement> {
    let old = change
        .item
        .as_deref()
        .and_then(|id| items.iter().find(|item| item["id"] == id))
        .cloned();
    let old_quantity = old
        .as_ref()
        .map(|item| item["quantity"].as_i64().unwrap_or(1));
    let new = match (&old, change.deleted) {
        (_, true) => None,
        (Some(item), false) => Some((
            change
                .price
                .clone()
                .unwrap_or_else(|| item["price"].clone()),
            change.quantity.or(old_quantity).unwrap_or(1),
        )),
        (None, false) => change
            .price
            .clone()
            .map(|price| (price, change.quantity.unwrap_or(1))),
    };
    let unchanged = match (&old, &new) {
        (Some(item), Some((price, quantity))) => {
            item["price"]["id"] == price["id"] && old_quantity == Some(*quantity)
        }
        _ => false,
    };
    (!unchanged).then_some((old, new))
}

/// The rest of the current period from the moment of a change, which prorated lines cover.
struct Remaining {
    /// The moment of the change.
    at: i64,
    /// The end of the current period.
    end: i64,
    /// The share of the period still to run.
    share: f64,
    /// The change's date, as line descriptions give it.
    date: String,
}

impl Remaining {
    /// The rest of the items' current period from `at`, if any of it remains.
    fn of(items: &[Value], at: i64) -> Option<Self> {
        let first = items.first()?;
        let start = first["current_period_start"].as_i64().unwrap_or(at);
        let end = first["current_period_end"].as_i64().unwrap_or(at);
        if end <= at || end <= start {
            return None;
        }
        Some(Self {
            at,
            end,
            share: (end - at) as f64 / (end - start) as f64,
            date: time::OffsetDateTime::from_unix_timestamp(at)
                .map(|at| at.date().to_string())
                .unwrap_or_default(),
        })
    }

    /// The price of `quantity` × `price` for the rest of the period, in the smallest unit.
    fn prorated(&self, price: &Value, quantity: i64) -> i64 {
        let amount = price["unit_amount"].as_i64().unwrap_or(0) * quantity;
        (amount as f64 * self.share).round() as i64
    }

    /// The credit for the unused time on an item that is replaced or removed.
    fn credit(&self, world: &mut World, subscription: &Value, item: &Value) -> Value {
        let quantity = item["quantity"].as_i64().unwrap_or(1);
        let credit = -self.prorated(&item["price"], quantity);
        let description = format!(
            "Unused time on {} after {}",
            describe(world, &item["price"]),
            self.date
        );
        line(
            world,
            subscription,
            item,
            credit,
            quantity,
            &description,
            (self.at, self.end),
            true,
        )
    }

    /// The charge for the remaining time on an item's new price or quantity (or a new item).
    fn charge(
        &self,
        world: &mut World,
        subscription: &Value,
        item: &Value,
        quantity: i64,
    ) -> Value {
        let debit = self.prorated(&item["price"], quantity);
        let description = format!(
            "Remaining time on {} after {}",
            describe(world, &item["price"]),
            self.date
        );
        line(
            world,
            subscription,
            item,
            debit,
            quantity,
            &description,
            (self.at, self.end),
            true,
        )
    }
}

fn describe(world: &World, price: &Value) -> String {
    world
        .find("product", price["product"].as_str().unwrap_or_default())
        .and_then(|product| product["name"].as_str())
        .unwrap_or("the plan")
        .to_owned()
}

/// Applies item changes to a subscription value (not stored), returning it.
pub fn apply_item_changes(
    world: &mut World,
    subscription: &Value,
    changes: &[ItemChange],
) -> Value {
    let mut after = subscription.clone();
    let id = subscription["id"].as_str().unwrap_or_default().to_owned();
    let period = (
        subscription["items"]["data"][0]["current_period_start"]
            .as_i64()
            .unwrap_or_default(),
        subscription["items"]["data"][0]["current_period_end"]
            .as_i64()
            .unwrap_or_default(),
    );
    let mut items = after["items"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for change in changes {
        if change.deleted {
            items.retain(|item| item["id"].as_str() != change.item.as_deref());
            continue;
        }
        match items
            .iter_mut()
            .find(|item| item["id"].as_str() == change.item.as_deref())
        {
            Some(item) => {
                if let Some(price) = &change.price {
                    item["price"] = price.clone();
                    item["plan"] = crate::api::plans::view(price);
                    if is_metered(price) {
                        item.as_object_mut().map(|item| item.remove("quantity"));
                    } else if item.get("quantity").is_none() {
                        item["quantity"] = json!(1);
                    }
                }
                if let Some(quantity) = change.quantity {
                    item["quantity"] = json!(quantity);
                }
                if let Some(rates) = &change.tax_rates {
                    item["tax_rates"] = json!(rates);
                }
            }
            None => {
                if let Some(price) = &change.price {
                    let new = NewItem {
                        price: price.clone(),
                        quantity: change.quantity.unwrap_or(1),
                        tax_rates: change.tax_rates.clone().unwrap_or_default(),
                    };
                    let item = subscription_item(world, &id, &new, period.0, period.1);
                    items.push(item);
                }
            }
        }
    }
    after["items"] = embedded(items, format!("/v1/subscription_items?subscription={id}"));
    after
}
