//! Stripe's test cards and tokens, and what happens when each is attached or charged.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// A test card as the emulator remembers it behind a PaymentMethod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// `visa`, `mastercard`, `amex`.
    pub brand: String,
    /// Last four digits.
    pub last4: String,
    /// Expiry month.
    pub exp_month: i64,
    /// Expiry year.
    pub exp_year: i64,
    /// What the card does.
    pub behaviour: Behaviour,
    /// `card.fingerprint`: the same number gives the same one, as Stripe's does within an
    /// account (one emulator is one account). Empty for a card remembered by an older state file.
    #[serde(default)]
    pub fingerprint: String,
}

/// How a test card behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Behaviour {
    /// Every charge succeeds (4242…).
    Succeeds,
    /// Declined with this decline code, on attach and on charge (0002, 9995).
    Declined(Decline),
    /// Needs 3-D Secure when paid on session; fine off session once set up (3155).
    Requires3ds,
    /// Attaches fine; every later charge fails (0341).
    ChargeFails,
    /// Every charge succeeds, then is disputed as fraudulent (0259).
    Disputed,
    /// Every charge succeeds, then the bank opens an inquiry (1976).
    Inquiry,
    /// Every charge succeeds and its money is available at once (0077).
    BypassPending,
}

/// Why a card was declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decline {
    /// `generic_decline`
    Generic,
    /// `insufficient_funds`
    InsufficientFunds,
    /// `expired_card` (code)
    Expired,
    /// `incorrect_cvc` (code)
    IncorrectCvc,
}

impl Decline {
    /// The 402 Stripe answers with.
    pub fn error(self) -> ApiError {
        match self {
            Decline::Generic => ApiError::card(
                "card_declined",
                Some("generic_decline"),
                "Your card was declined.",
            ),
            Decline::InsufficientFunds => ApiError::card(
                "card_declined",
                Some("insufficient_funds"),
                "Your card has insufficient funds.",
            ),
            Decline::Expired => ApiError::card(
                "expired_card",
                Some("expired_card"),
                "Your card has expired.",
            ),
            Decline::IncorrectCvc => ApiError::card(
                "incorrect_cvc",
                Some("incorrect_cvc"),
                "Your card's security code is incorrect.",
            ),
        }
    }
}

impl Card {
    /// The card behind a test card number; any other Luhn-valid number succeeds.
    pub fn from_number(number: &str, exp_month: i64, exp_year: i64) -> Result<Self, ApiError> {
        let digits: String = number
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.len() < 12 || !digits.chars().all(|c| c.is_ascii_digit()) || !luhn(&digits) {
            return Err(ApiError::card(
                "incorrect_number",
                None,
                "Your card number is incorrect.",
            ));
        }
        if !(1..=12).contains(&exp_month) {
            return Err(ApiError::card(
                "invalid_expiry_month",
                None,
                "Your card's expiration month is invalid.",
            ));
        }
        let behaviour = match digits.as_str() {
            "4000000000000002" => Behaviour::Declined(Decline::Generic),
            "4000000000009995" => Behaviour::Declined(Decline::InsufficientFunds),
            "4000000000000069" => Behaviour::Declined(Decline::Expired),
            "4000000000000127" => Behaviour::Declined(Decline::IncorrectCvc),
            "4000002500003155" | "4000002760003184" => Behaviour::Requires3ds,
            "4000000000000341" => Behaviour::ChargeFails,
            "4000000000000259" => Behaviour::Disputed,
            "4000000000001976" => Behaviour::Inquiry,
            "4000000000000077" => Behaviour::BypassPending,
            _ => Behaviour::Succeeds,
        };
        let brand = match digits.as_bytes()[0] {
            b'4' => "visa",
            b'5' | b'2' => "mastercard",
            b'3' => "amex",
            b'6' => "discover",
            _ => "unknown",
        };
        Ok(Self {
            brand: brand.to_owned(),
            last4: digits[digits.len() - 4..].to_owned(),
            exp_month,
            exp_year,
            behaviour,
            fingerprint: fingerprint(&digits),
        })
    }

    /// The card behind a `tok_…` token or a `pm_card_…` test PaymentMethod.
    pub fn from_test_name(name: &str) -> Option<Self> {
        let number = match name
            .strip_prefix("tok_")
            .or_else(|| name.strip_prefix("pm_card_"))?
        {
            "visa" => "4242424242424242",
            "mastercard" => "5555555555554444",
            "amex" => "378282246310005",
            "chargeDeclined" | "visa_chargeDeclined" => "4000000000000002",
            "chargeDeclinedInsufficientFunds" => "4000000000009995",
            "chargeDeclinedExpiredCard" => "4000000000000069",
            "chargeCustomerFail" => "4000000000000341",
            "authenticationRequiredOnSetup" | "threeDSecure2Required" => "4000002500003155",
            "authenticationRequired" => "4000002760003184",
            "createDispute" => "4000000000000259",
            "createDisputeInquiry" => "4000000000001976",
            "bypassPending" => "4000000000000077",
            _ => return None,
        };
        Self::from_number(number, 12, 2034).ok()
    }

    /// Whether attaching the card to a customer succeeds.
    pub fn check_on_attach(&self) -> Result<(), ApiError> {
        match self.behaviour {
            Behaviour::Declined(decline) => Err(decline.error()),
            _ => Ok(()),
        }
    }

    /// Whether a charge succeeds; `on_session` charges of 3-D Secure cards need authentication,
    /// which the hosted Checkout page performs before calling this.
    pub fn charge(&self) -> Result<(), ApiError> {
        match self.behaviour {
            Behaviour::Succeeds
            | Behaviour::Requires3ds
            | Behaviour::Disputed
            | Behaviour::Inquiry
            | Behaviour::BypassPending => Ok(()),
            Behaviour::Declined(decline) => Err(decline.error()),
            Behaviour::ChargeFails => Err(Decline::Generic.error()),
        }
    }
}

/// Sixteen letters and digits derived from the card number alone.
fn fingerprint(digits: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    Sha256::digest(format!("card fingerprint {digits}").as_bytes())
        .iter()
        .take(16)
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte - b'0');
            if index % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards_behave_as_documented() {
        let ok = Card::from_number("4242 4242 4242 4242", 12, 2030).unwrap();
        assert_eq!((ok.brand.as_str(), ok.last4.as_str()), ("visa", "4242"));
        assert!(ok.charge().is_ok());
        let declined = Card::from_number("4000000000000002", 12, 2030).unwrap();
        assert_eq!(
            declined.check_on_attach().unwrap_err().decline_code,
            Some("generic_decline")
        );
        let later = Card::from_number("4000000000000341", 12, 2030).unwrap();
        assert!(later.check_on_attach().is_ok() && later.charge().is_err());
        let funds = Card::from_test_name("tok_chargeDeclinedInsufficientFunds").unwrap();
        assert_eq!(
            funds.charge().unwrap_err().decline_code,
            Some("insufficient_funds")
        );
    }

    #[test]
    fn numbers_failing_the_luhn_check_are_incorrect() {
        let error = Card::from_number("4242424242424241", 12, 2030).unwrap_err();
        assert_eq!(error.code, Some("incorrect_number"));
    }
}
