//! Usage-based billing's bookkeeping, which Stripe keeps to itself: every meter event received
//! (Stripe answers a meter event but never lists them), the sessions of the v2 meter event
//! stream, and the thin (v2) events such as `v1.billing.meter.no_meter_found`.
//! - `events`: receiving a meter event (Stripe's checks, then the meter that counts it);
//! - `usage`: a customer's usage of a meter over a window, by the meter's formula;
//! - `pricing`: what a metered price charges for a usage, per unit or by tiers;
//! - `invoices`: metered usage as invoice lines at each period end;
//! - `credits`: credit grants applied to an invoice's metered lines before it is charged;
//! - `thin_events`: the v2 events about meter events Stripe could not use.

pub mod credits;
pub mod events;
pub mod invoices;
pub mod pricing;
pub mod thin_events;
pub mod usage;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One meter event as received (`POST /v1/billing/meter_events` or the v2 stream).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recorded {
    /// The `event_name` it was sent with.
    pub event_name: String,
    /// Its identifier (given, or made up), unique within the de-duplication window.
    pub identifier: String,
    /// The payload, every value a string.
    pub payload: Map<String, Value>,
    /// When the usage happened.
    pub timestamp: i64,
    /// When it was received, on the emulator's clock.
    pub created: i64,
    /// The customer it maps to (the meter's customer mapping key), if it names one.
    pub customer: String,
    /// The active meter that counted it when it arrived; None when no meter could (no meter of
    /// that name, an inactive one, no customer, or a value that is not a number).
    pub meter: Option<String>,
    /// Canceled by a meter event adjustment: it no longer counts.
    pub canceled: bool,
    /// The connected account it was sent as (None: the platform).
    pub account: Option<String>,
}

/// Everything usage-based billing keeps beside the objects.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// Every meter event received, oldest first.
    pub events: Vec<Recorded>,
    /// Meter event session tokens of the v2 stream, with when each expires.
    pub sessions: BTreeMap<String, i64>,
    /// Thin (v2) events, oldest first.
    pub thin_events: Vec<Value>,
}

/// How long Stripe keeps an identifier to refuse a repeat: "a rolling period of at least 24
/// hours" (the API reference of `identifier`).
pub const IDENTIFIER_WINDOW: i64 = 24 * 3_600;
/// How far back a meter event may be dated: "within the past 35 calendar days".
pub const MAX_AGE: i64 = 35 * 86_400;
/// How far ahead a meter event may be dated: "up to 5 minutes in the future".
pub const MAX_AHEAD: i64 = 5 * 60;

/// Whether a price bills metered usage (`recurring[usage_type]=metered`) rather than a quantity.
pub fn is_metered(price: &Value) -> bool {
    price["recurring"]["usage_type"] == "metered"
}
