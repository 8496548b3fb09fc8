//! What a connected account must provide before it can take payments and be paid out, and what
//! follows from it: `requirements`, each requested capability's status, `details_submitted`,
//! `charges_enabled` and `payouts_enabled`. Stripe verifies in its own time; the emulator takes
//! what it is given at once, so an account is enabled as soon as nothing is due.
//! <https://docs.stripe.com/connect/handling-api-verification>

use serde_json::{json, Value};

use crate::world::World;

/// The fields every connected account must provide, in Stripe's order, with whether the account
/// has it. The emulator asks every business type for the individual's details (a company's
/// representative would be asked the same), and asks for no `business_profile` field: the
/// hosted onboarding form collects an individual with a bank account, and a platform that
/// prefills `business_profile[url]` or `[product_description]` gains nothing it must have.
fn fields(account: &Value) -> [(&'static str, bool); 10] {
    let given = |value: &Value| !value.is_null() && value != "";
    let person = &account["individual"];
    let has_bank = account["external_accounts"]["data"]
        .as_array()
        .is_some_and(|data| !data.is_empty());
    [
        ("business_type", given(&account["business_type"])),
        ("external_account", has_bank),
        ("individual.dob.day", given(&person["dob"]["day"])),
        ("individual.dob.month", given(&person["dob"]["month"])),
        ("individual.dob.year", given(&person["dob"]["year"])),
        ("individual.email", given(&person["email"])),
        ("individual.first_name", given(&person["first_name"])),
        ("individual.last_name", given(&person["last_name"])),
        (
            "tos_acceptance.date",
            given(&account["tos_acceptance"]["date"]),
        ),
        ("tos_acceptance.ip", given(&account["tos_acceptance"]["ip"])),
    ]
}

/// What the account still has to provide.
pub fn missing(account: &Value) -> Vec<&'static str> {
    fields(account)
        .into_iter()
        .filter(|(_, given)| !given)
        .map(|(field, _)| field)
        .collect()
}

/// A `requirements` hash with nothing due.
pub fn none() -> Value {
    json!({
        "alternatives": [], "current_deadline": null, "currently_due": [], "disabled_reason": null,
        "errors": [], "eventually_due": [], "past_due": [], "pending_verification": [],
    })
}

/// Fills in the fields that follow from the rest of the account: its external accounts (from
/// the bank accounts it owns), `requirements`, each requested capability's status (`active`
/// once nothing is due, `inactive` before), `details_submitted`, `charges_enabled` and
/// `payouts_enabled`.
pub fn derive(world: &mut World, account: &mut Value) {
    let id = account["id"].as_str().unwrap_or_default().to_owned();
    let banks: Vec<Value> = world.as_account(Some(&id), |world| {
        world.all("bank_account").cloned().collect()
    });
    account["external_accounts"]["total_count"] = json!(banks.len());
    account["external_accounts"]["has_more"] = json!(banks.len() > 10);
    account["external_accounts"]["data"] = json!(banks.into_iter().take(10).collect::<Vec<_>>());
    let due = missing(account);
    let done = due.is_empty();
    account["requirements"] = json!({
        "alternatives": [], "current_deadline": null, "currently_due": due,
        "disabled_reason": if done { Value::Null } else { json!("requirements.past_due") },
        "errors": [], "eventually_due": due, "past_due": due, "pending_verification": [],
    });
    let status = if done { "active" } else { "inactive" };
    let capabilities: serde_json::Map<String, Value> = world
        .connect
        .capabilities
        .get(&id)
        .into_iter()
        .flat_map(|requested| requested.keys())
        .map(|name| (name.clone(), json!(status)))
        .collect();
    let charges = done && capabilities.contains_key("card_payments");
    account["capabilities"] = Value::Object(capabilities);
    account["details_submitted"] = json!(done);
    account["charges_enabled"] = json!(charges);
    account["payouts_enabled"] = json!(done);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_account_owes_everything_in_stripes_order() {
        let account = json!({ "external_accounts": { "data": [] } });
        let due = missing(&account);
        assert_eq!(due.first(), Some(&"business_type"));
        assert_eq!(due.last(), Some(&"tos_acceptance.ip"));
        assert_eq!(due.len(), 10);
    }

    #[test]
    fn an_account_with_every_detail_owes_nothing() {
        let account = json!({
            "business_type": "individual",
            "external_accounts": { "data": [{ "id": "ba_1" }] },
            "individual": {
                "dob": { "day": 1, "month": 2, "year": 1990 },
                "email": "jenny@example.com", "first_name": "Jenny", "last_name": "Rosen",
            },
            "tos_acceptance": { "date": 1_700_000_000, "ip": "127.0.0.1" },
        });
        assert!(missing(&account).is_empty());
    }
}
