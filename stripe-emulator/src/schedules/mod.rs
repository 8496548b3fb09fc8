//! Subscription schedules, the engine behind `/v1/subscription_schedules`:
//! - `phases`: phases read from `phases[]` or made from a subscription, and the item changes
//!   that move a subscription into a phase;
//! - `lifecycle`: starting a schedule, moving to each next phase as the clock passes its end,
//!   the `expiring` notice, completion with `end_behavior`, and the abort when the subscription
//!   ends under it. The subscription engine's clock ([`crate::billing::run_due`]) calls in here.

mod lifecycle;
mod phases;

pub use lifecycle::{
    apply_due, apply_phase, next_due, start, start_due, subscription_changed, subscription_ended,
    Due,
};
pub use phases::{from_subscription, parse};
