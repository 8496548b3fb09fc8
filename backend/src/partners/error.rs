//! [`PartnerError`]: what the partner program's services fail with. Each variant's doc says what
//! the partner (or operator) is shown (`app/src/errors.rs` maps them).

use crate::billing::BillingError;

/// A partner program request failed.
#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    /// Not a partner (or the program is off): the page-not-found answer.
    #[error("not found")]
    NotFound,
    /// A field's value was refused; shown under the field.
    #[error("{field}: {message}")]
    Invalid {
        /// The form field.
        field: &'static str,
        /// What to fix.
        message: String,
    },
    /// Stripe refused what the partner asked (an invalid routing number, no funds to pay out);
    /// its words are shown and nothing changed.
    #[error("Stripe refused: {0}")]
    Refused(String),
    /// Not possible in the account's state (a payout on an automatic schedule); the page says why.
    #[error("not possible now: {0}")]
    NotNow(&'static str),
    /// The database or Stripe failed at a named step: logged; a generic sentence is shown.
    #[error(transparent)]
    Billing(Box<BillingError>),
}

impl From<BillingError> for PartnerError {
    fn from(error: BillingError) -> Self {
        Self::Billing(Box::new(error))
    }
}

impl PartnerError {
    /// Stripe's refusal of a partner's request as [`PartnerError::Refused`] (its words shown);
    /// anything else as the failed step it was.
    pub fn from_stripe(error: crate::stripe::StripeError, step: &'static str) -> Self {
        use crate::billing::Step;
        match error.refusal_message() {
            Some(message) => Self::Refused(message.to_owned()),
            None => error.step(step).into(),
        }
    }
}
