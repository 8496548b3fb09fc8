//! Test clocks: create, retrieve, list, delete, advance. Customers created on a clock, and their
//! subscriptions and invoices, live at the clock's `frozen_time`.
//! <https://docs.stripe.com/api/test_clocks>

use serde_json::{json, Value};

use super::deleted;
use crate::error::ApiError;
use crate::http::Call;
use crate::listing::page;
use crate::world::World;

const KIND: &str = "test_helpers.test_clock";
/// Test clocks live between 2000 and 2100, which keeps every date computation in range.
const EARLIEST: i64 = 946_684_800;
const LATEST: i64 = 4_102_444_800;

/// `POST /v1/test_helpers/test_clocks`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let frozen_time = call
        .params
        .int_in("frozen_time", EARLIEST..=LATEST)?
        .ok_or_else(|| ApiError::missing("frozen_time"))?;
    let id = world.new_id("clock");
    let clock = json!({
        "id": id,
        "object": KIND,
        "created": world.now(),
        "deletes_after": world.now() + 30 * crate::billing::DAY,
        "frozen_time": frozen_time,
        "livemode": false,
        "name": call.params.str("name"),
        "status": "ready",
        "status_details": {},
    });
    world.insert(clock.clone());
    world.emit("test_helpers.test_clock.created", &clock, None);
    Ok(clock)
}

/// `GET /v1/test_helpers/test_clocks/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get(KIND, call.id(), "test_clock")
}

/// `GET /v1/test_helpers/test_clocks`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let items = world.all(KIND).cloned().collect();
    page(items, &call.params, "/v1/test_helpers/test_clocks")
}

/// `DELETE /v1/test_helpers/test_clocks/{id}`: deletes the clock and its customers (their
/// subscriptions stay readable but no longer move).
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let clock = world.get(KIND, call.id(), "test_clock")?;
    let customers: Vec<String> = world
        .all("customer")
        .filter(|customer| customer["test_clock"] == call.id())
        .filter_map(|customer| customer["id"].as_str().map(str::to_owned))
        .collect();
    for customer in customers {
        world.remove(&customer);
        world.deleted_customers.insert(customer);
    }
    world.remove(call.id());
    world.emit("test_helpers.test_clock.deleted", &clock, None);
    Ok(deleted(call.id(), KIND))
}

/// `POST /v1/test_helpers/test_clocks/{id}/advance`: moves the clock to `frozen_time` and runs
/// every renewal, trial end and retry that falls due on the way. The answer says `advancing`, as
/// Stripe's does; by the time it arrives the work is done and the clock reads `ready`.
pub fn advance(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get(KIND, call.id(), "test_clock")?;
    let target = call
        .params
        .int_in("frozen_time", EARLIEST..=LATEST)?
        .ok_or_else(|| ApiError::missing("frozen_time"))?;
    let current = before["frozen_time"].as_i64().unwrap_or_default();
    if target <= current {
        return Err(ApiError::invalid(
            "The frozen_time must be after the test clock's current frozen_time.",
            Some("frozen_time"),
        ));
    }
    let mut advancing = before.clone();
    advancing["status"] = json!("advancing");
    advancing["status_details"] = json!({ "advancing": { "target_frozen_time": target } });
    world.emit("test_helpers.test_clock.advancing", &advancing, None);
    crate::billing::run_due(world, Some(call.id()), target);
    crate::metering::credits::expire_due(world);
    let mut ready = world.get(KIND, call.id(), "test_clock")?;
    ready["frozen_time"] = json!(target);
    ready["status"] = json!("ready");
    world.put(ready.clone());
    world.emit("test_helpers.test_clock.ready", &ready, None);
    Ok(advancing_view(ready, target))
}

fn advancing_view(mut clock: Value, target: i64) -> Value {
    clock["status"] = json!("advancing");
    clock["status_details"] = json!({ "advancing": { "target_frozen_time": target } });
    clock
}
