//! SEPA Direct Debit: the bank account behind a `sepa_debit` PaymentMethod (from its IBAN) and how
//! Stripe's test IBANs settle — a debit is `processing` first and succeeds or fails later.
//! <https://docs.stripe.com/payments/sepa-debit/accept-a-payment#testing>

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// A bank account as the emulator remembers it behind a PaymentMethod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccount {
    /// Two-letter country of the IBAN.
    pub country: String,
    /// The bank's code inside the IBAN (empty when the country has none).
    pub bank_code: String,
    /// The branch's code inside the IBAN (empty when the country has none).
    pub branch_code: String,
    /// Last four characters of the IBAN.
    pub last4: String,
    /// How debits from the account end.
    pub outcome: Outcome,
}

/// How a debit ends, and how long it stays `processing` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Whether the money arrives.
    pub succeeds: bool,
    /// Seconds between confirmation and the outcome.
    pub after_seconds: i64,
}

/// A debit in flight: the processing PaymentIntent settles at `due`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// When the outcome is known (emulator time).
    pub due: i64,
    /// Whether the debit succeeds.
    pub succeeds: bool,
}

/// Stripe's "after at least three minutes" test IBANs.
const SLOW: i64 = 180;

impl BankAccount {
    /// The account behind an IBAN, checked as banks check it (country, length, mod-97).
    pub fn from_iban(raw: &str) -> Result<Self, ApiError> {
        let iban: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if !valid(&iban) {
            return Err(ApiError::invalid_code(
                "invalid_bank_account_iban",
                format!("The IBAN you provided ({raw}) is invalid."),
                Some("sepa_debit[iban]"),
            ));
        }
        let country = iban[..2].to_owned();
        let slice = |from: usize, to: usize| iban.get(from..to).unwrap_or_default().to_owned();
        let (bank_code, branch_code) = match country.as_str() {
            "AT" => (slice(4, 9), String::new()),
            "DE" => (slice(4, 12), String::new()),
            "IT" => (slice(5, 10), slice(10, 15)),
            "FR" => (slice(4, 9), slice(9, 14)),
            "ES" => (slice(4, 8), slice(8, 12)),
            "NL" => (slice(4, 8), String::new()),
            _ => (String::new(), String::new()),
        };
        let outcome = match iban.as_str() {
            "AT861904300235473202" | "DE62370400440532013001" | "IT60X0542811101000000123456" => {
                Outcome {
                    succeeds: false,
                    after_seconds: 0,
                }
            }
            "AT051904300235473205" => Outcome {
                succeeds: false,
                after_seconds: SLOW,
            },
            "AT321904300235473204" => Outcome {
                succeeds: true,
                after_seconds: SLOW,
            },
            _ => Outcome {
                succeeds: true,
                after_seconds: 0,
            },
        };
        Ok(Self {
            country,
            bank_code,
            branch_code,
            last4: iban[iban.len() - 4..].to_owned(),
            outcome,
        })
    }
}

/// The ISO 13616 check: letters to numbers, the first four characters moved to the end, mod 97 = 1.
fn valid(iban: &str) -> bool {
    let chars: Vec<char> = iban.chars().collect();
    if !(15..=34).contains(&chars.len())
        || !chars[..2].iter().all(char::is_ascii_uppercase)
        || !chars[2..4].iter().all(char::is_ascii_digit)
        || !chars.iter().all(char::is_ascii_alphanumeric)
    {
        return false;
    }
    let remainder = chars[4..]
        .iter()
        .chain(&chars[..4])
        .fold(0u32, |remainder, c| match c.to_digit(36) {
            Some(value) if value >= 10 => (remainder * 100 + value) % 97,
            Some(value) => (remainder * 10 + value) % 97,
            None => remainder,
        });
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_test_ibans_settle_as_documented() {
        let fast = BankAccount::from_iban("AT61 1904 3002 3457 3201").unwrap();
        assert_eq!(
            (
                fast.country.as_str(),
                fast.bank_code.as_str(),
                fast.last4.as_str()
            ),
            ("AT", "19043", "3201")
        );
        assert!(fast.outcome.succeeds && fast.outcome.after_seconds == 0);
        let slow = BankAccount::from_iban("AT321904300235473204").unwrap();
        assert_eq!(slow.outcome.after_seconds, SLOW);
        let failing = BankAccount::from_iban("IT60X0542811101000000123456").unwrap();
        assert!(!failing.outcome.succeeds);
    }

    #[test]
    fn an_iban_with_a_wrong_check_digit_is_refused() {
        let error = BankAccount::from_iban("AT611904300234573202").unwrap_err();
        assert_eq!(error.param.as_deref(), Some("sepa_debit[iban]"));
    }
}
