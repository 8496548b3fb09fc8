//! Subscription schedules: create (`from_subscription`, or `customer` + `phases[]` +
//! `start_date`), retrieve, list (`customer`, `scheduled`, `created`, `canceled_at`,
//! `completed_at`, `released_at`), update (`phases[]` replacing the current and future phases,
//! `end_behavior`, `proration_behavior`, `metadata`), cancel, release. Time passing is in
//! [`crate::schedules`].
//! <https://docs.stripe.com/api/subscription_schedules>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{list_objects, merge_metadata, Created};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::schedules;
use crate::world::World;
use crate::Emulator;

/// The subscription schedule routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/subscription_schedules", post(op(create)).get(op(list)))
        .route(
            "/v1/subscription_schedules/{id}",
            get(op(retrieve)).post(op(update)),
        )
        .route("/v1/subscription_schedules/{id}/cancel", post(op(cancel)))
        .route("/v1/subscription_schedules/{id}/release", post(op(release)))
}

/// A schedule object with nothing started yet; `automatic` is its default automatic tax.
fn blank(
    world: &mut World,
    customer: &Value,
    (end_behavior, automatic): (&str, bool),
    params: &Params,
) -> Value {
    let id = world.new_id("sub_sched");
    json!({
        "id": id,
        "object": "subscription_schedule",
        "application": null,
        "billing_mode": { "flexible": null, "type": "classic" },
        "canceled_at": null,
        "completed_at": null,
        "created": world.now_for_customer(customer["id"].as_str().unwrap_or_default()),
        "current_phase": null,
        "customer": customer["id"],
        "customer_account": null,
        "default_settings": {
            "application_fee_percent": null,
            "automatic_tax": crate::tax::subscription_automatic_tax(automatic),
            "billing_cycle_anchor": "automatic",
            "billing_thresholds": null,
            "collection_method": "charge_automatically",
            "default_payment_method": null,
            "description": null,
            "invoice_settings": { "account_tax_ids": null, "days_until_due": null, "issuer": { "type": "self" } },
            "on_behalf_of": null,
            "transfer_data": null,
        },
        "end_behavior": end_behavior,
        "livemode": false,
        "metadata": params.get("metadata").filter(|value| value.is_object()).cloned().unwrap_or(json!({})),
        "pause_schedules": [],
        "phases": [],
        "released_at": null,
        "released_subscription": null,
        "status": "not_started",
        "subscription": null,
        "test_clock": customer["test_clock"],
    })
}

/// `POST /v1/subscription_schedules`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    if let Some(subscription) = params.str("from_subscription") {
        return from_subscription(world, params, subscription);
    }
    let customer = params.required("customer")?.to_owned();
    let customer = world.get("customer", &customer, "customer")?;
    let now = world.now_for_customer(customer["id"].as_str().unwrap_or_default());
    let start = match params.str("start_date") {
        None | Some("now") => now,
        Some(_) => params.int("start_date")?.unwrap_or(now).max(now),
    };
    let end_behavior = params.str("end_behavior").unwrap_or("release").to_owned();
    let automatic = default_automatic_tax(params)?.unwrap_or(false);
    let mut schedule = blank(world, &customer, (&end_behavior, automatic), params);
    let phases = schedules::parse(world, params, (start, now), &schedule["default_settings"])?;
    schedule["phases"] = json!(phases);
    let id = schedule["id"].as_str().unwrap_or_default().to_owned();
    world.insert(schedule);
    if start <= now {
        if let Err(error) = schedules::start(world, &id) {
            world.remove(&id);
            return Err(error);
        }
    }
    let schedule = world.get("subscription_schedule", &id, "schedule")?;
    world.emit("subscription_schedule.created", &schedule, None);
    Ok(schedule)
}

/// A schedule taking over a subscription: one phase, its items until its period ends.
fn from_subscription(world: &mut World, params: &Params, id: &str) -> Result<Value, ApiError> {
    for param in [
        "customer",
        "phases",
        "start_date",
        "end_behavior",
        "default_settings",
    ] {
        if params.get(param).is_some() {
            return Err(ApiError::invalid(
                format!("You cannot set `{param}` if `from_subscription` is set."),
                Some(param),
            ));
        }
    }
    let subscription = world.get("subscription", id, "from_subscription")?;
    if let Some(managed) = subscription["schedule"].as_str() {
        return Err(ApiError::invalid(
            format!("You cannot migrate a subscription that is already attached to a schedule: `{managed}`."),
            Some("from_subscription"),
        ));
    }
    if matches!(
        subscription["status"].as_str(),
        Some("canceled" | "incomplete_expired")
    ) {
        return Err(ApiError::invalid(
            format!(
                "You cannot migrate a canceled subscription to a subscription schedule: `{id}`."
            ),
            Some("from_subscription"),
        ));
    }
    let customer = world.get(
        "customer",
        subscription["customer"].as_str().unwrap_or_default(),
        "customer",
    )?;
    let automatic = subscription["automatic_tax"]["enabled"] == true;
    let mut schedule = blank(world, &customer, ("release", automatic), params);
    let phase = schedules::from_subscription(&subscription);
    schedule["current_phase"] =
        json!({ "end_date": phase["end_date"], "start_date": phase["start_date"] });
    schedule["phases"] = json!([phase]);
    schedule["status"] = json!("active");
    schedule["subscription"] = json!(id);
    let schedule = world.insert(schedule);
    let mut managed = subscription.clone();
    managed["schedule"] = schedule["id"].clone();
    world.update_and_emit("customer.subscription.updated", &subscription, managed);
    world.emit("subscription_schedule.created", &schedule, None);
    Ok(schedule)
}

/// `default_settings[automatic_tax][enabled]`, if given.
fn default_automatic_tax(params: &Params) -> Result<Option<bool>, ApiError> {
    crate::tax::automatic_tax_param(params, "default_settings.automatic_tax")
}

/// `GET /v1/subscription_schedules/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("subscription_schedule", call.id(), "schedule")
}

/// The schedule in the path, which must still be `not_started` or `active` to be changed.
fn changeable(world: &World, call: &Call, verb: &str, done: &str) -> Result<Value, ApiError> {
    let schedule = world.get("subscription_schedule", call.id(), "schedule")?;
    let status = schedule["status"].as_str().unwrap_or_default();
    if !matches!(status, "not_started" | "active") {
        return Err(ApiError::invalid(format!(
            "You cannot {verb} a subscription schedule that is currently in the `{status}` status. It must be in either the `not_started` or `active` status to be {done}."
        ), None));
    }
    Ok(schedule)
}

/// `POST /v1/subscription_schedules/{id}`
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = changeable(world, call, "update", "updated")?;
    let customer = before["customer"].as_str().unwrap_or_default().to_owned();
    let now = world.now_for_customer(&customer);
    let mut after = before.clone();
    if let Some(end_behavior) = params.str("end_behavior") {
        after["end_behavior"] = json!(end_behavior);
    }
    merge_metadata(&mut after, params);
    if let Some(automatic) = default_automatic_tax(params)? {
        after["default_settings"]["automatic_tax"] =
            crate::tax::subscription_automatic_tax(automatic);
    }
    let active = before["status"] == "active";
    if params.get("phases").is_some() {
        let anchored = params
            .array("phases")
            .iter()
            .any(|phase| phase.get("start_date").is_some());
        if !anchored {
            return Err(ApiError::invalid(
                "Missing at least one phase with `start_date` to anchor end dates.",
                Some("phases"),
            ));
        }
        let current_start = match active {
            true => before["current_phase"]["start_date"]
                .as_i64()
                .unwrap_or(now),
            false => before["phases"][0]["start_date"].as_i64().unwrap_or(now),
        };
        let given = match params.str("phases.0.start_date") {
            None => current_start,
            Some("now") => now,
            Some(_) => params.int("phases.0.start_date")?.unwrap_or(current_start),
        };
        if active && given != current_start {
            return Err(ApiError::invalid(
                "You can not modify the start date of the current phase.",
                Some("phases[0][start_date]"),
            ));
        }
        let start = given.max(now.min(current_start));
        let phases = schedules::parse(world, params, (start, now), &after["default_settings"])?;
        after["phases"] = json!(phases);
        if active {
            after["current_phase"] =
                json!({ "end_date": phases[0]["end_date"], "start_date": phases[0]["start_date"] });
        }
    }
    world.put(after.clone());
    if active && params.get("phases").is_some() {
        let subscription = after["subscription"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let sub = world.get("subscription", &subscription, "subscription")?;
        let proration = params.str("proration_behavior");
        schedules::apply_phase(world, &sub, &after["phases"][0], now, proration);
    }
    let starts = !active
        && after["phases"][0]["start_date"]
            .as_i64()
            .is_some_and(|start| start <= now);
    let after = if starts {
        schedules::start(world, call.id())?
    } else {
        after
    };
    let after = world.update_and_emit("subscription_schedule.updated", &before, after);
    if active {
        // `end_date=now` ends the current phase at once.
        crate::billing::run_due_now(world, after["subscription"].as_str().unwrap_or_default());
    }
    world.get("subscription_schedule", call.id(), "schedule")
}

/// `POST /v1/subscription_schedules/{id}/cancel`: the schedule and its subscription end now
/// (`subscription_schedule.canceled`); a schedule that had not started is aborted
/// (`subscription_schedule.aborted`).
pub fn cancel(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = changeable(world, call, "cancel", "canceled")?;
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let mut after = before.clone();
    after["status"] = json!("canceled");
    after["canceled_at"] = json!(now);
    after["current_phase"] = Value::Null;
    world.put(after.clone());
    if let Some(subscription) = before["subscription"].as_str() {
        crate::billing::cancel_now(world, subscription, "cancellation_requested");
    }
    let kind = if before["status"] == "not_started" {
        "subscription_schedule.aborted"
    } else {
        "subscription_schedule.canceled"
    };
    let previous = crate::world::previous_attributes(&before, &after);
    world.emit(kind, &after, Some(previous));
    Ok(after)
}

/// `POST /v1/subscription_schedules/{id}/release`: the schedule stops managing its subscription,
/// which goes on as it is (`subscription_schedule.released`).
pub fn release(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = changeable(world, call, "release", "released")?;
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let mut after = before.clone();
    after["status"] = json!("released");
    after["released_at"] = json!(now);
    after["released_subscription"] = before["subscription"].clone();
    after["subscription"] = Value::Null;
    after["current_phase"] = Value::Null;
    world.put(after.clone());
    if let Some(id) = before["subscription"].as_str() {
        let subscription = world.get("subscription", id, "subscription")?;
        let mut unmanaged = subscription.clone();
        unmanaged["schedule"] = Value::Null;
        world.update_and_emit("customer.subscription.updated", &subscription, unmanaged);
    }
    let previous = crate::world::previous_attributes(&before, &after);
    world.emit("subscription_schedule.released", &after, Some(previous));
    Ok(after)
}

/// `GET /v1/subscription_schedules`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let scheduled = params.bool("scheduled")?;
    let filters = [
        ("canceled_at", Created::parse_field(params, "canceled_at")?),
        (
            "completed_at",
            Created::parse_field(params, "completed_at")?,
        ),
        ("released_at", Created::parse_field(params, "released_at")?),
    ];
    list_objects(
        world,
        params,
        "subscription_schedule",
        "/v1/subscription_schedules",
        |schedule| {
            let dates_match = filters.iter().all(|(field, filter)| {
                params.get(field).is_none()
                    || schedule[*field]
                        .as_i64()
                        .is_some_and(|at| filter.matches(at))
            });
            dates_match
                && params.matches("customer", &schedule["customer"])
                && scheduled.is_none_or(|wanted| (schedule["status"] == "not_started") == wanted)
        },
    )
}
