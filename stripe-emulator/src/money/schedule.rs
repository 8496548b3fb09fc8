//! Automatic payouts of connected accounts: an account whose `settings.payouts.schedule.interval`
//! is `daily`, `weekly` (on its `weekly_anchor`) or `monthly` (on its `monthly_anchor`, the
//! month's last day when shorter) has its whole available balance in each currency paid out
//! (`automatic: true`) to its default bank account there, at midnight UTC of each scheduled
//! day the emulator's clock passes. `manual` accounts are paid out only when asked.
//! <https://docs.stripe.com/connect/manage-payout-schedule>

use serde_json::Value;

use super::payouts::{self, NewPayout};
use crate::billing::DAY;
use crate::connect::profile::weekday_index;
use crate::world::World;

/// Unix day 0 (1970-01-01) was a Thursday: Monday = 0 counts it as 3.
const EPOCH_WEEKDAY: i64 = 3;

/// The first scheduled payout time after `now`, or None for a manual schedule.
pub fn next_after(schedule: &Value, now: i64) -> Option<i64> {
    let tomorrow = now.div_euclid(DAY) + 1;
    let matches: Box<dyn Fn(i64) -> bool> = match schedule["interval"].as_str()? {
        "daily" => Box::new(|_| true),
        "weekly" => {
            let anchor = weekday_index(schedule["weekly_anchor"].as_str().unwrap_or("monday"))?;
            Box::new(move |day| (day + EPOCH_WEEKDAY).rem_euclid(7) == anchor)
        }
        "monthly" => {
            let anchor = schedule["monthly_anchor"].as_i64().unwrap_or(1) as u8;
            Box::new(move |day| {
                time::OffsetDateTime::from_unix_timestamp(day * DAY).is_ok_and(|at| {
                    let date = at.date();
                    date.day() == anchor.min(date.month().length(date.year()))
                })
            })
        }
        _ => return None,
    };
    (tomorrow..tomorrow + 62)
        .find(|day| matches(*day))
        .map(|day| day * DAY)
}

/// Sets (or clears) when an account is paid out next, after a change of its schedule.
pub fn plan(world: &mut World, account: &Value) {
    let id = account["id"].as_str().unwrap_or_default().to_owned();
    match next_after(&account["settings"]["payouts"]["schedule"], world.now()) {
        Some(at) => world.connect.next_payout.insert(id, at),
        None => world.connect.next_payout.remove(&id),
    };
}

/// For the connected account acted as: when its scheduled payout time has passed, pays out its
/// available balance in each currency it has a default bank account for (if its payouts are
/// enabled), and plans the next one.
pub fn run_due(world: &mut World) {
    let Some(id) = world.scope.clone() else {
        return;
    };
    let now = world.now();
    if world
        .connect
        .next_payout
        .get(&id)
        .is_none_or(|at| *at > now)
    {
        return;
    }
    let Some(account) = world.connected_account(&id).cloned() else {
        return;
    };
    plan(world, &account);
    if account["payouts_enabled"] != true {
        return;
    }
    let balance = super::ledger::balance(world);
    for funds in balance["available"].as_array().into_iter().flatten() {
        let amount = funds["amount"].as_i64().unwrap_or(0);
        let currency = funds["currency"].as_str().unwrap_or("usd").to_owned();
        if amount < 1 || crate::connect::bank_accounts::default_for(world, &currency).is_none() {
            continue;
        }
        let payout = NewPayout {
            amount,
            currency,
            description: None,
            metadata: serde_json::json!({}),
            method: "standard".to_owned(),
            statement_descriptor: None,
            destination: None,
            automatic: true,
        };
        if let Err(error) = payouts::create(world, payout) {
            tracing::warn!(account = %id, error = %error.message, "an automatic payout was refused");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// 2026-01-01 12:00 UTC, a Thursday.
    const NEW_YEAR_NOON: i64 = 1_767_268_800;

    #[test]
    fn daily_schedules_pay_at_the_next_midnight() {
        let next = next_after(&json!({ "interval": "daily" }), NEW_YEAR_NOON);
        assert_eq!(next, Some(NEW_YEAR_NOON + 12 * 3_600));
    }

    #[test]
    fn weekly_schedules_pay_on_their_anchor_day() {
        let schedule = json!({ "interval": "weekly", "weekly_anchor": "monday" });
        // Thursday noon → Monday 2026-01-05 00:00.
        assert_eq!(
            next_after(&schedule, NEW_YEAR_NOON),
            Some(NEW_YEAR_NOON + 12 * 3_600 + 3 * DAY)
        );
    }

    #[test]
    fn monthly_anchors_past_a_short_month_pay_on_its_last_day() {
        let schedule = json!({ "interval": "monthly", "monthly_anchor": 31 });
        // 2026-02-01 noon → 2026-02-28 00:00.
        let february_first = NEW_YEAR_NOON + 31 * DAY;
        assert_eq!(
            next_after(&schedule, february_first),
            Some(february_first + 12 * 3_600 + 26 * DAY)
        );
        assert_eq!(
            next_after(&json!({ "interval": "manual" }), NEW_YEAR_NOON),
            None
        );
    }
}
