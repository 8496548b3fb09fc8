//! Time passing: what falls due for a subscription and when (trial notices and ends, upcoming
//! invoice notices, `cancel_at`, payment retries, period ends, expiries), run earliest first, each
//! at its own moment.

use serde_json::json;

use super::invoices::upcoming_invoice;
use super::periods::roll_period;
use super::renewals::{end_trial, renew};
use super::retries::retry;
use super::subscriptions::cancel_now;
use super::DAY;
use crate::world::World;

/// How many days before a renewal `invoice.upcoming` is sent (Stripe's default is 7).
const UPCOMING_NOTICE_DAYS: i64 = 7;

/// What falls due for a subscription at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// `customer.subscription.trial_will_end`, three days before the trial ends.
    TrialNotice,
    /// The trial ends: invoice and charge, or the missing-card behaviour.
    TrialEnd,
    /// `invoice.upcoming`, a week before a renewal.
    UpcomingNotice,
    /// `cancel_at` is reached.
    CancelAt,
    /// A failed payment is retried.
    Retry,
    /// The period ends: renew, or cancel at period end.
    PeriodEnd,
    /// An incomplete subscription's first invoice was not paid within 23 hours.
    IncompleteExpiry,
    /// A pending update's invoice was not paid by its `expires_at`.
    PendingUpdateExpiry,
    /// The subscription's schedule acts: a phase ends, or its end is a week away.
    Schedule(crate::schedules::Due),
}

/// Runs every time-based transition due by `now` for subscriptions on `clock` (None: the
/// emulator-wide clock, i.e. customers without a test clock), earliest first, each at its own
/// time: the clock is set to the due moment while it is applied, so events, invoices and
/// `ended_at` carry that moment. The clock ends at `now`.
pub fn run_due(world: &mut World, clock: Option<&str>, now: i64) {
    // The emulator-wide clock is wall time plus an offset: restore the offset itself, so the
    // wall clock ticking while we work cannot shift it.
    let saved_offset = world.clock_offset;
    crate::schedules::start_due(world, clock, now, |world, at| set_time(world, clock, at));
    let ids: Vec<String> = world
        .all("subscription")
        .filter(|subscription| subscription["test_clock"].as_str() == clock)
        .filter(|subscription| {
            !matches!(
                subscription["status"].as_str(),
                Some("canceled" | "incomplete_expired")
            )
        })
        .filter_map(|subscription| subscription["id"].as_str().map(str::to_owned))
        .collect();
    // Each step moves one subscription forward; the bound guards against a stuck state.
    for _ in 0..1_000_000 {
        let next = ids
            .iter()
            .filter_map(|id| next_due(world, id).map(|(at, due)| (at, id, due)))
            .filter(|(at, _, _)| *at <= now)
            .min_by_key(|(at, _, _)| *at);
        let Some((at, id, due)) = next.map(|(at, id, due)| (at, id.clone(), due)) else {
            break;
        };
        set_time(world, clock, at);
        apply_due(world, &id, due, at);
    }
    match clock {
        None => world.clock_offset = saved_offset,
        Some(_) => set_time(world, clock, now),
    }
}

/// Sets the emulator-wide clock, or a test clock, to `at`.
fn set_time(world: &mut World, clock: Option<&str>, at: i64) {
    match clock {
        None => world.clock_offset = at - crate::world::wall_clock(),
        Some(clock) => {
            if let Some(mut found) = world.find("test_helpers.test_clock", clock).cloned() {
                found["frozen_time"] = json!(at);
                world.put(found);
            }
        }
    }
}

/// Runs what is due now for one subscription (after `trial_end=now`, a new card, a resume).
pub fn run_due_now(world: &mut World, id: &str) {
    let Some(customer) = world
        .find("subscription", id)
        .and_then(|sub| sub["customer"].as_str())
        .map(str::to_owned)
    else {
        return;
    };
    let now = world.now_for_customer(&customer);
    for _ in 0..10_000 {
        match next_due(world, id) {
            Some((at, due)) if at <= now => apply_due(world, id, due, at),
            _ => break,
        }
    }
}

/// The next moment something happens to a subscription, and what.
fn next_due(world: &World, id: &str) -> Option<(i64, Due)> {
    let subscription = world.find("subscription", id)?;
    let status = subscription["status"].as_str()?;
    let period_start = subscription["items"]["data"][0]["current_period_start"]
        .as_i64()
        .unwrap_or_default();
    let period_end = subscription["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap_or(i64::MAX);
    let dunning = world.dunning.get(id).cloned().unwrap_or_default();
    let mut candidates: Vec<(i64, Due)> = Vec::new();
    match status {
        "trialing" => {
            let trial_end = subscription["trial_end"].as_i64().unwrap_or(period_end);
            // A trial shorter than three days gets its notice as soon as it starts.
            let notice_at = (trial_end - 3 * DAY).max(period_start);
            if dunning.trial_notice_for != Some(trial_end) {
                candidates.push((notice_at, Due::TrialNotice));
            }
            candidates.push((trial_end, Due::TrialEnd));
        }
        "active" | "past_due" | "unpaid" => {
            let renews =
                subscription["cancel_at_period_end"] != true && subscription["cancel_at"].is_null();
            let notice_at = period_end.saturating_sub(UPCOMING_NOTICE_DAYS * DAY);
            if renews
                && status == "active"
                && dunning.upcoming_notice_for != Some(period_end)
                && notice_at > period_start
            {
                candidates.push((notice_at, Due::UpcomingNotice));
            }
            if let Some(cancel_at) = subscription["cancel_at"]
                .as_i64()
                .filter(|at| *at < period_end)
            {
                candidates.push((cancel_at, Due::CancelAt));
            }
            if let Some(attempt) = dunning.next_attempt.filter(|at| *at < period_end) {
                candidates.push((attempt, Due::Retry));
            }
            candidates.push((period_end, Due::PeriodEnd));
        }
        "incomplete" => {
            let created = subscription["created"].as_i64().unwrap_or_default();
            candidates.push((created + 23 * 3600, Due::IncompleteExpiry));
        }
        _ => {}
    }
    // First among equals: a schedule's phase ends before the period renews (the renewal bills
    // the new phase's items), and a pending update expires before the period it was bounded by.
    if let Some((at, due)) = crate::schedules::next_due(world, subscription) {
        candidates.insert(0, (at, Due::Schedule(due)));
    }
    if let Some(at) = crate::api::pending_updates::expires_at(subscription) {
        candidates.insert(0, (at, Due::PendingUpdateExpiry));
    }
    candidates.into_iter().min_by_key(|(at, _)| *at)
}

/// Applies one due transition at `at` (the clock already reads `at`).
fn apply_due(world: &mut World, id: &str, due: Due, at: i64) {
    let Some(subscription) = world.find("subscription", id).cloned() else {
        return;
    };
    match due {
        Due::TrialNotice => {
            let trial_end = subscription["trial_end"].as_i64();
            world
                .dunning
                .entry(id.to_owned())
                .or_default()
                .trial_notice_for = trial_end;
            world.emit("customer.subscription.trial_will_end", &subscription, None);
        }
        Due::TrialEnd => end_trial(world, &subscription, at),
        Due::UpcomingNotice => {
            let period_end = subscription["items"]["data"][0]["current_period_end"]
                .as_i64()
                .unwrap_or(at);
            world
                .dunning
                .entry(id.to_owned())
                .or_default()
                .upcoming_notice_for = Some(period_end);
            let upcoming = upcoming_invoice(world, &subscription, period_end);
            world.emit("invoice.upcoming", &upcoming, None);
        }
        Due::CancelAt => {
            crate::metering::invoices::invoice_final_usage(world, &subscription, at);
            cancel_now(world, id, "cancellation_requested");
        }
        Due::Retry => retry(world, id),
        Due::PeriodEnd => {
            if subscription["cancel_at_period_end"] == true
                || subscription["cancel_at"].as_i64() == Some(at)
            {
                crate::metering::invoices::invoice_final_usage(world, &subscription, at);
                cancel_now(world, id, "cancellation_requested");
            } else if subscription["status"] == "unpaid" {
                roll_period(world, &subscription, at);
            } else {
                renew(world, &subscription, at);
            }
        }
        Due::PendingUpdateExpiry => crate::api::pending_updates::expire(world, id),
        Due::Schedule(due) => crate::schedules::apply_due(world, id, due, at),
        Due::IncompleteExpiry => {
            // Stripe voids the unpaid first invoice when the subscription expires.
            if let Some(invoice) = subscription["latest_invoice"]
                .as_str()
                .filter(|id| {
                    world
                        .find("invoice", id)
                        .is_some_and(|found| found["status"] == "open")
                })
                .map(str::to_owned)
            {
                // Only an open invoice is voided, so this cannot fail.
                let _ = crate::invoicing::void(world, &invoice);
            }
            let mut after = subscription.clone();
            after["status"] = json!("incomplete_expired");
            after["ended_at"] = json!(at);
            world.update_and_emit("customer.subscription.updated", &subscription, after);
        }
    }
}
