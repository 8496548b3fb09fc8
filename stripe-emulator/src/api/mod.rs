//! The `/v1` API, one module per resource. Each operation is a plain function over the world;
//! [`crate::http::op`] turns it into a handler.

pub mod account_links;
pub mod accounts;
pub mod balance;
pub mod charges;
pub mod checkout;
mod checkout_completion;
mod checkout_discounts;
mod checkout_tax;
pub mod coupons;
pub mod credit_balance;
pub mod credit_grants;
pub mod customers;
pub mod disputes;
pub mod events;
pub mod external_accounts;
pub mod files;
pub mod invoice_workflow;
pub mod invoiceitems;
pub mod invoices;
pub mod meter_events;
pub mod meters;
pub mod payment_intents;
pub mod payment_methods;
pub mod payment_pages;
pub mod payouts;
pub mod pending_updates;
pub mod plans;
pub mod portal;
pub mod portal_configurations;
pub mod prices;
pub mod products;
pub mod promotion_codes;
pub mod refunds;
pub mod setup_intents;
pub mod sources;
pub mod subscription_items;
pub mod subscription_schedules;
mod subscription_updates;
pub mod subscriptions;
pub mod tax_ids;
pub mod tax_rates;
pub mod test_clocks;
pub mod tokens;
pub mod topups;
pub mod transfers;
mod v2_metering;
pub mod webhook_endpoints;

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::form::Params;
use crate::http::op;
use crate::world::World;
use crate::Emulator;

/// Every `/v1` route.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/v1/products",
            post(op(products::create)).get(op(products::list)),
        )
        .route(
            "/v1/products/{id}",
            get(op(products::retrieve))
                .post(op(products::update))
                .delete(op(products::delete)),
        )
        .route("/v1/prices", post(op(prices::create)).get(op(prices::list)))
        .route(
            "/v1/prices/{id}",
            get(op(prices::retrieve)).post(op(prices::update)),
        )
        .route(
            "/v1/customers",
            post(op(customers::create)).get(op(customers::list)),
        )
        .route(
            "/v1/customers/{id}",
            get(op(customers::retrieve))
                .post(op(customers::update))
                .delete(op(customers::delete)),
        )
        .route(
            "/v1/customers/{id}/payment_methods",
            get(op(payment_methods::list_for_customer)),
        )
        .route(
            "/v1/payment_methods",
            post(op(payment_methods::create)).get(op(payment_methods::list)),
        )
        .route(
            "/v1/payment_methods/{id}",
            get(op(payment_methods::retrieve)).post(op(payment_methods::update)),
        )
        .route(
            "/v1/payment_methods/{id}/attach",
            post(op(payment_methods::attach)),
        )
        .route(
            "/v1/payment_methods/{id}/detach",
            post(op(payment_methods::detach)),
        )
        .route(
            "/v1/checkout/sessions",
            post(op(checkout::create)).get(op(checkout::list)),
        )
        .route(
            "/v1/checkout/sessions/{id}",
            get(op(checkout::retrieve)).post(op(checkout::update)),
        )
        .route(
            "/v1/checkout/sessions/{id}/expire",
            post(op(checkout::expire)),
        )
        .route(
            "/v1/checkout/sessions/{id}/line_items",
            get(op(checkout::line_items)),
        )
        .route("/v1/billing_portal/sessions", post(op(portal::create)))
        .route(
            "/v1/subscriptions",
            post(op(subscriptions::create)).get(op(subscriptions::list)),
        )
        .route(
            "/v1/subscriptions/{id}",
            get(op(subscriptions::retrieve))
                .post(op(subscriptions::update))
                .delete(op(subscriptions::cancel)),
        )
        .route(
            "/v1/subscriptions/{id}/resume",
            post(op(subscriptions::resume)),
        )
        .route("/v1/invoices", get(op(invoices::list)))
        .route(
            "/v1/invoices/create_preview",
            post(op(invoices::create_preview)),
        )
        .route("/v1/invoices/{id}", get(op(invoices::retrieve)))
        .route("/v1/invoices/{id}/lines", get(op(invoices::lines)))
        .route("/v1/invoices/{id}/pay", post(op(invoices::pay)))
        .route("/v1/events", get(op(events::list)))
        .route("/v1/events/{id}", get(op(events::retrieve)))
        .route(
            "/v1/webhook_endpoints",
            post(op(webhook_endpoints::create)).get(op(webhook_endpoints::list)),
        )
        .route(
            "/v1/webhook_endpoints/{id}",
            get(op(webhook_endpoints::retrieve))
                .post(op(webhook_endpoints::update))
                .delete(op(webhook_endpoints::delete)),
        )
        .route(
            "/v1/test_helpers/test_clocks",
            post(op(test_clocks::create)).get(op(test_clocks::list)),
        )
        .route(
            "/v1/test_helpers/test_clocks/{id}",
            get(op(test_clocks::retrieve)).delete(op(test_clocks::delete)),
        )
        .route(
            "/v1/test_helpers/test_clocks/{id}/advance",
            post(op(test_clocks::advance)),
        )
        .merge(plans::routes())
        .merge(invoiceitems::routes())
        .merge(invoice_workflow::routes())
        .merge(portal_configurations::routes())
        .merge(payment_intents::routes())
        .merge(charges::routes())
        .merge(setup_intents::routes())
        .merge(payment_pages::routes())
        .merge(balance::routes())
        .merge(refunds::routes())
        .merge(disputes::routes())
        .merge(payouts::routes())
        .merge(files::routes())
        .merge(sources::routes())
        .merge(tokens::routes())
        .merge(topups::routes())
        .merge(accounts::routes())
        .merge(external_accounts::routes())
        .merge(account_links::routes())
        .merge(transfers::routes())
        .merge(coupons::routes())
        .merge(promotion_codes::routes())
        .merge(tax_rates::routes())
        .merge(subscription_schedules::routes())
        .merge(subscription_items::routes())
        .merge(tax_ids::routes())
        .merge(meters::routes())
        .merge(meter_events::routes())
        .merge(credit_grants::routes())
        .merge(credit_balance::routes())
        .merge(v2_metering::routes())
}

/// The `{id, object, deleted: true}` answer of a DELETE.
fn deleted(id: &str, kind: &str) -> Value {
    json!({ "id": id, "object": kind, "deleted": true })
}

/// Applies `metadata[key]=value` updates: an empty value removes the key, `metadata=` clears all.
pub(crate) fn merge_metadata(object: &mut Value, params: &Params) {
    let Some(update) = params.metadata() else {
        return;
    };
    if update.is_empty() {
        object["metadata"] = json!({});
        return;
    }
    let metadata = object["metadata"]
        .as_object_mut()
        .expect("objects carry metadata");
    for (key, value) in update {
        match value.as_str() {
            Some("") => {
                metadata.remove(&key);
            }
            _ => {
                metadata.insert(key, value);
            }
        }
    }
}

/// Stripe's largest unit amount (eight digits in minor units).
pub const MAX_AMOUNT: i64 = 99_999_999;
/// Stripe's longest trial, in days.
pub const MAX_TRIAL_DAYS: i64 = 730;
/// The largest quantity the emulator accepts on an item.
const MAX_QUANTITY: i64 = 999_999;

/// An item's `quantity` (`line_items[0][quantity]`, `items[0][quantity]`), checked; None if absent.
pub(crate) fn quantity(entry: &Value, param: &str, min: i64) -> Result<Option<i64>, ApiError> {
    let Some(raw) = entry["quantity"].as_str() else {
        return Ok(None);
    };
    match raw.parse::<i64>() {
        Ok(quantity) if (min..=MAX_QUANTITY).contains(&quantity) => Ok(Some(quantity)),
        _ => Err(ApiError::invalid(
            format!("Invalid quantity: must be an integer between {min} and {MAX_QUANTITY}"),
            Some(param),
        )),
    }
}

/// Refuses a quantity on the item of a metered price (its usage is what is billed), with the
/// message Stripe answers subscriptions with.
pub(crate) fn no_metered_quantity(
    price: &Value,
    entry: &Value,
    param: &str,
) -> Result<(), ApiError> {
    if crate::metering::is_metered(price) && entry.get("quantity").is_some() {
        return Err(ApiError::invalid(
            "You cannot set the quantity for metered plans.",
            Some(param),
        ));
    }
    Ok(())
}

/// A `proration_date`, which must fall inside the subscription's current period.
fn proration_date(
    params: &Params,
    path: &str,
    subscription: &Value,
    now: i64,
) -> Result<i64, ApiError> {
    let start = subscription["items"]["data"][0]["current_period_start"]
        .as_i64()
        .unwrap_or(now);
    let end = subscription["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap_or(now);
    Ok(params.int_in(path, start..=end.max(start))?.unwrap_or(now))
}

/// A price an existing subscription can switch to: recurring, active, in the subscription's currency.
fn swap_price(
    world: &World,
    subscription: &Value,
    id: &str,
    param: &str,
) -> Result<Value, ApiError> {
    let price = world.get("price", id, param)?;
    if price["type"] != "recurring" || price["active"] != true {
        return Err(ApiError::invalid(
            format!("The price {id} is not an active recurring price."),
            Some(param),
        ));
    }
    if price["currency"] != subscription["currency"] {
        return Err(ApiError::invalid(
            format!("The price {id} is not in the subscription's currency."),
            Some(param),
        ));
    }
    Ok(price)
}

/// An absolute http(s) URL, as Stripe requires for endpoints and redirect targets.
fn check_url(url: &str, param: &str) -> Result<(), ApiError> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(()),
        _ => Err(ApiError::invalid_code(
            "url_invalid",
            format!("Not a valid URL: {url}"),
            Some(param),
        )),
    }
}

/// A list endpoint's answer: keeps the objects of `kind` for which `keep` holds and whose
/// `created` matches, newest first, one page.
fn list_objects(
    world: &World,
    params: &Params,
    kind: &str,
    url: &str,
    keep: impl Fn(&Value) -> bool,
) -> Result<Value, ApiError> {
    let created = Created::parse(params)?;
    let all: Vec<&Value> = world.all(kind).collect();
    let kept: Vec<(usize, Value)> = all
        .iter()
        .enumerate()
        .filter(|(_, object)| {
            keep(object) && created.matches(object["created"].as_i64().unwrap_or_default())
        })
        .map(|(position, object)| (position, (*object).clone()))
        .collect();
    // A cursor that no longer passes the filter (a subscription canceled between two pages) still
    // marks a place in the full order, so auto-pagination goes on instead of failing.
    for (cursor, after) in [("starting_after", true), ("ending_before", false)] {
        let Some(id) = params.str(cursor) else {
            continue;
        };
        if kept.iter().any(|(_, object)| object["id"] == id) {
            break;
        }
        let Some(place) = all.iter().position(|object| object["id"] == id) else {
            break;
        };
        let mut rest = params.clone();
        rest.0.remove(cursor);
        let items = kept
            .into_iter()
            .filter(|(position, _)| {
                if after {
                    *position > place
                } else {
                    *position < place
                }
            })
            .map(|(_, object)| object)
            .collect::<Vec<_>>();
        if after {
            return crate::listing::page(items, &rest, url);
        }
        let limit = rest.int("limit")?.unwrap_or(10).clamp(1, 100) as usize;
        let start = items.len().saturating_sub(limit);
        return Ok(
            json!({ "object": "list", "data": items[start..], "has_more": start > 0, "url": url }),
        );
    }
    let items = kept.into_iter().map(|(_, object)| object).collect();
    crate::listing::page(items, params, url)
}

/// A `created` filter: `created=…` or any of `created[gt|gte|lt|lte]=…`.
struct Created {
    exact: Option<i64>,
    gt: Option<i64>,
    gte: Option<i64>,
    lt: Option<i64>,
    lte: Option<i64>,
}

impl Created {
    fn parse(params: &Params) -> Result<Self, ApiError> {
        Self::parse_field(params, "created")
    }

    /// The same filter on another timestamp (`arrival_date`).
    fn parse_field(params: &Params, field: &str) -> Result<Self, ApiError> {
        let exact = match params.get(field).and_then(Value::as_str) {
            Some(exact) => Some(
                exact
                    .parse()
                    .map_err(|_| ApiError::invalid("Invalid integer", Some(field)))?,
            ),
            None => None,
        };
        Ok(Self {
            exact,
            gt: params.int(&format!("{field}.gt"))?,
            gte: params.int(&format!("{field}.gte"))?,
            lt: params.int(&format!("{field}.lt"))?,
            lte: params.int(&format!("{field}.lte"))?,
        })
    }

    fn matches(&self, created: i64) -> bool {
        self.exact.is_none_or(|exact| created == exact)
            && self.gt.is_none_or(|gt| created > gt)
            && self.gte.is_none_or(|gte| created >= gte)
            && self.lt.is_none_or(|lt| created < lt)
            && self.lte.is_none_or(|lte| created <= lte)
    }
}
