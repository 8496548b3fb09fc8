//! Checkout Sessions: create (`subscription` and `payment` mode), retrieve, list, expire, line
//! items. Completion (hosted page or `payment_pages`) is in [`super::checkout_completion`].
//! <https://docs.stripe.com/api/checkout/sessions>

use serde_json::{json, Value};

pub use super::checkout_completion::{complete, payment_settled, Payer};
pub use super::checkout_discounts::apply_code;
pub use super::checkout_tax::BuyerDetails;
use super::list_objects;
use crate::error::ApiError;
use crate::form::Params;
use crate::http::Call;
use crate::listing::page;
use crate::payments;
use crate::world::World;

/// `POST /v1/checkout/sessions`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let mode = params
        .one_of("mode", &["payment", "subscription", "setup"])?
        .ok_or_else(|| ApiError::missing("mode"))?;
    if mode == "setup" {
        return Err(ApiError::invalid(
            "The emulator supports `payment` and `subscription` mode only.",
            Some("mode"),
        ));
    }
    let success_url = params.required("success_url")?.to_owned();
    super::check_url(&success_url, "success_url")?;
    if let Some(cancel_url) = params.str("cancel_url") {
        super::check_url(cancel_url, "cancel_url")?;
    }
    let customer = match params.str("customer") {
        Some(customer) => Some(world.get("customer", customer, "customer")?),
        None => None,
    };
    if customer.is_some() && params.str("customer_email").is_some() {
        return Err(ApiError::invalid(
            "You may only specify one of these parameters: customer, customer_email.",
            Some("customer_email"),
        ));
    }
    let entries = params.array("line_items");
    if entries.is_empty() {
        return Err(ApiError::missing("line_items"));
    }
    let id = world.new_id("cs");
    let Priced {
        mut line_items,
        currency,
        subtotal,
    } = priced_line_items(world, &entries, &mode)?;
    for (index, item) in line_items.iter_mut().enumerate() {
        item["taxes"] = super::checkout_tax::item_rates(world, params, index)?;
    }
    let (automatic_tax, tax_id_collection) =
        super::checkout_tax::session_settings(params, customer.as_ref(), &line_items)?;
    let currency_code = currency.as_ref().and_then(Value::as_str).unwrap_or("usd");
    // At this API version Checkout takes `allowed_payment_method_types` (`payment_method_types`
    // is gone from its parameters; the session still reports the types it accepts under it).
    let method_types = params.strings("allowed_payment_method_types");
    check_method_types(&method_types, &mode, currency_code)?;
    let payment_intent_data = payment_intent_data(params, &mode)?;
    let trial_days = params.int_in(
        "subscription_data.trial_period_days",
        1..=super::MAX_TRIAL_DAYS,
    )?;
    if trial_days.is_some() && mode != "subscription" {
        return Err(ApiError::invalid(
            "`subscription_data` can only be used in `subscription` mode.",
            Some("subscription_data"),
        ));
    }
    let discounts = super::checkout_discounts::requested(
        world,
        params,
        customer
            .as_ref()
            .and_then(|customer| customer["id"].as_str()),
    )?;
    let now = match &customer {
        Some(customer) => world.now_for_customer(customer["id"].as_str().unwrap_or_default()),
        None => world.now(),
    };
    // Stripe: between 30 minutes and 24 hours from now.
    let expires_at = params
        .int_in("expires_at", now + 1800..=now + 24 * 3600)?
        .unwrap_or(now + 24 * 3600);
    let mut session = json!({
        "id": id,
        "object": "checkout.session",
        "adaptive_pricing": { "enabled": false },
        "after_expiration": null,
        "allow_promotion_codes": params.bool("allow_promotion_codes")?,
        "allowed_payment_method_types": if method_types.is_empty() { Value::Null } else { json!(method_types) },
        "amount_subtotal": subtotal,
        "amount_total": subtotal,
        "automatic_tax": automatic_tax,
        "billing_address_collection": params.str("billing_address_collection"),
        "cancel_url": params.str("cancel_url"),
        "client_reference_id": params.str("client_reference_id"),
        "client_secret": null,
        "collected_information": null,
        "consent": null,
        "consent_collection": null,
        "created": now,
        "currency": currency,
        "currency_conversion": null,
        "custom_fields": [],
        "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
        "customer": customer.as_ref().map(|customer| customer["id"].clone()),
        "customer_account": null,
        "customer_creation": if customer.is_some() || mode == "subscription" { Value::Null } else { json!(params.str("customer_creation").unwrap_or("if_required")) },
        "customer_details": customer.as_ref().map(|customer| json!({
            "address": customer["address"], "business_name": null, "email": customer["email"], "individual_name": null,
            "name": customer["name"], "phone": customer["phone"], "tax_exempt": "none", "tax_ids": [],
        })),
        "customer_email": params.str("customer_email"),
        "discounts": super::checkout_discounts::entries(&discounts),
        "expires_at": expires_at,
        "integration_identifier": null,
        "invoice": null,
        "invoice_creation": if mode == "payment" { json!({ "enabled": false, "invoice_data": null }) } else { Value::Null },
        "livemode": false,
        "locale": params.str("locale"),
        "managed_payments": null,
        "metadata": params.get("metadata").filter(|value| value.is_object()).cloned().unwrap_or(json!({})),
        "mode": mode,
        "origin_context": null,
        "payment_intent": null,
        "payment_link": null,
        "payment_method_collection": if mode == "subscription" { json!(params.str("payment_method_collection").unwrap_or("always")) } else { Value::Null },
        "payment_method_configuration_details": null,
        "payment_method_options": {},
        "payment_intent_data": payment_intent_data,
        "payment_method_types": if method_types.is_empty() { json!(["card"]) } else { json!(method_types) },
        "payment_status": "unpaid",
        "permissions": null,
        "phone_number_collection": { "enabled": false },
        "recovered_from": null,
        "saved_payment_method_options": null,
        "setup_intent": null,
        "shipping_address_collection": null,
        "shipping_cost": null,
        "shipping_options": [],
        "status": "open",
        "submit_type": params.str("submit_type"),
        "subscription": null,
        "subscription_data": {
            "trial_period_days": trial_days,
            "metadata": params.get("subscription_data.metadata").cloned().unwrap_or(json!({})),
            "missing_payment_method": params.str("subscription_data.trial_settings.end_behavior.missing_payment_method").unwrap_or("create_invoice"),
        },
        "success_url": success_url,
        "tax_id_collection": tax_id_collection,
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
        "ui_mode": params.str("ui_mode").unwrap_or("hosted_page"),
        "url": format!("{}/checkout/{id}", call.base_url),
        "wallet_options": null,
    });
    super::checkout_discounts::set_totals(&mut session, &discounts, &line_items);
    let place = customer.as_ref().and_then(crate::tax::location);
    super::checkout_tax::apply(world, &mut session, &mut line_items, place);
    if let Some(update) = params.get("customer_update") {
        world
            .checkout_customer_update
            .insert(id.clone(), update.clone());
    }
    world.line_items.insert(id.clone(), line_items);
    world.insert(session);
    retrieve_stored(world, &id)
}

/// A session's line items with the currency they share and their sum.
struct Priced {
    /// The `item` objects, as the line items list shows them.
    line_items: Vec<Value>,
    /// The shared currency (None only without items).
    currency: Option<Value>,
    /// The sum of the items' amounts.
    subtotal: i64,
}

/// The `line_items[]`: each an active price in one currency, one-time in `payment` mode and
/// starting with a recurring one in `subscription` mode.
fn priced_line_items(
    world: &mut World,
    entries: &[&Value],
    mode: &str,
) -> Result<Priced, ApiError> {
    let mut line_items = Vec::new();
    let mut currency = None;
    let mut subtotal = 0;
    for (index, entry) in entries.iter().enumerate() {
        let price_id = entry["price"]
            .as_str()
            .ok_or_else(|| ApiError::missing(&format!("line_items.{index}.price")))?;
        let price = world.get("price", price_id, &format!("line_items[{index}][price]"))?;
        if !price["active"].as_bool().unwrap_or(false) {
            return Err(ApiError::invalid(
                format!("The price specified ({price_id}) is inactive."),
                Some(&format!("line_items[{index}][price]")),
            ));
        }
        let metered = crate::metering::is_metered(&price);
        if metered && entry.get("quantity").is_some() {
            return Err(ApiError::invalid(
                format!(
                    "Quantity should not be specified where usage_type is `metered`. Remove \
                     quantity from `line_items[{index}]`"
                ),
                Some(&format!("line_items[{index}][quantity]")),
            ));
        }
        let quantity =
            super::quantity(entry, &format!("line_items[{index}][quantity]"), 1)?.unwrap_or(1);
        if mode == "payment" && price["type"] == "recurring" {
            return Err(ApiError::invalid(
                "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.",
                Some(&format!("line_items[{index}][price]")),
            ));
        }
        if mode == "subscription" && index == 0 && price["type"] != "recurring" {
            return Err(ApiError::invalid(
                "You must provide at least one recurring price in `subscription` mode when using prices.",
                Some("line_items"),
            ));
        }
        match &currency {
            None => currency = Some(price["currency"].clone()),
            Some(currency) if *currency != price["currency"] => {
                return Err(ApiError::invalid(
                    "All line items must share one currency.",
                    Some("line_items"),
                ))
            }
            Some(_) => {}
        }
        let amount = if metered {
            0
        } else {
            price["unit_amount"].as_i64().unwrap_or(0) * quantity
        };
        subtotal += amount;
        let description = world
            .find("product", price["product"].as_str().unwrap_or_default())
            .and_then(|product| product["name"].as_str())
            .unwrap_or_default()
            .to_owned();
        let item_id = world.new_id("li");
        line_items.push(json!({
            "id": item_id, "object": "item", "adjustable_quantity": null, "amount_discount": 0,
            "amount_subtotal": amount, "amount_tax": 0, "amount_total": amount, "currency": price["currency"],
            "description": description, "metadata": {}, "price": price,
            "quantity": if metered { Value::Null } else { json!(quantity) },
        }));
    }
    Ok(Priced {
        line_items,
        currency,
        subtotal,
    })
}

/// `allowed_payment_method_types[]`: the emulated kinds, SEPA debits only for euros in
/// `payment` mode.
fn check_method_types(
    method_types: &[String],
    mode: &str,
    currency_code: &str,
) -> Result<(), ApiError> {
    for (index, kind) in method_types.iter().enumerate() {
        let param = format!("allowed_payment_method_types[{index}]");
        if !payments::METHOD_TYPES.contains(&kind.as_str()) {
            return Err(ApiError::invalid(
                format!(
                    "The emulator supports allowed_payment_method_types card and sepa_debit, not {kind}."
                ),
                Some(&param),
            ));
        }
        if kind == "sepa_debit" && mode != "payment" {
            return Err(ApiError::invalid(
                "The emulator takes sepa_debit in `payment` mode only.",
                Some(&param),
            ));
        }
        if kind == "sepa_debit" && currency_code != "eur" {
            return Err(ApiError::invalid(
                format!("The currency provided ({currency_code}) is invalid. Payments with sepa_debit support the following currencies: eur."),
                Some(&param),
            ));
        }
    }
    Ok(())
}

/// `payment_intent_data[…]`, for the PaymentIntent a `payment` mode session makes.
fn payment_intent_data(params: &Params, mode: &str) -> Result<Value, ApiError> {
    if params.get("payment_intent_data").is_some() && mode != "payment" {
        return Err(ApiError::invalid(
            "`payment_intent_data` can only be used in `payment` mode.",
            Some("payment_intent_data"),
        ));
    }
    Ok(json!({
        "capture_method": params.one_of("payment_intent_data.capture_method", &["automatic", "automatic_async", "manual"])?,
        "description": params.str("payment_intent_data.description"),
        "metadata": params.get("payment_intent_data.metadata").filter(|value| value.is_object()).cloned().unwrap_or(json!({})),
        "receipt_email": params.str("payment_intent_data.receipt_email"),
        "setup_future_usage": params.one_of("payment_intent_data.setup_future_usage", &["on_session", "off_session"])?,
        "shipping": super::payment_intents::shipping(params, "payment_intent_data.shipping")?,
        "statement_descriptor": params.str("payment_intent_data.statement_descriptor"),
        "statement_descriptor_suffix": params.str("payment_intent_data.statement_descriptor_suffix"),
    }))
}

/// A stored session as the API shows it (without the emulator's private `subscription_data`).
pub fn retrieve_stored(world: &World, id: &str) -> Result<Value, ApiError> {
    Ok(public(world.get("checkout.session", id, "session")?))
}

/// A session without what the emulator keeps for completing it: the subscription and payment
/// intent settings, which Stripe does not show.
pub(super) fn public(mut session: Value) -> Value {
    if let Some(map) = session.as_object_mut() {
        map.remove("subscription_data");
        map.remove("payment_intent_data");
    }
    session
}

/// `GET /v1/checkout/sessions/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    expire_if_due(world, call.id());
    retrieve_stored(world, call.id())
}

/// `POST /v1/checkout/sessions/{id}`: only `metadata` can change.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let mut session = world.get("checkout.session", call.id(), "session")?;
    super::merge_metadata(&mut session, &call.params);
    world.put(session);
    retrieve_stored(world, call.id())
}

/// `GET /v1/checkout/sessions/{id}/line_items`
pub fn line_items(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("checkout.session", call.id(), "session")?;
    let items = world.line_items.get(call.id()).cloned().unwrap_or_default();
    page(
        items,
        &call.params,
        &format!("/v1/checkout/sessions/{}/line_items", call.id()),
    )
}

/// `POST /v1/checkout/sessions/{id}/expire`
pub fn expire(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let session = world.get("checkout.session", call.id(), "session")?;
    if session["status"] != "open" {
        return Err(ApiError::state(format!(
            "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of \"{}\".",
            session["status"].as_str().unwrap_or_default()
        )));
    }
    mark_expired(world, session);
    retrieve_stored(world, call.id())
}

fn mark_expired(world: &mut World, before: Value) {
    let mut session = before.clone();
    session["status"] = json!("expired");
    session["url"] = Value::Null;
    world.put(session.clone());
    world.emit("checkout.session.expired", &public(session), None);
}

/// Expires an open session whose `expires_at` has passed.
pub fn expire_if_due(world: &mut World, id: &str) {
    let Some(session) = world.find("checkout.session", id).cloned() else {
        return;
    };
    // A session for a customer on a test clock lives on that clock.
    let now = match session["customer"].as_str() {
        Some(customer) => world.now_for_customer(customer),
        None => world.now(),
    };
    if session["status"] == "open" && session["expires_at"].as_i64().is_some_and(|at| at <= now) {
        mark_expired(world, session);
    }
}

/// `GET /v1/checkout/sessions`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let mut list = list_objects(
        world,
        params,
        "checkout.session",
        "/v1/checkout/sessions",
        |session| {
            params.matches("customer", &session["customer"])
                && params.matches("subscription", &session["subscription"])
                && params.matches("payment_intent", &session["payment_intent"])
                && params.matches("status", &session["status"])
                && params.matches(
                    "customer_details.email",
                    &session["customer_details"]["email"],
                )
        },
    )?;
    for session in list["data"].as_array_mut().into_iter().flatten() {
        *session = public(session.take());
    }
    Ok(list)
}

/// Expires every open session whose `expires_at` has passed (run as the clock moves).
pub fn expire_due(world: &mut World) {
    let now = world.now();
    let due: Vec<String> = world
        .all("checkout.session")
        .filter(|session| {
            session["status"] == "open"
                && session["expires_at"].as_i64().is_some_and(|at| at <= now)
        })
        .filter_map(|session| session["id"].as_str().map(str::to_owned))
        .collect();
    for id in due {
        expire_if_due(world, &id);
    }
}
