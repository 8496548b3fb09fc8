//! The dashboard's data: the demo product, for users whose plan includes it.

use leptos::prelude::*;

use crate::{billing_views::DashboardView, errors::FormError};

/// The report, or `Locked` when the plans of whom the user acts for do not include it. Checked on every call
/// against what Postgres holds now (one statement: what the user may use, and holds).
#[server(endpoint = "dashboard")]
pub async fn dashboard() -> Result<DashboardView, FormError> {
    use backend::billing::entitlements::features;

    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let standing = super::context::standing(&state, &payer).await?;
    if !standing.entitlements.has(features::REPORTS) {
        return Ok(DashboardView::Locked(
            super::account_mapping::locked_reason(&standing.held),
        ));
    }
    let today = time::OffsetDateTime::now_utc().date();
    let rows = backend::reports::sample(payer.account_id(), today.year(), today.month().into());
    Ok(super::account_mapping::dashboard(
        &rows,
        standing.entitlements.has(features::API),
    ))
}
