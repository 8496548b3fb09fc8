//! Bank accounts: read from `bank_account[…]` (a `btok_…` token) or an `external_account[…]`
//! hash, checked as Stripe checks test-mode bank details, and attached to a connected account as
//! its external accounts, one the default for each currency. The account number behind each
//! `ba_…` is remembered with the platform's ([`crate::money::payouts::BankAccounts`]), so a payout
//! to `000111111116` fails at arrival as the platform's own would.
//! <https://docs.stripe.com/api/external_account_bank_accounts>

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::money::payouts::{FAILING_ACCOUNT, PAYING_ACCOUNT};
use crate::world::World;

/// Bank details as given.
pub struct Details {
    /// Two-letter country code.
    pub country: String,
    /// Lowercase ISO currency.
    pub currency: String,
    /// Nine digits (US).
    pub routing_number: String,
    /// One of Stripe's test account numbers.
    pub account_number: String,
    /// Whose account it is.
    pub holder_name: Option<String>,
    /// `individual` or `company`.
    pub holder_type: Option<String>,
}

impl Details {
    /// Reads and checks bank details from a hash given as `param` (`bank_account`,
    /// `external_account`); country and currency default to the account's.
    pub fn parse(
        hash: &Map<String, Value>,
        param: &str,
        country: &str,
        currency: &str,
    ) -> Result<Self, ApiError> {
        let field = |name: &str| {
            hash.get(name)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
        };
        let account_number = field("account_number")
            .ok_or_else(|| ApiError::missing(&format!("{param}.account_number")))?
            .to_owned();
        let routing_number = field("routing_number").unwrap_or_default().to_owned();
        check_routing(&routing_number, &format!("{param}[routing_number]"))?;
        if ![PAYING_ACCOUNT, FAILING_ACCOUNT].contains(&account_number.as_str()) {
            return Err(ApiError::invalid(
                "Must only use a test bank account number when making transfers or debits in test mode",
                Some(&format!("{param}[account_number]")),
            ));
        }
        Ok(Self {
            country: field("country").unwrap_or(country).to_ascii_uppercase(),
            currency: field("currency").unwrap_or(currency).to_ascii_lowercase(),
            routing_number,
            account_number,
            holder_name: field("account_holder_name").map(str::to_owned),
            holder_type: field("account_holder_type").map(str::to_owned),
        })
    }

    /// The bank account object (`ba_…`) for these details.
    pub fn object(&self, id: &str) -> Value {
        use sha2::Digest;
        let digest =
            sha2::Sha256::digest(format!("{}/{}", self.routing_number, self.account_number));
        let number = &self.account_number;
        json!({
            "id": id,
            "object": "bank_account",
            "account_holder_name": self.holder_name,
            "account_holder_type": self.holder_type,
            "account_type": null,
            "bank_name": "STRIPE TEST BANK",
            "country": self.country,
            "currency": self.currency,
            "customer": null,
            "fingerprint": hex::encode(digest)[..16].to_owned(),
            "last4": number[number.len().saturating_sub(4)..],
            "metadata": {},
            "routing_number": self.routing_number,
            "status": "new",
        })
    }
}

/// The bank account an `external_account` parameter names: a `btok_…` token (used up by this;
/// its `ba_…` id is kept) or a hash with `object=bank_account`. Returns the details and the id
/// the bank account will have.
pub fn from_param(
    world: &mut World,
    given: &Value,
    param: &str,
    country: &str,
    currency: &str,
) -> Result<(Details, String), ApiError> {
    if let Some(hash) = given.as_object() {
        if hash.get("object").and_then(Value::as_str) != Some("bank_account") {
            return Err(ApiError::invalid(
                format!("The emulator takes bank accounts as external accounts: give {param}[object]=bank_account."),
                Some(&format!("{param}[object]")),
            ));
        }
        let details = Details::parse(hash, param, country, currency)?;
        return Ok((details, world.new_id("ba")));
    }
    let token = given.as_str().unwrap_or_default();
    let stored = crate::api::tokens::spend(world, token, Some("bank_account"), param)?;
    let bank = &stored["bank_account"];
    let id = bank["id"].as_str().unwrap_or_default().to_owned();
    let text = |field: &str| bank[field].as_str().map(str::to_owned);
    let details = Details {
        country: text("country").unwrap_or_else(|| country.to_owned()),
        currency: text("currency").unwrap_or_else(|| currency.to_owned()),
        routing_number: text("routing_number").unwrap_or_default(),
        account_number: world
            .payout_accounts
            .numbers
            .get(&id)
            .cloned()
            .unwrap_or_default(),
        holder_name: text("account_holder_name"),
        holder_type: text("account_holder_type"),
    };
    Ok((details, id))
}

/// A US routing number: nine digits whose ABA checksum holds (Stripe's test number 110000000
/// does).
pub fn check_routing(routing: &str, param: &str) -> Result<(), ApiError> {
    let digits: Vec<u32> = routing.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 9 || routing.len() != 9 {
        return Err(ApiError::invalid(
            "Routing number must have 9 digits",
            Some(param),
        ));
    }
    let weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
    let sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(digit, weight)| digit * weight)
        .sum();
    if !sum.is_multiple_of(10) {
        return Err(ApiError::invalid(
            format!("Invalid routing number: {routing}"),
            Some(param),
        ));
    }
    Ok(())
}

/// Attaches a bank account to the account being acted as (the caller's scope): the default for
/// its currency when it is the first there or `default` asks for it. Emits
/// `account.external_account.created`.
pub fn attach(
    world: &mut World,
    details: &Details,
    id: String,
    default: bool,
    metadata: Value,
) -> Value {
    let account = world.scope.clone().unwrap_or_default();
    world
        .payout_accounts
        .numbers
        .insert(id.clone(), details.account_number.clone());
    let first = !world
        .all("bank_account")
        .any(|bank| bank["currency"] == details.currency.as_str());
    let mut bank = details.object(&id);
    bank["account"] = json!(account);
    bank["default_for_currency"] = json!(first || default);
    if metadata.is_object() {
        bank["metadata"] = metadata;
    }
    if default && !first {
        clear_default(world, &details.currency);
    }
    let bank = world.insert(bank);
    world.emit("account.external_account.created", &bank, None);
    bank
}

/// Makes a bank account the default for its currency (the old default loses it).
pub fn make_default(world: &mut World, bank: &mut Value) {
    let currency = bank["currency"].as_str().unwrap_or_default().to_owned();
    clear_default(world, &currency);
    bank["default_for_currency"] = json!(true);
}

fn clear_default(world: &mut World, currency: &str) {
    let defaults: Vec<Value> = world
        .all("bank_account")
        .filter(|bank| bank["currency"] == currency && bank["default_for_currency"] == true)
        .cloned()
        .collect();
    for mut bank in defaults {
        bank["default_for_currency"] = json!(false);
        world.put(bank);
    }
}

/// Removes a bank account of the account being acted as: refused for the default of the
/// account's default currency (Stripe's rule); the default of another currency passes to the
/// newest other account there. Emits `account.external_account.deleted`.
pub fn detach(world: &mut World, bank: &Value, default_currency: &str) -> Result<Value, ApiError> {
    let currency = bank["currency"].as_str().unwrap_or_default().to_owned();
    if bank["default_for_currency"] == true && currency == default_currency {
        return Err(ApiError::invalid(
            "You cannot delete the default external account for your default currency. Please make another external account the default using the `default_for_currency` param, and then delete this one.",
            None,
        ));
    }
    let id = bank["id"].as_str().unwrap_or_default().to_owned();
    world.remove(&id);
    if bank["default_for_currency"] == true {
        let next = world
            .all("bank_account")
            .find(|other| other["currency"] == currency.as_str())
            .cloned();
        if let Some(mut next) = next {
            next["default_for_currency"] = json!(true);
            world.put(next);
        }
    }
    let mut gone = bank.clone();
    gone["default_for_currency"] = json!(false);
    world.emit("account.external_account.deleted", &gone, None);
    Ok(json!({ "id": id, "object": "bank_account", "currency": currency, "deleted": true }))
}

/// The default bank account for `currency` of the account being acted as.
pub fn default_for(world: &World, currency: &str) -> Option<String> {
    world
        .all("bank_account")
        .find(|bank| bank["currency"] == currency && bank["default_for_currency"] == true)
        .and_then(|bank| bank["id"].as_str().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_test_routing_number_passes_and_others_are_named() {
        assert!(check_routing("110000000", "r").is_ok());
        assert_eq!(
            check_routing("11000000", "r").unwrap_err().message,
            "Routing number must have 9 digits"
        );
        assert!(check_routing("123456789", "r").is_err());
    }
}
