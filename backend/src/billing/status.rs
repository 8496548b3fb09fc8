//! [`SubscriptionStatus`]: Stripe's subscription statuses, parsed where they enter — the Stripe
//! object (serde) and the stored row (`subscriptions.status`, text) — and asked questions of
//! ([`SubscriptionStatus::holds_plan`], [`SubscriptionStatus::is_live`], …) instead of being
//! compared as text.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// A subscription's status, as Stripe names it (`past_due`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Created; its first payment is not made yet.
    Incomplete,
    /// The first payment never came (after 23 hours): it is over, nothing was owed.
    IncompleteExpired,
    /// In a free trial.
    Trialing,
    /// Paid and renewing.
    Active,
    /// A renewal failed; Stripe is retrying the card.
    PastDue,
    /// Ended.
    Canceled,
    /// Stripe gave up retrying; it stays until paid or canceled.
    Unpaid,
    /// A trial ended without a card: waiting for one.
    Paused,
}

impl SubscriptionStatus {
    /// Every status.
    pub const ALL: [Self; 8] = [
        Self::Incomplete,
        Self::IncompleteExpired,
        Self::Trialing,
        Self::Active,
        Self::PastDue,
        Self::Canceled,
        Self::Unpaid,
        Self::Paused,
    ];

    /// Stripe's name for it, as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Canceled => "canceled",
            Self::Unpaid => "unpaid",
            Self::Paused => "paused",
        }
    }

    /// Stripe's name in words: `past due`.
    pub fn in_words(self) -> String {
        self.as_str().replace('_', " ")
    }

    /// Whether the user holds the plan (and must not be sold it a second time): trialing,
    /// active, or behind on payment (past due, unpaid, paused).
    pub const fn holds_plan(self) -> bool {
        matches!(
            self,
            Self::Trialing | Self::Active | Self::PastDue | Self::Unpaid | Self::Paused
        )
    }

    /// Whether it runs on — renews, may change plan, may be set to cancel: active, trialing, or
    /// past due while Stripe retries.
    pub const fn is_live(self) -> bool {
        matches!(self, Self::Active | Self::Trialing | Self::PastDue)
    }

    /// Whether it is over (canceled, or its first payment never came).
    pub const fn has_ended(self) -> bool {
        matches!(self, Self::Canceled | Self::IncompleteExpired)
    }

    /// Whether a payment failed and a new card would settle it (past due or unpaid).
    pub const fn payment_failed(self) -> bool {
        matches!(self, Self::PastDue | Self::Unpaid)
    }

    /// Whether it waits for the user's card: a failed payment, or a trial paused without one.
    pub const fn needs_card(self) -> bool {
        self.payment_failed() || matches!(self, Self::Paused)
    }

    /// Whether it is in its trial, or paused at the end of one (a trial had either way).
    pub const fn in_trial(self) -> bool {
        matches!(self, Self::Trialing | Self::Paused)
    }

    /// The stored names of the statuses `keep` accepts, for SQL (`status = ANY($1)`).
    pub fn names_where(keep: impl Fn(Self) -> bool) -> Vec<&'static str> {
        Self::ALL
            .into_iter()
            .filter(|status| keep(*status))
            .map(Self::as_str)
            .collect()
    }
}

impl fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status Stripe does not have (or not yet: a newer API version's).
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a subscription status")]
pub struct UnknownStatus(String);

impl FromStr for SubscriptionStatus {
    type Err = UnknownStatus;

    fn from_str(name: &str) -> Result<Self, UnknownStatus> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
            .ok_or_else(|| UnknownStatus(name.to_owned()))
    }
}

impl TryFrom<String> for SubscriptionStatus {
    type Error = UnknownStatus;

    fn try_from(name: String) -> Result<Self, UnknownStatus> {
        name.parse()
    }
}

/// Parses `subscriptions.status` as read by a query: an unknown name is a decoding error of
/// that row.
pub(crate) fn stored(name: &str) -> Result<SubscriptionStatus, sqlx::Error> {
    name.parse()
        .map_err(|error: UnknownStatus| sqlx::Error::Decode(error.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_stored_name_and_from_stripe_json() {
        for status in SubscriptionStatus::ALL {
            assert_eq!(
                status.as_str().parse::<SubscriptionStatus>().unwrap(),
                status
            );
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(
                serde_json::from_str::<SubscriptionStatus>(&json).unwrap(),
                status
            );
        }
        assert!("cancelled".parse::<SubscriptionStatus>().is_err());
        assert!(stored("").is_err());
    }

    #[test]
    fn held_statuses_are_those_a_second_checkout_would_bill_twice() {
        assert_eq!(
            SubscriptionStatus::names_where(SubscriptionStatus::holds_plan),
            ["trialing", "active", "past_due", "unpaid", "paused"]
        );
        assert!(SubscriptionStatus::ALL
            .into_iter()
            .filter(|status| status.is_live() || status.needs_card())
            .all(SubscriptionStatus::holds_plan));
    }
}
