//! Tax on invoices and Checkout Sessions:
//! - `table`: automatic tax's fixed test table (a customer's country, and state in the US, to a
//!   rate) and the customer location it is looked up by;
//! - `lines`: the taxes of each invoice line (its item's `tax_rates`, the subscription's
//!   `default_tax_rates`, or automatic tax) and the invoice's `total_taxes` and totals;
//! - `checks`: the refusals Stripe answers before anything is taxed (a price without
//!   `tax_behavior` under automatic tax, a customer whose location is unknown, an unusable rate).

mod checks;
mod lines;
mod table;

pub use checks::{automatic_tax_param, check_location, check_prices, requested_rates};
pub use lines::{apply_to_invoice, tax_amounts, Levy};
pub use table::{automatic_rate, location, Location};

use serde_json::{json, Value};

/// The `automatic_tax` hash of a subscription: on or off, Stripe's own liability.
pub fn subscription_automatic_tax(enabled: bool) -> Value {
    json!({
        "disabled_reason": null,
        "enabled": enabled,
        "liability": if enabled { json!({ "type": "self" }) } else { Value::Null },
    })
}
