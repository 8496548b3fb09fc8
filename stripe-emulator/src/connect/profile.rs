//! The details a platform gives an account on create and update (`email`, `business_type`,
//! `business_profile[…]`, `individual[…]`, `tos_acceptance[…]`, `settings[payouts][…]`,
//! `default_currency`, `metadata`) and that the hosted onboarding form fills in.
//! <https://docs.stripe.com/api/accounts/update>

use serde_json::{json, Map, Value};

use super::accounts::Controller;
use crate::error::ApiError;
use crate::form::Params;

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Applies the account parameters Stripe lets a platform set. `tos_acceptance` is refused for
/// accounts whose requirements Stripe collects (Standard and Express), as Stripe refuses it.
pub fn apply(account: &mut Value, params: &Params, now: i64) -> Result<(), ApiError> {
    for field in ["email", "business_type"] {
        if let Some(value) = params.str(field) {
            account[field] = if value.is_empty() {
                Value::Null
            } else {
                json!(value)
            };
        }
    }
    if let Some(currency) = params
        .str("default_currency")
        .filter(|value| !value.is_empty())
    {
        account["default_currency"] = json!(currency.to_ascii_lowercase());
    }
    if let Some(Value::Object(profile)) = params.get("business_profile") {
        merge_strings(&mut account["business_profile"], profile);
    }
    if let Some(Value::Object(individual)) = params.get("individual") {
        let id = account["id"].as_str().unwrap_or_default().to_owned();
        let person = person_of(account, &id, now);
        merge_strings(person, individual);
        for part in ["day", "month", "year"] {
            let path = format!("individual.dob.{part}");
            let range = match part {
                "day" => 1..=31,
                "month" => 1..=12,
                _ => 1900..=2100,
            };
            if let Some(value) = params.int_in(&path, range)? {
                person["dob"][part] = json!(value);
            }
        }
    }
    if let Some(Value::Object(_)) = params.get("tos_acceptance") {
        if !Controller::of(account).platform_collects() {
            return Err(ApiError::invalid(
                "You cannot accept the Terms of Service on behalf of accounts where `controller[requirement_collection]=stripe`, which includes Standard and Express accounts.",
                Some("tos_acceptance"),
            ));
        }
        let tos = &mut account["tos_acceptance"];
        if let Some(date) = params.int("tos_acceptance.date")? {
            tos["date"] = json!(date);
        }
        for field in ["ip", "user_agent", "service_agreement"] {
            if let Some(value) = params.str(&format!("tos_acceptance.{field}")) {
                tos[field] = json!(value);
            }
        }
    }
    payouts(account, params)?;
    crate::api::merge_metadata(account, params);
    Ok(())
}

/// The account's `individual`, made on first use.
fn person_of<'a>(account: &'a mut Value, id: &str, now: i64) -> &'a mut Value {
    if account["individual"].is_null() {
        account["individual"] = json!({
            "id": format!("person_{}", id.trim_start_matches("acct_")),
            "object": "person",
            "account": id,
            "address": {
                "city": null, "country": null, "line1": null, "line2": null,
                "postal_code": null, "state": null,
            },
            "additional_tos_acceptances": { "account": { "date": null, "ip": null, "user_agent": null } },
            "created": now,
            "dob": { "day": null, "month": null, "year": null },
            "email": null,
            "first_name": null,
            "future_requirements": requirements_of_person(),
            "id_number_provided": false,
            "last_name": null,
            "metadata": {},
            "phone": null,
            "relationship": {
                "authorizer": null, "director": false, "executive": false, "legal_guardian": false,
                "owner": false, "percent_ownership": null, "representative": true, "title": null,
            },
            "requirements": requirements_of_person(),
            "ssn_last_4_provided": false,
            "verification": {
                "additional_document": { "back": null, "details": null, "details_code": null, "front": null },
                "details": null, "details_code": null,
                "document": { "back": null, "details": null, "details_code": null, "front": null },
                "status": "verified",
            },
        });
    }
    &mut account["individual"]
}

fn requirements_of_person() -> Value {
    json!({
        "alternatives": [], "currently_due": [], "errors": [], "eventually_due": [],
        "past_due": [], "pending_verification": [],
    })
}

/// Fills the individual's name, email and date of birth (the hosted onboarding form).
pub fn set_individual(account: &mut Value, person: &Map<String, Value>, now: i64) {
    let id = account["id"].as_str().unwrap_or_default().to_owned();
    merge_strings(person_of(account, &id, now), person);
}

/// Copies the string fields of `given` (nested hashes recursively) onto `target`; an empty
/// string unsets the field.
fn merge_strings(target: &mut Value, given: &Map<String, Value>) {
    for (key, value) in given {
        match value {
            Value::Object(nested) if key != "metadata" => {
                if !target[key].is_object() {
                    target[key] = json!({});
                }
                merge_strings(&mut target[key], nested);
            }
            Value::String(text) if text.is_empty() => target[key] = Value::Null,
            other => target[key] = other.clone(),
        }
    }
}

/// `settings[payouts][schedule][…]` and `settings[payouts][debit_negative_balances]`.
fn payouts(account: &mut Value, params: &Params) -> Result<(), ApiError> {
    const AT: &str = "settings.payouts";
    if let Some(debit) = params.bool(&format!("{AT}.debit_negative_balances"))? {
        account["settings"]["payouts"]["debit_negative_balances"] = json!(debit);
    }
    if let Some(descriptor) = params.str(&format!("{AT}.statement_descriptor")) {
        account["settings"]["payouts"]["statement_descriptor"] = json!(descriptor);
    }
    if params.get(&format!("{AT}.schedule")).is_none() {
        return Ok(());
    }
    let old = account["settings"]["payouts"]["schedule"].clone();
    let interval = params
        .str(&format!("{AT}.schedule.interval"))
        .or(old["interval"].as_str())
        .unwrap_or("daily")
        .to_owned();
    let param = |field: &str| format!("settings[payouts][schedule][{field}]");
    let mut schedule =
        json!({ "delay_days": old["delay_days"].as_i64().unwrap_or(2), "interval": interval });
    match params.str(&format!("{AT}.schedule.delay_days")) {
        None => {}
        Some("minimum") => schedule["delay_days"] = json!(2),
        Some(raw) => match raw.parse::<i64>() {
            Ok(days) if (2..=365).contains(&days) => schedule["delay_days"] = json!(days),
            _ => {
                return Err(ApiError::invalid(
                    format!("Invalid delay_days: {raw}. It must be `minimum` or a number of days from 2 to 365."),
                    Some(&param("delay_days")),
                ))
            }
        },
    }
    let weekly = params.str(&format!("{AT}.schedule.weekly_anchor"));
    let monthly = params.int(&format!("{AT}.schedule.monthly_anchor"))?;
    if weekly.is_some() && interval != "weekly" {
        return Err(ApiError::invalid(
            "`weekly_anchor` can only be set when `interval` is `weekly`.",
            Some(&param("weekly_anchor")),
        ));
    }
    if monthly.is_some() && interval != "monthly" {
        return Err(ApiError::invalid(
            "`monthly_anchor` can only be set when `interval` is `monthly`.",
            Some(&param("monthly_anchor")),
        ));
    }
    if interval == "weekly" {
        let anchor = weekly.or(old["weekly_anchor"].as_str()).unwrap_or("monday");
        if !WEEKDAYS.contains(&anchor) {
            return Err(ApiError::invalid(
                format!("Invalid weekly_anchor: {anchor}. It must be a day of the week, such as `monday`."),
                Some(&param("weekly_anchor")),
            ));
        }
        schedule["weekly_anchor"] = json!(anchor);
    }
    if interval == "monthly" {
        let anchor = monthly.or(old["monthly_anchor"].as_i64()).unwrap_or(1);
        if !(1..=31).contains(&anchor) {
            return Err(ApiError::invalid(
                format!(
                    "Invalid monthly_anchor: {anchor}. It must be a day of the month from 1 to 31."
                ),
                Some(&param("monthly_anchor")),
            ));
        }
        schedule["monthly_anchor"] = json!(anchor);
    }
    account["settings"]["payouts"]["schedule"] = schedule;
    Ok(())
}

/// The day of the week a weekly schedule pays on, Monday = 0.
pub fn weekday_index(anchor: &str) -> Option<i64> {
    WEEKDAYS
        .iter()
        .position(|day| *day == anchor)
        .map(|index| index as i64)
}
