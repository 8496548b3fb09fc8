//! Billing portal sessions: create (`customer`, `return_url`, `configuration`); the hosted page
//! lives in `pages`.
//! <https://docs.stripe.com/api/customer_portal/sessions>

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::http::Call;
use crate::world::World;

/// The portal configuration of sessions that name none: the emulator's own, set by its flags.
const DEFAULT_CONFIGURATION: &str = "bpc_emulator";

/// `POST /v1/billing_portal/sessions`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let customer = params.required("customer")?;
    if let Some(return_url) = params.str("return_url") {
        super::check_url(return_url, "return_url")?;
    }
    world.get("customer", customer, "customer")?;
    let configuration = match params.str("configuration") {
        Some(id) => world.get("billing_portal.configuration", id, "configuration")?["id"].clone(),
        None => json!(DEFAULT_CONFIGURATION),
    };
    let id = world.new_id("bps");
    let session = json!({
        "id": id,
        "object": "billing_portal.session",
        "configuration": configuration,
        "created": world.now_for_customer(customer),
        "customer": customer,
        "customer_account": null,
        "flow": flow(params),
        "livemode": false,
        "locale": params.str("locale"),
        "on_behalf_of": null,
        "return_url": params.str("return_url"),
        "url": format!("{}/portal/{id}", call.base_url),
    });
    world.insert(session.clone());
    world.emit("billing_portal.session.created", &session, None);
    Ok(session)
}

/// The session's `flow` from `flow_data` (the emulator's portal page shows the full portal for
/// every flow; a `payment_method_update` flow with a redirect returns once the card is saved).
fn flow(params: &crate::form::Params) -> Value {
    let Some(kind) = params.str("flow_data.type") else {
        return Value::Null;
    };
    let after = params
        .str("flow_data.after_completion.type")
        .unwrap_or("portal_homepage");
    json!({
        "type": kind,
        "after_completion": {
            "type": after,
            "redirect": params.str("flow_data.after_completion.redirect.return_url").map(|url| json!({ "return_url": url })),
            "hosted_confirmation": (after == "hosted_confirmation").then(|| json!({
                "custom_message": params.str("flow_data.after_completion.hosted_confirmation.custom_message"),
            })),
        },
        "subscription_cancel": params.str("flow_data.subscription_cancel.subscription").map(|subscription| json!({ "subscription": subscription, "retention": null })),
        "subscription_update": params.str("flow_data.subscription_update.subscription").map(|subscription| json!({ "subscription": subscription })),
        "subscription_update_confirm": params.str("flow_data.subscription_update_confirm.subscription").map(|subscription| json!({
            "subscription": subscription,
            "items": params.get("flow_data.subscription_update_confirm.items").cloned().unwrap_or(json!([])),
            "discounts": null,
        })),
    })
}
