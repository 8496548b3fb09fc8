//! PaymentMethods: create from a test card number or token, `pm_card_…` test methods, attach,
//! detach, list (for a customer, with the customer's card sources seen as PaymentMethods).
//! <https://docs.stripe.com/api/payment_methods>

use serde_json::{json, Value};

use super::merge_metadata;
use crate::cards::Card;
use crate::error::ApiError;
use crate::http::Call;
use crate::listing::page;
use crate::payments::debits::BankAccount;
use crate::world::World;

/// `POST /v1/payment_methods`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let kind = params.required("type")?;
    if !crate::payments::METHOD_TYPES.contains(&kind) {
        return Err(ApiError::invalid(
            format!("The emulator supports card and sepa_debit payment methods, not {kind}."),
            Some("type"),
        ));
    }
    let mut payment_method = if kind == "sepa_debit" {
        let account = BankAccount::from_iban(params.required("sepa_debit.iban")?)?;
        store_debit(world, account)
    } else {
        let card = card(world, params)?;
        store(world, card)
    };
    if let Some(name) = params.str("billing_details.name") {
        payment_method["billing_details"]["name"] = json!(name);
    }
    if let Some(email) = params.str("billing_details.email") {
        payment_method["billing_details"]["email"] = json!(email);
    }
    if let Some(phone) = params.str("billing_details.phone") {
        payment_method["billing_details"]["phone"] = json!(phone);
    }
    for field in ["city", "country", "line1", "line2", "postal_code", "state"] {
        if let Some(value) = params.str(&format!("billing_details.address.{field}")) {
            payment_method["billing_details"]["address"][field] = json!(value);
        }
    }
    merge_metadata(&mut payment_method, params);
    world.put(payment_method.clone());
    Ok(payment_method)
}

/// The test card of a `type=card` create: `card[token]` (used up) or `card[number]` with its
/// expiry.
fn card(world: &mut World, params: &crate::form::Params) -> Result<Card, ApiError> {
    Ok(match params.str("card.token") {
        Some(token) => crate::sources::redeem_token(world, token, "card[token]")?.1,
        None => Card::from_number(
            params.required("card.number")?,
            params
                .int("card.exp_month")?
                .ok_or_else(|| ApiError::missing("card.exp_month"))?,
            params
                .int("card.exp_year")?
                .ok_or_else(|| ApiError::missing("card.exp_year"))?,
        )?,
    })
}

/// Stores a new `sepa_debit` PaymentMethod and remembers how its debits settle.
pub fn store_debit(world: &mut World, account: BankAccount) -> Value {
    let id = world.new_id("pm");
    let fingerprint = world.ids.chars(16);
    let payment_method = json!({
        "id": id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": { "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null },
            "email": null,
            "name": null,
            "phone": null,
            "tax_id": null,
        },
        "created": world.now(),
        "customer": null,
        "customer_account": null,
        "livemode": false,
        "metadata": {},
        "sepa_debit": {
            "bank_code": account.bank_code,
            "branch_code": account.branch_code,
            "country": account.country,
            "fingerprint": fingerprint,
            "generated_from": { "charge": null, "setup_attempt": null },
            "last4": account.last4,
        },
        "type": "sepa_debit",
    });
    world.bank_accounts.insert(id, account);
    world.insert(payment_method)
}

/// Stores a new card PaymentMethod and remembers how the card behaves.
pub fn store(world: &mut World, card: Card) -> Value {
    let id = world.new_id("pm");
    let payment_method = json!({
        "id": id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": { "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null },
            "email": null,
            "name": null,
            "phone": null,
            "tax_id": null,
        },
        "card": {
            "brand": card.brand,
            "checks": { "address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass" },
            "country": "US",
            "display_brand": card.brand,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "fingerprint": card.fingerprint,
            "funding": "credit",
            "generated_from": null,
            "last4": card.last4,
            "networks": { "available": [card.brand], "preferred": null },
            "regulated_status": "unregulated",
            "three_d_secure_usage": { "supported": true },
            "wallet": null,
        },
        "created": world.now(),
        "customer": null,
        "customer_account": null,
        "livemode": false,
        "metadata": {},
        "type": "card",
    });
    world.cards.insert(id, card);
    world.insert(payment_method)
}

/// The PaymentMethod with this id: a stored one, or a card source seen as one (`card_…`).
pub fn find(world: &World, id: &str) -> Option<Value> {
    world.find("payment_method", id).cloned().or_else(|| {
        world
            .find("card", id)
            .map(|card| crate::sources::as_payment_method(world, card))
    })
}

/// Like [`find`], or Stripe's 404 naming the parameter.
pub fn get(world: &World, id: &str, param: &str) -> Result<Value, ApiError> {
    find(world, id).ok_or_else(|| ApiError::missing_resource("PaymentMethod", id, param))
}

/// The PaymentMethod for an id, creating `pm_card_visa`-style test methods on first use.
pub fn resolve(world: &mut World, id: &str, param: &str) -> Result<Value, ApiError> {
    if let Some(found) = find(world, id) {
        return Ok(found);
    }
    match Card::from_test_name(id) {
        Some(card) if id.starts_with("pm_card_") => Ok(store(world, card)),
        _ => Err(ApiError::missing_resource("PaymentMethod", id, param)),
    }
}

/// Attaches a PaymentMethod to a customer (the card is checked, as Stripe does on attach).
pub fn attach_to(
    world: &mut World,
    id: &str,
    customer: &str,
    param: &str,
) -> Result<Value, ApiError> {
    world.get("customer", customer, "customer")?;
    let before = resolve(world, id, param)?;
    let id = before["id"].as_str().unwrap_or_default().to_owned();
    match before["customer"].as_str() {
        Some(owner) if owner == customer => return Ok(before),
        Some(_) => {
            return Err(ApiError::invalid(
                "The payment method you provided has already been attached to a customer.",
                Some(param),
            ))
        }
        None => {}
    }
    if let Some(card) = world.cards.get(&id) {
        card.check_on_attach()?;
    }
    let mut payment_method = before.clone();
    payment_method["customer"] = json!(customer);
    world.put(payment_method.clone());
    world.emit("payment_method.attached", &payment_method, None);
    Ok(payment_method)
}

/// Makes a new card the default of a customer and of their live subscriptions (what the hosted
/// portal and invoice pages do), then retries past-due invoices once.
pub fn make_default(world: &mut World, customer: &str, card: Card) -> Result<String, ApiError> {
    let payment_method = store(world, card);
    let pm = payment_method["id"].as_str().unwrap_or_default().to_owned();
    attach_to(world, &pm, customer, "payment_method")?;
    let before = world.get("customer", customer, "customer")?;
    let mut after = before.clone();
    after["invoice_settings"]["default_payment_method"] = json!(pm);
    world.update_and_emit("customer.updated", &before, after);
    let live: Vec<Value> = world
        .all("subscription")
        .filter(|sub| {
            sub["customer"] == customer
                && !matches!(
                    sub["status"].as_str(),
                    Some("canceled" | "incomplete_expired")
                )
        })
        .cloned()
        .collect();
    for before in live {
        let mut after = before.clone();
        after["default_payment_method"] = json!(pm);
        world.update_and_emit("customer.subscription.updated", &before, after);
    }
    crate::billing::card_changed(world, customer);
    Ok(pm)
}

/// `POST /v1/payment_methods/{id}/attach`
pub fn attach(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let customer = call.params.required("customer")?;
    attach_to(world, call.id(), customer, "payment_method")
}

/// `POST /v1/payment_methods/{id}/detach`
pub fn detach(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get("payment_method", call.id(), "payment_method")?;
    let Some(customer) = before["customer"].as_str().map(str::to_owned) else {
        return Err(ApiError::state("The payment method you provided is not attached to a customer so detachment is impossible."));
    };
    let mut payment_method = before.clone();
    payment_method["customer"] = Value::Null;
    world.put(payment_method.clone());
    world.emit(
        "payment_method.detached",
        &payment_method,
        Some(json!({ "customer": customer })),
    );
    if let Some(owner) = world.find("customer", &customer).cloned() {
        if owner["invoice_settings"]["default_payment_method"] == call.id() {
            let mut updated = owner.clone();
            updated["invoice_settings"]["default_payment_method"] = Value::Null;
            world.update_and_emit("customer.updated", &owner, updated);
        }
    }
    Ok(payment_method)
}

/// `GET /v1/payment_methods/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    resolve(world, call.id(), "payment_method")
}

/// `POST /v1/payment_methods/{id}`: `metadata`, `billing_details[name|email]`, `card[exp_*]`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = world.get("payment_method", call.id(), "payment_method")?;
    let mut payment_method = before.clone();
    merge_metadata(&mut payment_method, params);
    for field in ["name", "email"] {
        if let Some(value) = params.str(&format!("billing_details.{field}")) {
            payment_method["billing_details"][field] = json!(value);
        }
    }
    for field in ["exp_month", "exp_year"] {
        if let Some(value) = params.int(&format!("card.{field}"))? {
            payment_method["card"][field] = json!(value);
        }
    }
    Ok(world.update_and_emit("payment_method.updated", &before, payment_method))
}

/// `GET /v1/payment_methods?customer=…`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let customer = call.params.required("customer")?.to_owned();
    listed(world, call, &customer, "/v1/payment_methods")
}

/// `GET /v1/customers/{id}/payment_methods`
pub fn list_for_customer(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("customer", call.id(), "customer")?;
    let url = format!("/v1/customers/{}/payment_methods", call.id());
    listed(world, call, call.id(), &url)
}

/// A customer's PaymentMethods with their card sources among them, newest first.
fn listed(world: &World, call: &Call, customer: &str, url: &str) -> Result<Value, ApiError> {
    let cards: Vec<Value> = crate::sources::of_customer(world, customer)
        .map(|card| crate::sources::as_payment_method(world, card))
        .collect();
    let mut items: Vec<Value> = world
        .all("payment_method")
        .filter(|payment_method| payment_method["customer"] == customer)
        .cloned()
        .chain(cards)
        .filter(|payment_method| {
            call.params
                .str("type")
                .is_none_or(|kind| payment_method["type"] == kind)
        })
        .collect();
    items.sort_by_key(|payment_method| std::cmp::Reverse(payment_method["created"].as_i64()));
    page(items, &call.params, url)
}
