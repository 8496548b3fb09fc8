//! Automatic tax's test table: what a customer located in a country (and, in the US, a state)
//! pays, as a fixed list the emulator README documents; every other location is not taxed
//! (`not_collecting`). The rate applied is a `tax_rate` object the emulator makes once per
//! jurisdiction, as Stripe Tax does, and keeps out of `GET /v1/tax_rates`.

use serde_json::{json, Value};

use crate::world::World;

/// The rates: (country, state or "", percentage, tax type, display name).
const TABLE: &[(&str, &str, f64, &str, &str)] = &[
    ("AU", "", 10.0, "gst", "GST"),
    ("CA", "", 5.0, "gst", "GST"),
    ("DE", "", 19.0, "vat", "VAT"),
    ("ES", "", 21.0, "vat", "IVA"),
    ("FR", "", 20.0, "vat", "TVA"),
    ("GB", "", 20.0, "vat", "VAT"),
    ("IE", "", 23.0, "vat", "VAT"),
    ("IT", "", 22.0, "vat", "IVA"),
    ("NL", "", 21.0, "vat", "BTW"),
    ("US", "CA", 7.25, "sales_tax", "Sales Tax"),
    ("US", "NY", 8.875, "sales_tax", "Sales Tax"),
    ("US", "TX", 6.25, "sales_tax", "Sales Tax"),
    ("US", "WA", 6.5, "sales_tax", "Sales Tax"),
];

/// Where a customer is, for tax: a country, and a state in the US.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub country: String,
    pub state: String,
}

/// A customer's tax location: their shipping address if it has a country, else their billing
/// address, as Stripe Tax chooses. A US address also needs its postal code (Stripe Tax's
/// requirement), which gives the state when the address leaves it out; None when no address is
/// usable.
pub fn location(customer: &Value) -> Option<Location> {
    let address = [&customer["shipping"]["address"], &customer["address"]]
        .into_iter()
        .find(|address| address["country"].as_str().is_some_and(|c| !c.is_empty()))?;
    let country = address["country"].as_str()?.to_uppercase();
    if country == "US" && address["postal_code"].as_str().is_none_or(str::is_empty) {
        return None;
    }
    let mut state = address["state"].as_str().unwrap_or_default().to_uppercase();
    if country == "US" && state.is_empty() {
        state = state_of_zip(address["postal_code"].as_str().unwrap_or_default()).to_owned();
    }
    Some(Location { country, state })
}

/// The state of a US ZIP code, for the states the table taxes (an address without its state).
fn state_of_zip(zip: &str) -> &'static str {
    let Ok(prefix) = zip.get(..3).unwrap_or_default().parse::<u16>() else {
        return "";
    };
    match prefix {
        900..=961 => "CA",
        100..=149 => "NY",
        750..=799 | 885 => "TX",
        980..=994 => "WA",
        _ => "",
    }
}

/// The automatic tax rate object for a location, made on first use; None where nothing is
/// collected.
pub fn automatic_rate(world: &mut World, location: &Location) -> Option<Value> {
    let (country, state, percentage, tax_type, name) = TABLE.iter().find(|entry| {
        entry.0 == location.country && (entry.1.is_empty() || entry.1 == location.state)
    })?;
    let key = format!("{country}-{state}");
    if let Some(found) = world
        .automatic_tax_rates
        .get(&key)
        .and_then(|id| world.find("tax_rate", id))
    {
        return Some(found.clone());
    }
    let id = world.new_id("txr");
    let jurisdiction = if state.is_empty() {
        (*country).to_owned()
    } else {
        (*state).to_owned()
    };
    let rate = json!({
        "id": id,
        "object": "tax_rate",
        "active": true,
        "country": country,
        "created": world.now(),
        "description": null,
        "display_name": name,
        "effective_percentage": percentage,
        "flat_amount": null,
        "inclusive": false,
        "jurisdiction": jurisdiction,
        "jurisdiction_level": if state.is_empty() { "country" } else { "state" },
        "livemode": false,
        "metadata": {},
        "percentage": percentage,
        "rate_type": "percentage",
        "state": if state.is_empty() { Value::Null } else { json!(state) },
        "tax_type": tax_type,
    });
    world.automatic_tax_rates.insert(key, id);
    Some(world.insert(rate))
}
