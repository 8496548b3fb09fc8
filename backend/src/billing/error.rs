//! [`BillingError`]: what billing operations fail with. Server functions show each as a form
//! error (`app/src/errors.rs`); each variant's doc says what the user is told.

use crate::stripe::StripeError;

/// A billing operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// The price is not for sale (unknown, archived, or its product is). The user picks another.
    #[error("this plan is not available")]
    PriceUnavailable,
    /// The user already holds a subscription; another would bill them twice. They are sent to
    /// Manage (the portal) to change plans.
    #[error("you already have a subscription")]
    AlreadySubscribed,
    /// The Checkout Session does not exist or is not this user's: "not found".
    #[error("not found")]
    NotFound,
    /// The subscription does not exist or is not this user's: "not found" (the same answer
    /// either way, so ids of other users' subscriptions cannot be probed).
    #[error("no such subscription")]
    NoSuchSubscription,
    /// The subscription cannot do this in its state (resume one not set to cancel, change the
    /// plan of one that ended); the page explains.
    #[error("not possible in this state: {0}")]
    NotNow(&'static str),
    /// The user has no Stripe customer yet (nothing bought), so there is no portal to open.
    #[error("no billing account yet")]
    NoCustomer,
    /// Stripe refused something that is the user's to fix (a declined card); Stripe's message is
    /// shown as is.
    #[error("{0}")]
    Card(String),
    /// Stripe failed or refused our request: our fault, logged; the user is asked to try again.
    #[error("the call to Stripe failed")]
    Stripe(#[source] StripeError),
    /// The database failed: logged; the user sees a generic sentence.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Anything else that is our fault: logged; the user sees a generic sentence.
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
