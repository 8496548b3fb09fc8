//! Connected accounts: who controls them (`type` standard|express|custom, or `controller[…]`),
//! their object as Stripe shows it, the platform's own account (`GET /v1/account`), and every
//! change stored with `account.updated` and `capability.updated`.
//! <https://docs.stripe.com/api/accounts/object>,
//! <https://docs.stripe.com/connect/migrate-to-controller-properties>

use serde_json::{json, Value};

use super::requirements;
use crate::error::ApiError;
use crate::form::Params;
use crate::world::{previous_attributes, World};

/// The platform's own account (`GET /v1/account` without `Stripe-Account`).
pub const PLATFORM_ACCOUNT: &str = "acct_1EmulatorPlatform0000";
/// The platform's Connect application, as `account.application.deauthorized` names it.
pub const APPLICATION: &str = "ca_1EmulatorApplication000";

/// Who controls a connected account: who pays Stripe's fees, who covers losses, who collects
/// requirements and which Stripe dashboard the account gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    /// `fees[payer]`: `account`, `application`, `application_express`, `application_custom`.
    pub fees: String,
    /// `losses[payments]`: `stripe` or `application`.
    pub losses: String,
    /// `requirement_collection`: `stripe` or `application`.
    pub collection: String,
    /// `stripe_dashboard[type]`: `full`, `express` or `none`.
    pub dashboard: String,
}

impl Controller {
    fn new(fees: &str, losses: &str, collection: &str, dashboard: &str) -> Self {
        Self {
            fees: fees.to_owned(),
            losses: losses.to_owned(),
            collection: collection.to_owned(),
            dashboard: dashboard.to_owned(),
        }
    }

    /// The controller each legacy account type stands for.
    pub fn of_type(kind: &str) -> Self {
        match kind {
            "express" => Self::new("application_express", "application", "stripe", "express"),
            "custom" => Self::new("application_custom", "application", "application", "none"),
            _ => Self::new("account", "stripe", "stripe", "full"),
        }
    }

    /// The controller given as `controller[…]`; what is left out takes Stripe's defaults for the
    /// rest (requirements collected by Stripe, the full dashboard, and with it fees paid by the
    /// account and losses covered by Stripe; the platform pays and covers otherwise).
    pub fn from_params(params: &Params) -> Result<Self, ApiError> {
        let given = |path: &str| params.str(&format!("controller.{path}"));
        let collection = given("requirement_collection").unwrap_or("stripe");
        let dashboard = given("stripe_dashboard.type").unwrap_or(if collection == "application" {
            "none"
        } else {
            "full"
        });
        let full = dashboard == "full";
        let losses =
            given("losses.payments").unwrap_or(if full { "stripe" } else { "application" });
        let fees = given("fees.payer").unwrap_or(if full { "account" } else { "application" });
        if collection == "application" && (dashboard != "none" || losses != "application") {
            return Err(ApiError::invalid(
                "When `controller[requirement_collection]` is `application`, `controller[stripe_dashboard][type]` must be `none` and `controller[losses][payments]` must be `application`.",
                Some("controller"),
            ));
        }
        if full && (fees != "account" || losses != "stripe") {
            return Err(ApiError::invalid(
                "When `controller[stripe_dashboard][type]` is `full`, `controller[fees][payer]` must be `account` and `controller[losses][payments]` must be `stripe`.",
                Some("controller"),
            ));
        }
        Ok(Self::new(fees, losses, collection, dashboard))
    }

    /// The controller of a stored account.
    pub fn of(account: &Value) -> Self {
        let controller = &account["controller"];
        let field = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        Self {
            fees: field(&controller["fees"]["payer"]),
            losses: field(&controller["losses"]["payments"]),
            collection: field(&controller["requirement_collection"]),
            dashboard: field(&controller["stripe_dashboard"]["type"]),
        }
    }

    /// The account `type` Stripe reports: the legacy type this controller is equivalent to (the
    /// platform paying the fees as `application` or as the type's own `application_express` /
    /// `application_custom`), else `none`.
    pub fn legacy_type(&self) -> &'static str {
        ["standard", "express", "custom"]
            .into_iter()
            .find(|kind| {
                let legacy = Self::of_type(kind);
                let fees = self.fees == legacy.fees
                    || (self.fees == "application" && legacy.fees.starts_with("application_"));
                fees && Self {
                    fees: legacy.fees.clone(),
                    ..self.clone()
                } == legacy
            })
            .unwrap_or("none")
    }

    /// Whether the platform collects the requirements (and may accept the terms for the account).
    pub fn platform_collects(&self) -> bool {
        self.collection == "application"
    }

    fn to_json(&self) -> Value {
        json!({
            "fees": { "payer": self.fees },
            "is_controller": true,
            "losses": { "payments": self.losses },
            "requirement_collection": self.collection,
            "stripe_dashboard": { "type": self.dashboard },
            "type": "application",
        })
    }
}

/// The currency an account in `country` is paid out in unless told otherwise.
pub fn currency_of_country(country: &str) -> &'static str {
    match country {
        "GB" => "gbp",
        "CA" => "cad",
        "AU" => "aud",
        "JP" => "jpy",
        "CH" => "chf",
        "AT" | "BE" | "DE" | "ES" | "FI" | "FR" | "IE" | "IT" | "LU" | "NL" | "PT" => "eur",
        _ => "usd",
    }
}

/// A new account object with nothing filled in yet.
pub fn blank(id: &str, controller: &Controller, country: &str, currency: &str, now: i64) -> Value {
    let address = json!({
        "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null,
    });
    json!({
        "id": id,
        "object": "account",
        "business_profile": {
            "annual_revenue": null, "estimated_worker_count": null, "mcc": null,
            "minority_owned_business_designation": null, "name": null,
            "product_description": null, "support_address": address, "support_email": null,
            "support_phone": null, "support_url": null, "url": null,
        },
        "business_type": null,
        "capabilities": {},
        "charges_enabled": false,
        "controller": controller.to_json(),
        "country": country,
        "created": now,
        "default_currency": currency,
        "details_submitted": false,
        "email": null,
        "external_accounts": {
            "object": "list", "data": [], "has_more": false, "total_count": 0,
            "url": format!("/v1/accounts/{id}/external_accounts"),
        },
        "future_requirements": requirements::none(),
        "metadata": {},
        "payouts_enabled": false,
        "requirements": requirements::none(),
        "settings": {
            "bacs_debit_payments": { "display_name": null, "service_user_number": null },
            "branding": { "icon": null, "logo": null, "primary_color": null, "secondary_color": null },
            "card_issuing": { "tos_acceptance": { "date": null, "ip": null } },
            "card_payments": {
                "decline_on": { "avs_failure": false, "cvc_failure": false },
                "statement_descriptor_prefix": null, "statement_descriptor_prefix_kana": null,
                "statement_descriptor_prefix_kanji": null,
            },
            "dashboard": { "display_name": null, "timezone": "Etc/UTC" },
            "invoices": { "default_account_tax_ids": null, "hosted_payment_method_save": null },
            "payments": {
                "statement_descriptor": null, "statement_descriptor_kana": null,
                "statement_descriptor_kanji": null, "statement_descriptor_prefix_kana": null,
                "statement_descriptor_prefix_kanji": null,
            },
            "payouts": {
                "debit_negative_balances": controller.losses == "application",
                "schedule": { "delay_days": 2, "interval": "daily" },
                "statement_descriptor": null,
            },
            "sepa_debit_payments": {},
        },
        "tos_acceptance": { "date": null, "ip": null, "user_agent": null },
        "type": controller.legacy_type(),
    })
}

/// The platform's own account, as `GET /v1/account` shows it to the platform.
pub fn platform(world: &World) -> Value {
    let mut account = blank(
        PLATFORM_ACCOUNT,
        &Controller::of_type("standard"),
        "US",
        "usd",
        0,
    );
    account["controller"] = json!({ "type": "account" });
    account["type"] = json!("standard");
    account["charges_enabled"] = json!(true);
    account["payouts_enabled"] = json!(true);
    account["details_submitted"] = json!(true);
    account["business_type"] = json!("company");
    account["business_profile"]["name"] = json!("Stripe emulator platform");
    account["settings"]["dashboard"]["display_name"] = json!("Stripe emulator platform");
    let bank_id = world.payout_accounts.current.clone();
    let bank = super::bank_accounts::Details {
        country: "US".to_owned(),
        currency: "usd".to_owned(),
        routing_number: crate::money::payouts::ROUTING_NUMBER.to_owned(),
        account_number: world
            .payout_accounts
            .numbers
            .get(&bank_id)
            .cloned()
            .unwrap_or_default(),
        holder_name: None,
        holder_type: None,
    };
    let mut bank = bank.object(&bank_id);
    bank["account"] = json!(PLATFORM_ACCOUNT);
    bank["default_for_currency"] = json!(true);
    account["external_accounts"]["data"] = json!([bank]);
    account["external_accounts"]["total_count"] = json!(1);
    account["external_accounts"]["url"] =
        json!(format!("/v1/accounts/{PLATFORM_ACCOUNT}/external_accounts"));
    account
}

/// A connected account of the platform, or Stripe's 403 for an id the key cannot reach.
pub fn get(world: &World, api_key: &str, id: &str) -> Result<Value, ApiError> {
    world
        .connected_account(id)
        .cloned()
        .ok_or_else(|| ApiError::account_invalid(api_key, id))
}

/// Brings an account's derived fields up to date (external accounts, requirements,
/// capabilities, what is enabled) and stores it; when it existed before, emits `account.updated`
/// with what changed and `capability.updated` for each capability whose status changed, as the
/// account.
pub fn save(world: &mut World, before: Option<&Value>, mut account: Value) -> Value {
    let id = account["id"].as_str().unwrap_or_default().to_owned();
    requirements::derive(world, &mut account);
    world.put(account.clone());
    let Some(before) = before else {
        return account;
    };
    let previous = previous_attributes(before, &account);
    if previous
        .as_object()
        .is_none_or(|changed| changed.is_empty())
    {
        return account;
    }
    world.as_account(Some(&id), |world| {
        world.emit("account.updated", &account, Some(previous));
        let statuses = account["capabilities"].as_object().cloned().unwrap_or_default();
        for (name, status) in statuses {
            let old = &before["capabilities"][&name];
            if *old != status {
                let capability = capability(world, &account, &name);
                let previous = json!({ "status": if old.is_null() { json!("unrequested") } else { old.clone() } });
                world.emit("capability.updated", &capability, Some(previous));
            }
        }
    });
    account
}

/// One capability of an account as its own object.
pub fn capability(world: &World, account: &Value, name: &str) -> Value {
    let id = account["id"].as_str().unwrap_or_default();
    let requested_at = world
        .connect
        .capabilities
        .get(id)
        .and_then(|requested| requested.get(name))
        .copied();
    let status = account["capabilities"][name]
        .as_str()
        .unwrap_or("unrequested");
    json!({
        "id": name,
        "object": "capability",
        "account": id,
        "future_requirements": requirements::none(),
        "requested": requested_at.is_some(),
        "requested_at": requested_at,
        "requirements": account["requirements"],
        "status": status,
    })
}

/// Requests (or stops requesting) capabilities from `capabilities[name][requested]`.
pub fn request_capabilities(
    world: &mut World,
    account: &str,
    params: &Params,
    path: &str,
) -> Result<(), ApiError> {
    let Some(Value::Object(asked)) = params.get(path) else {
        return Ok(());
    };
    let now = world.now();
    for name in asked.keys() {
        let wanted = params.bool(&format!("{path}.{name}.requested"))?;
        let requested = world
            .connect
            .capabilities
            .entry(account.to_owned())
            .or_default();
        match wanted {
            Some(true) => {
                requested.entry(name.clone()).or_insert(now);
            }
            Some(false) => {
                requested.remove(name);
            }
            None => {}
        }
    }
    Ok(())
}

/// Deletes a connected account: `{id, object: "account", deleted: true}`; a Standard account's
/// platform is told with `account.application.deauthorized` (its `data.object` the platform's
/// application), as Stripe tells it.
pub fn delete(world: &mut World, api_key: &str, id: &str) -> Result<Value, ApiError> {
    let account = get(world, api_key, id)?;
    if Controller::of(&account).dashboard == "full" {
        let application = json!({ "id": APPLICATION, "object": "application", "name": null });
        world.as_account(Some(id), |world| {
            world.emit("account.application.deauthorized", &application, None)
        });
    }
    world.remove(id);
    world.connect.capabilities.remove(id);
    world.connect.next_payout.remove(id);
    world.connect.links.retain(|_, link| link.account != id);
    world.connect.logins.retain(|_, account| account != id);
    Ok(json!({ "id": id, "object": "account", "deleted": true }))
}
