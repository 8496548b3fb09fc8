//! [`BillingError`]: what billing operations fail with. Server functions show each as a form
//! error (`app/src/errors.rs`); each variant's doc says what the user is told.
//!
//! A failing database or Stripe call says which step it was: `.step("locking the subscription")`
//! ([`Step`]) turns a `sqlx::Error` or a [`StripeError`] into a [`BillingError`] naming it, so a
//! 500 logs "locking the subscription: pool timed out" while the user sees the same generic
//! sentence as before. Neither converts by `?` alone: every step is named.

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
    /// The user acts for an organization whose billing only its owners manage: 403, and the page
    /// says to ask an owner.
    #[error("only the organization's owners manage its billing")]
    NotOwner,
    /// The user has no Stripe customer yet (nothing bought), so there is no portal to open.
    #[error("no billing account yet")]
    NoCustomer,
    /// Stripe refused something that is the user's to fix (a declined card); Stripe's message is
    /// shown as is.
    #[error("{0}")]
    Card(String),
    /// Stripe failed or refused our request while doing `step`: our fault, logged; the user is
    /// asked to try again.
    #[error("the call to Stripe failed while {step}")]
    Stripe {
        /// What we were doing, e.g. "cancelling the subscription in Stripe".
        step: &'static str,
        /// What Stripe (or the way to it) said.
        #[source]
        source: StripeError,
    },
    /// The database failed while doing `step`: logged; the user sees a generic sentence.
    #[error("database error while {step}")]
    Database {
        /// What we were doing, e.g. "locking the subscription".
        step: &'static str,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// Anything else that is our fault: logged; the user sees a generic sentence.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Names the step a database or Stripe call was: `.step("locking the subscription")?`.
pub trait Step {
    /// What the failure becomes.
    type Output;

    /// Turns the failure into a [`BillingError`] saying it happened while doing `step`.
    fn step(self, step: &'static str) -> Self::Output;
}

impl Step for sqlx::Error {
    type Output = BillingError;

    fn step(self, step: &'static str) -> BillingError {
        BillingError::Database { step, source: self }
    }
}

impl Step for StripeError {
    type Output = BillingError;

    /// A card error stays the user's to fix ([`BillingError::Card`], Stripe's message shown);
    /// anything else is ours.
    fn step(self, step: &'static str) -> BillingError {
        match self.user_message() {
            Some(message) => BillingError::Card(message.to_owned()),
            None => BillingError::Stripe { step, source: self },
        }
    }
}

impl<T, E: Step<Output = BillingError>> Step for Result<T, E> {
    type Output = Result<T, BillingError>;

    fn step(self, step: &'static str) -> Result<T, BillingError> {
        self.map_err(|error| error.step(step))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_failure_names_its_step_before_the_cause() {
        let error = Err::<(), _>(sqlx::Error::RowNotFound)
            .step("locking the subscription")
            .unwrap_err();
        let chain = format!("{:#}", anyhow::Error::new(error));
        assert!(
            chain.starts_with("database error while locking the subscription: "),
            "{chain}"
        );
        assert!(chain.contains("no rows returned"), "{chain}");
    }

    #[test]
    fn a_pool_timeout_stays_an_overload_once_its_step_is_named() {
        let error = sqlx::Error::PoolTimedOut.step("fetching the subscription");
        assert!(crate::db::is_overload(&error));
    }
}
