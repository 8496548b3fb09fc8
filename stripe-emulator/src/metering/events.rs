//! Receiving a meter event: the checks Stripe makes before it answers (the identifier not seen in
//! the last 24 hours, the timestamp within 35 days back and 5 minutes ahead of the emulator's
//! clock, or of the customer's test clock), then the meter that counts it — or the thin event
//! saying why none does, as Stripe reports those afterwards.

use serde_json::{Map, Value};

use super::thin_events::{report, Refusal};
use super::{Recorded, IDENTIFIER_WINDOW, MAX_AGE, MAX_AHEAD};
use crate::error::ApiError;
use crate::world::World;

/// A meter event as sent.
pub struct Incoming {
    pub event_name: String,
    pub payload: Map<String, Value>,
    /// None: Stripe makes one up.
    pub identifier: Option<String>,
    /// None: now.
    pub timestamp: Option<i64>,
}

/// Why a meter event is refused before it is accepted.
pub enum Refused {
    /// The identifier was used within the last 24 hours.
    Duplicate(String),
    /// The timestamp is more than 35 days old.
    TooOld,
    /// The timestamp is more than 5 minutes ahead.
    TooFarAhead,
}

impl Refused {
    /// The refusal as the v1 API answers it.
    pub fn into_api_error(self) -> ApiError {
        match self {
            Self::Duplicate(identifier) => ApiError::invalid(
                format!(
                    "An event with identifier `{identifier}` already exists. Identifiers must be \
                     unique within a rolling 24 hour period."
                ),
                Some("identifier"),
            ),
            Self::TooOld | Self::TooFarAhead => ApiError::invalid(
                "Timestamp must be within the past 35 days and no more than 5 minutes in the future.",
                Some("timestamp"),
            ),
        }
    }
}

/// Checks and records one meter event; returns what was recorded.
pub fn receive(world: &mut World, incoming: Incoming) -> Result<Recorded, Refused> {
    let meter = meter_named(world, &incoming.event_name);
    let customer_key = meter
        .as_ref()
        .and_then(|meter| meter["customer_mapping"]["event_payload_key"].as_str())
        .unwrap_or("stripe_customer_id")
        .to_owned();
    let customer = incoming
        .payload
        .get(&customer_key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    // A customer on a test clock lives at its clock's time; everyone else at the emulator's.
    let now = world.now_for_customer(&customer);
    let timestamp = incoming.timestamp.unwrap_or(now);
    if timestamp < now - MAX_AGE {
        return Err(Refused::TooOld);
    }
    if timestamp > now + MAX_AHEAD {
        return Err(Refused::TooFarAhead);
    }
    let identifier = match incoming.identifier {
        Some(identifier) => identifier,
        None => world.new_id("mtrevt"),
    };
    let seen = world.metering.events.iter().any(|event| {
        event.identifier == identifier
            && event.account == world.scope
            && event.created > now - IDENTIFIER_WINDOW
    });
    if seen {
        return Err(Refused::Duplicate(identifier));
    }
    let counted = match &meter {
        None => {
            let refusal = Refusal {
                code: "no_meter",
                message: format!(
                    "No active meter was found for event_name `{}`.",
                    incoming.event_name
                ),
            };
            report(world, None, &identifier, refusal);
            None
        }
        Some(meter) => match refusal(world, meter, &incoming.payload, &customer_key, &customer) {
            Some(refusal) => {
                report(world, Some(meter), &identifier, refusal);
                None
            }
            None => meter["id"].as_str().map(str::to_owned),
        },
    };
    let recorded = Recorded {
        event_name: incoming.event_name,
        identifier,
        payload: incoming.payload,
        timestamp,
        created: now,
        customer,
        meter: counted,
        canceled: false,
        account: world.scope.clone(),
    };
    world.metering.events.push(recorded.clone());
    Ok(recorded)
}

/// The meter an event name goes to: the active one, else an inactive one (whose events are
/// reported as sent to an archived meter).
pub(crate) fn meter_named(world: &World, event_name: &str) -> Option<Value> {
    let named: Vec<&Value> = world
        .all("billing.meter")
        .filter(|meter| meter["event_name"] == event_name)
        .collect();
    named
        .iter()
        .find(|meter| meter["status"] == "active")
        .or_else(|| named.first())
        .map(|meter| (*meter).clone())
}

/// Why a meter cannot count an event, if it cannot.
fn refusal(
    world: &World,
    meter: &Value,
    payload: &Map<String, Value>,
    customer_key: &str,
    customer: &str,
) -> Option<Refusal> {
    if meter["status"] != "active" {
        return Some(Refusal {
            code: "archived_meter",
            message: format!(
                "The meter {} is inactive.",
                meter["id"].as_str().unwrap_or_default()
            ),
        });
    }
    if customer.is_empty() {
        return Some(Refusal {
            code: "meter_event_no_customer_defined",
            message: format!("The payload has no `{customer_key}` to map it to a customer."),
        });
    }
    if world.find("customer", customer).is_none() {
        return Some(Refusal {
            code: "meter_event_customer_not_found",
            message: format!("No such customer: '{customer}'"),
        });
    }
    let value_key = meter["value_settings"]["event_payload_key"]
        .as_str()
        .unwrap_or("value");
    let value = payload.get(value_key).and_then(Value::as_str);
    let number = value
        .and_then(|value| value.parse::<f64>().ok())
        .filter(|value| value.is_finite());
    if meter["default_aggregation"]["formula"] != "count" && number.is_none() {
        return Some(Refusal {
            code: "meter_event_invalid_value",
            message: format!("The payload's `{value_key}` is not a number."),
        });
    }
    None
}
