//! [`BillingError`]: what billing operations fail with. Each variant's doc says its HTTP status.

use crate::stripe::StripeError;

/// A billing operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// The price is not for sale (unknown, archived, or its product is). 404; shown on the form.
    #[error("this plan is not available")]
    PriceUnavailable,
    /// The user already subscribes to this product; a second Checkout would bill them twice. 409.
    #[error("you already subscribe to this plan")]
    AlreadySubscribed,
    /// The Checkout Session or customer does not exist or is not this user's. 404.
    #[error("not found")]
    NotFound,
    /// The user has no Stripe customer yet (nothing bought). 409.
    #[error("no billing account yet")]
    NoCustomer,
    /// Stripe refused something that is the user's to fix (a declined card). 402; Stripe's
    /// message is shown as is.
    #[error("{0}")]
    Card(String),
    /// Stripe failed or refused our request. 502 (our fault; logged, not shown).
    #[error("the call to Stripe failed")]
    Stripe(#[source] StripeError),
    /// The database failed. 500.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Anything else that is our fault. 500.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StripeError> for BillingError {
    fn from(error: StripeError) -> Self {
        match error.user_message() {
            Some(message) => Self::Card(message.to_owned()),
            None => Self::Stripe(error),
        }
    }
}
