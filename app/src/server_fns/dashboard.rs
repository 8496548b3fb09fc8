//! The dashboard's data: the demo product, for users whose plan includes it.

use leptos::prelude::*;

use crate::{billing_views::DashboardView, errors::FormError};

/// The report, or `Locked` when the user's plans do not include it. Checked on every call
/// against what Postgres holds now.
#[server(endpoint = "dashboard")]
pub async fn dashboard() -> Result<DashboardView, FormError> {
    use backend::billing::entitlements::features;

    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    let entitlements = super::context::entitlements(&state, &user).await?;
    if !entitlements.has(features::REPORTS) {
        let held = backend::billing::subscriptions::held_by(&state.db, user.id)
            .await
            .map_err(backend::billing::BillingError::from)?;
        let statuses: Vec<_> = held.iter().map(|plan| plan.status).collect();
        return Ok(DashboardView::Locked(
            super::account_mapping::locked_reason(&statuses),
        ));
    }
    let today = time::OffsetDateTime::now_utc().date();
    let rows = backend::reports::sample(user.id, today.year(), today.month().into());
    Ok(super::account_mapping::dashboard(
        &rows,
        entitlements.has(features::API),
    ))
}
