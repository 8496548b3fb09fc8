//! Customer portal sessions: Stripe's hosted page for cards, invoices, plan changes and
//! cancellation.

use uuid::Uuid;

use super::{customers, BillingError, Step};
use crate::{auth::User, AppState};

/// What a portal session opens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Portal {
    /// Everything: plans, card, invoices.
    Home,
    /// The form that adds or replaces the card (a paused trial, a failed payment).
    Card,
}

/// A portal session for the user's customer, returning to `return_path` on our site.
pub async fn open(
    state: &AppState,
    user: &User,
    return_path: &str,
    portal: Portal,
) -> Result<String, BillingError> {
    let customer = customers::find(&state.db, user.id)
        .await
        .step("finding the user's Stripe customer")?
        .ok_or(BillingError::NoCustomer)?;
    let return_url = state
        .config
        .base_url
        .join(return_path)
        .map_err(|e| anyhow::anyhow!("building the portal return URL: {e}"))?;
    let session = state
        .stripe
        .create_portal_session(
            &customer,
            return_url.as_str(),
            portal == Portal::Card,
            &Uuid::new_v4().to_string(),
        )
        .await
        .step("creating the portal session in Stripe")?;
    Ok(session.url)
}
