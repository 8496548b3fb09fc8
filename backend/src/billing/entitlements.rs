//! Entitlements: the features a user may use now, computed from what Postgres holds on every
//! check (never cached, so a webhook applied on any replica counts from the next request).
//!
//! Each product declares what it grants in its metadata, `features=reports,api`. A user holds
//! the union over:
//! - subscriptions that are `active` or `trialing`;
//! - `past_due` subscriptions within the grace period (`BILLING_GRACE_PERIOD_DAYS`, counted from
//!   the unpaid invoice's creation, by Stripe's clock) — Stripe is still retrying the card;
//! - canceled subscriptions that were paid through a period not yet over (canceled at once by
//!   request, their latest invoice paid, not during a trial);
//! - one-time purchases that are paid.
//!
//! "Now" is billing time ([`super::clock`]): Stripe's clock, which time travel moves in
//! development.

use std::collections::BTreeSet;

use sqlx::PgExecutor;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::SubscriptionStatus;

/// The features the demo app gates.
pub mod features {
    /// `/dashboard`: every plan.
    pub const REPORTS: &str = "reports";
    /// `/api/reports` and the dashboard's API panel: Pro.
    pub const API: &str = "api";
}

/// The features a user holds now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entitlements(BTreeSet<String>);

impl Entitlements {
    /// Whether `feature` is among them.
    pub fn has(&self, feature: &str) -> bool {
        self.0.contains(feature)
    }

    /// Every feature, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl FromIterator<String> for Entitlements {
    fn from_iter<I: IntoIterator<Item = String>>(features: I) -> Self {
        Self(features.into_iter().collect())
    }
}

/// A stored subscription's state: its status and what decides whether it grants its plan's
/// features ([`SubscriptionState::grants`]). Every stored plan carries it (`PlanDetails` on the
/// account page, `HeldPlan` on the pricing page, the rows `super::overview` reads for gating);
/// it is read from the JSON a page's one statement builds, or from a row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct SubscriptionState {
    /// Stripe's status.
    pub status: SubscriptionStatus,
    /// When we first stored it as `past_due`.
    #[serde(with = "time::serde::rfc3339::option")]
    pub past_due_since: Option<OffsetDateTime>,
    /// When it ended (canceled).
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// The end of the trial, if it had one.
    #[serde(with = "time::serde::rfc3339::option")]
    pub trial_end: Option<OffsetDateTime>,
    /// `cancellation_details.reason`.
    pub cancellation_reason: Option<String>,
    /// Whether its latest invoice is stored as paid (the current period was paid for).
    pub latest_invoice_paid: bool,
    /// The end of the current (last) period.
    #[serde(with = "time::serde::rfc3339")]
    pub current_period_end: OffsetDateTime,
}

impl SubscriptionState {
    /// Whether this subscription grants its features at `now`.
    pub fn grants(&self, now: OffsetDateTime, grace: Duration) -> bool {
        match self.status {
            SubscriptionStatus::Active | SubscriptionStatus::Trialing => true,
            // Stamped whenever a past_due row is stored; without it, no grace.
            SubscriptionStatus::PastDue => {
                self.past_due_since.is_some_and(|since| now < since + grace)
            }
            SubscriptionStatus::Canceled => {
                let Some(ended) = self.ended_at else {
                    return false;
                };
                // Ended early, by request (not a failed or disputed payment), out of trial, and
                // the period it ended in was paid.
                let paid_through = ended < self.current_period_end
                    && !matches!(
                        self.cancellation_reason.as_deref(),
                        Some("payment_failed" | "payment_disputed")
                    )
                    && self.latest_invoice_paid
                    && self.trial_end.is_none_or(|trial_end| trial_end <= ended);
                paid_through && now < self.current_period_end
            }
            SubscriptionStatus::Incomplete
            | SubscriptionStatus::IncompleteExpired
            | SubscriptionStatus::Unpaid
            | SubscriptionStatus::Paused => false,
        }
    }
}

/// The features of a product's metadata: `features=reports, api` → {reports, api}.
pub fn parse_features(metadata: &str) -> impl Iterator<Item = String> + '_ {
    metadata
        .split(',')
        .map(|feature| feature.trim().to_ascii_lowercase())
        .filter(|feature| !feature.is_empty())
}

/// The user's entitlements now (billing time: see [`super::clock`]), with the configured grace
/// period.
pub async fn current(
    state: &crate::AppState,
    account_id: Uuid,
) -> Result<Entitlements, sqlx::Error> {
    of_user(
        &state.db,
        account_id,
        super::clock::now(state).await,
        state.config.billing_grace_period,
    )
    .await
}

/// The user's entitlements at `now`: one statement ([`super::overview::standing`]), no Stripe
/// call.
pub async fn of_user(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    now: OffsetDateTime,
    grace: Duration,
) -> Result<Entitlements, sqlx::Error> {
    Ok(super::overview::standing(db, account_id, now, grace)
        .await?
        .entitlements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubscriptionStatus::*;

    const DAY: Duration = Duration::DAY;

    fn at(days: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(1000 + days)
    }

    fn access(status: SubscriptionStatus) -> SubscriptionState {
        SubscriptionState {
            status,
            past_due_since: None,
            ended_at: None,
            trial_end: None,
            cancellation_reason: None,
            latest_invoice_paid: true,
            current_period_end: at(30),
        }
    }

    #[test]
    fn the_gating_matrix_by_status_and_grace() {
        let now = at(10);
        let grace = Duration::days(7);
        // (status, hours since it fell behind on payment, granted)
        let cases: &[(SubscriptionStatus, Option<i64>, bool)] = &[
            (Active, None, true),
            (Trialing, None, true),
            (PastDue, Some(24), true),         // a day into a 7-day grace
            (PastDue, Some(7 * 24 - 1), true), // an hour left
            (PastDue, Some(7 * 24), false),    // over
            (PastDue, None, false),            // never stamped: no grace
            (Unpaid, Some(24), false),
            (Paused, None, false),
            (Incomplete, None, false),
            (IncompleteExpired, None, false),
        ];
        for (status, hours, expected) in cases {
            let mut row = access(*status);
            row.past_due_since = hours.map(|hours| now - Duration::hours(hours));
            assert_eq!(
                row.grants(now, grace),
                *expected,
                "{status} since {hours:?} hours"
            );
        }
        let mut no_grace = access(PastDue);
        no_grace.past_due_since = Some(now - DAY);
        assert!(!no_grace.grants(now, Duration::ZERO));
        assert!(no_grace.grants(now, DAY * 2));
    }

    #[test]
    fn a_canceled_subscription_grants_only_what_was_paid_for() {
        let now = at(10);
        let grace = Duration::days(7);
        let mut canceled_at_once = access(Canceled);
        canceled_at_once.ended_at = Some(at(5));
        assert!(canceled_at_once.grants(now, grace), "paid through day 30");
        assert!(!canceled_at_once.grants(at(31), grace), "period over");

        let mut at_period_end = access(Canceled);
        at_period_end.ended_at = Some(at(30));
        assert!(
            !at_period_end.grants(now, grace),
            "ended at the end: nothing left"
        );

        let mut unpaid = canceled_at_once.clone();
        unpaid.cancellation_reason = Some("payment_failed".into());
        assert!(!unpaid.grants(now, grace));

        let mut disputed = canceled_at_once.clone();
        disputed.cancellation_reason = Some("payment_disputed".into());
        assert!(!disputed.grants(now, grace));

        let mut period_unpaid = canceled_at_once.clone();
        period_unpaid.cancellation_reason = Some("cancellation_requested".into());
        period_unpaid.latest_invoice_paid = false;
        assert!(
            !period_unpaid.grants(now, grace),
            "canceled after the renewal failed"
        );

        let mut in_trial = canceled_at_once.clone();
        in_trial.trial_end = Some(at(14));
        assert!(
            !in_trial.grants(now, grace),
            "a canceled trial was never paid"
        );

        let mut after_trial = canceled_at_once;
        after_trial.trial_end = Some(at(1));
        assert!(after_trial.grants(now, grace));
    }

    #[test]
    fn features_are_read_from_a_comma_separated_list() {
        let features: Vec<String> = parse_features(" reports, API ,,priority_support").collect();
        assert_eq!(features, ["reports", "api", "priority_support"]);
    }
}
