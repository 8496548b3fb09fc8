//! What follows from a stored change and takes a call to Stripe: a trial to check against the
//! ledger (and end, if the address or card had one), paused trials to resume, waiting plan
//! changes to pay, a customer's other Checkout Sessions to expire.
//!
//! Decided in the transaction that stored the change, done after it commits, holding no
//! database connection while Stripe answers: a connection is taken for each short step between
//! calls. Each is idempotent — its Stripe call keyed by what it does, what Stripe answers stored
//! under the fetch order ([`super::Ticket`]) — so when one fails the event is applied again:
//! stored again, the same follow-ups decided again from what is stored, and nothing done twice.

use secrecy::SecretString;
use sqlx::PgPool;

use super::{checkout, manage, paused, trials, BillingError};
use crate::stripe::{objects::Subscription, StripeClient};

/// One thing to do once the change that calls for it is committed.
#[derive(Debug)]
pub enum FollowUp {
    /// A stored subscription with a trial, to check against the trial ledger.
    SettleTrial(Box<Subscription>),
    /// The customer's trials paused for want of a card, to resume if it has one now.
    ResumePausedTrials { customer: String },
    /// The customer's plan changes waiting for payment, to pay with its card now.
    PayWaitingChanges { customer: String },
    /// The customer's other open subscription Checkout Sessions, to expire once `done` is paid.
    ExpireOtherCheckouts { customer: String, done: String },
}

impl FollowUp {
    /// Does it. For [`FollowUp::SettleTrial`], the subscription as stored after its trial was
    /// ended, if it was.
    pub async fn run(
        self,
        db: &PgPool,
        stripe: &StripeClient,
        trial_ledger_key: &SecretString,
    ) -> Result<Option<Subscription>, BillingError> {
        match self {
            Self::SettleTrial(subscription) => {
                trials::settle(db, stripe, trial_ledger_key, &subscription).await
            }
            Self::ResumePausedTrials { customer } => {
                paused::resume_with_card(db, stripe, &customer).await?;
                Ok(None)
            }
            Self::PayWaitingChanges { customer } => {
                manage::pay_waiting_changes(db, stripe, &customer).await?;
                Ok(None)
            }
            Self::ExpireOtherCheckouts { customer, done } => {
                checkout::expire_other_sessions(stripe, &customer, &done).await;
                Ok(None)
            }
        }
    }
}

/// Does each, in order; stops at the first failure.
pub async fn run_all(
    follow_ups: Vec<FollowUp>,
    db: &PgPool,
    stripe: &StripeClient,
    trial_ledger_key: &SecretString,
) -> Result<(), BillingError> {
    for follow_up in follow_ups {
        follow_up.run(db, stripe, trial_ledger_key).await?;
    }
    Ok(())
}
