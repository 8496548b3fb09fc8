//! Customer portal sessions: Stripe's hosted page for cards, invoices and cancellation, opened
//! on the configuration `server stripe setup` made (tagged `tollgate=portal`) when there is one,
//! else on the account's default.

use std::time::Duration;

use uuid::Uuid;

use super::payer::Payer;
use super::{customers, BillingError, Step};
use crate::AppState;

/// What a portal session opens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Portal {
    /// Everything: plans, card, invoices.
    Home,
    /// The form that adds or replaces the card (a paused trial, a failed payment).
    Card,
}

/// A portal session for the payer's customer (owners only, for an organization), returning to `return_path` on our site.
pub async fn open(
    state: &AppState,
    payer: &Payer,
    return_path: &str,
    portal: Portal,
) -> Result<String, BillingError> {
    if !payer.manages_billing() {
        return Err(BillingError::NotOwner);
    }
    let customer = customers::find(&state.db, payer.account_id())
        .await
        .step("finding the account's Stripe customer")?
        .ok_or(BillingError::NoCustomer)?;
    let return_url = state
        .config
        .base_url
        .join(return_path)
        .map_err(|e| anyhow::anyhow!("building the portal return URL: {e}"))?;
    let configuration = ours(&state.stripe).await;
    let session = state
        .stripe
        .create_portal_session(
            &customer,
            return_url.as_str(),
            portal == Portal::Card,
            configuration.as_deref(),
            &Uuid::new_v4().to_string(),
        )
        .await
        .step("creating the portal session in Stripe")?;
    Ok(session.url)
}

/// The active portal configuration `server stripe setup` made, if any. Stripe's API cannot make
/// a configuration the account's default (`is_default` is read-only), so sessions name ours.
/// Best effort within a few seconds: without an answer the session uses the default.
pub async fn ours(stripe: &crate::stripe::StripeClient) -> Option<String> {
    let listed = stripe
        .once_within(Duration::from_secs(3))
        .portal_configurations()
        .await;
    match listed {
        Ok(configurations) => configurations
            .into_iter()
            .find(|configuration| configuration.active && configuration.is_ours())
            .map(|configuration| configuration.id),
        Err(error) => {
            tracing::warn!(%error, "listing portal configurations failed; using the default");
            None
        }
    }
}

/// `PORTAL_CANCEL_MODE`: whether cancelling in the portal ends the plan at the end of the paid
/// period (the default) or at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CancelMode {
    /// `at_period_end`: the plan runs to the end of what was paid.
    #[default]
    AtPeriodEnd,
    /// `immediately`: the plan ends now.
    Immediately,
}

impl CancelMode {
    /// Stripe's name for it (`features[subscription_cancel][mode]`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AtPeriodEnd => "at_period_end",
            Self::Immediately => "immediately",
        }
    }
}

impl std::str::FromStr for CancelMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "at_period_end" => Ok(Self::AtPeriodEnd),
            "immediately" => Ok(Self::Immediately),
            other => Err(format!(
                "expected at_period_end or immediately, not {other:?}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CancelMode;

    #[test]
    fn the_cancel_mode_is_read_by_stripes_names() {
        assert_eq!("at_period_end".parse(), Ok(CancelMode::AtPeriodEnd));
        assert_eq!("immediately".parse(), Ok(CancelMode::Immediately));
        assert!("now".parse::<CancelMode>().is_err());
        assert_eq!(CancelMode::default().as_str(), "at_period_end");
    }
}
