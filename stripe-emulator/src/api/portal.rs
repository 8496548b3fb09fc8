//! Billing portal sessions: create (`customer`, `return_url`); the hosted page lives in `pages`.
//! <https://docs.stripe.com/api/customer_portal/sessions>

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::http::Call;
use crate::world::World;

/// `POST /v1/billing_portal/sessions`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    params.allow(&[
        "customer",
        "return_url",
        "locale",
        "configuration",
        "on_behalf_of",
        "flow_data.type",
        "flow_data.*",
    ])?;
    let customer = params.required("customer")?;
    world.get("customer", customer, "customer")?;
    let id = world.new_id("bps");
    let session = json!({
        "id": id,
        "object": "billing_portal.session",
        "configuration": "bpc_emulator",
        "created": world.now_for_customer(customer),
        "customer": customer,
        "customer_account": null,
        "flow": null,
        "livemode": false,
        "locale": params.str("locale"),
        "on_behalf_of": null,
        "return_url": params.str("return_url"),
        "url": format!("{}/portal/{id}", call.base_url),
    });
    Ok(world.insert(session))
}
