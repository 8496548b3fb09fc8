//! Billing periods: calendar intervals (a month keeps its day where it exists), where the period
//! containing a moment ends, and moving a subscription's items to their next period.

use serde_json::{json, Value};

use super::DAY;
use crate::world::World;

/// Adds `count` calendar intervals to a unix time, keeping the day of month where it exists.
pub fn add_interval(start: i64, interval: &str, count: i64) -> i64 {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(start) else {
        return start;
    };
    match interval {
        "day" => start.saturating_add(count.saturating_mul(DAY)),
        "week" => start.saturating_add(count.saturating_mul(7 * DAY)),
        "month" | "year" => {
            let months = if interval == "year" {
                count.saturating_mul(12)
            } else {
                count
            };
            let total = (i64::from(at.year()) * 12 + i64::from(at.month() as u8) - 1)
                .saturating_add(months);
            let Ok(year) = i32::try_from(total / 12) else {
                return start;
            };
            let month = (total % 12 + 1) as u8;
            let Ok(month) = time::Month::try_from(month) else {
                return start;
            };
            let date = (1..=at.day())
                .rev()
                .find_map(|day| time::Date::from_calendar_date(year, month, day).ok());
            date.map(|date| date.with_time(at.time()).assume_utc().unix_timestamp())
                .unwrap_or(start)
        }
        _ => start,
    }
}

/// The end of the billing period that contains `start`, counted from `anchor`.
pub(super) fn period_end_after(anchor: i64, start: i64, recurring: &Value) -> i64 {
    let interval = recurring["interval"].as_str().unwrap_or("month");
    let count = recurring["interval_count"].as_i64().unwrap_or(1).max(1);
    // Start just below the answer (the longest possible interval underestimates the number of
    // periods since the anchor), then step: a few steps, however long the subscription has run.
    let longest = match interval {
        "day" => DAY,
        "week" => 7 * DAY,
        "month" => 31 * DAY,
        _ => 366 * DAY,
    } * count;
    let mut periods = ((start - anchor) / longest).max(1);
    loop {
        let end = add_interval(anchor, interval, count * periods);
        if end > start {
            return end;
        }
        if end <= anchor || periods > 1_000_000 {
            // Past the calendar's range: no further period end.
            return i64::MAX;
        }
        periods += 1;
    }
}

/// Moves every item to the period starting at `start`.
pub(super) fn roll_period(world: &mut World, subscription: &Value, start: i64) -> Value {
    let mut after = subscription.clone();
    let anchor = subscription["billing_cycle_anchor"]
        .as_i64()
        .unwrap_or(start);
    if let Some(items) = after["items"]["data"].as_array_mut() {
        for item in items {
            let end = period_end_after(anchor, start, &item["price"]["recurring"]);
            item["current_period_start"] = json!(start);
            item["current_period_end"] = json!(end);
        }
    }
    world.put(after.clone());
    after
}
