//! [`ConsoleError`]: what the operator console's services fail with. Each variant's doc says what
//! the admin is shown (`app/src/errors.rs` maps them).

use crate::billing::BillingError;

/// A console request failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// Not an admin, or no such object: the page-not-found answer (404).
    #[error("not found")]
    NotFound,
    /// A field's value was refused (an amount above what is left); shown under the field.
    #[error("{field}: {message}")]
    Invalid {
        /// The form field.
        field: &'static str,
        /// What to fix.
        message: String,
    },
    /// Money is about to move and the admin's password was last confirmed over 15 minutes ago
    /// (or the one given is wrong): asked for under the password field.
    #[error("password confirmation needed")]
    ConfirmPassword {
        /// What the admin is told.
        message: &'static str,
    },
    /// Stripe refused the action (insufficient funds, a disputed charge); its words are shown
    /// and the refusal is in the audit log.
    #[error("Stripe refused: {0}")]
    Refused(String),
    /// An evidence file was refused before it was sent (too large, not a PDF, JPEG or PNG).
    #[error("{0}")]
    BadFile(crate::console::disputes::FileProblem),
    /// The object cannot do this in its state (a dispute already decided); the page explains.
    #[error("not possible now: {0}")]
    NotNow(&'static str),
    /// The database or Stripe failed at a named step: logged; a generic sentence is shown.
    /// (Boxed: the other variants are small, and this one travels through every `?`.)
    #[error(transparent)]
    Billing(Box<BillingError>),
}

impl From<BillingError> for ConsoleError {
    fn from(error: BillingError) -> Self {
        Self::Billing(Box::new(error))
    }
}
