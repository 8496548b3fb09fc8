//! Deleting an organization: its billing is cancelled first, as an account deletion's is.

use anyhow::Context;

use super::{Acting, OrganizationError};
use crate::{billing::Step, AppState};

/// Deletes the organization (owners only). Inside one transaction holding the organization's
/// row: its Stripe customer is deleted first — which cancels its subscription at once and
/// removes its cards (its invoices stay in Stripe's records) — then the organization, whose
/// memberships, invitations and billing rows go with it. If Stripe refuses or cannot be
/// reached, nothing is deleted and the owner is asked to try again, so nobody keeps paying for
/// a deleted organization.
#[tracing::instrument(skip_all, fields(organization_id = %acting.organization_id))]
pub async fn delete(state: &AppState, acting: &Acting) -> Result<(), OrganizationError> {
    acting.require_owner()?;
    let mut tx = state.db.begin().await.step("starting the deletion")?;
    if !super::lock(&mut tx, acting.organization_id)
        .await
        .step("locking the organization")?
    {
        return Err(OrganizationError::NotFound);
    }
    if let Some(customer) = crate::billing::customers::find(&mut *tx, acting.organization_id)
        .await
        .step("finding the organization's Stripe customer")?
    {
        match state.stripe.delete_customer(&customer).await {
            Ok(_) => tracing::info!(%customer, "deleted the organization's Stripe customer"),
            Err(error) if error.is_not_found() => {}
            Err(error) => {
                return Err(crate::billing::BillingError::from(
                    anyhow::Error::new(error)
                        .context("deleting the organization's Stripe customer"),
                )
                .into())
            }
        }
    }
    sqlx::query!(
        "DELETE FROM organizations WHERE id = $1",
        acting.organization_id
    )
    .execute(&mut *tx)
    .await
    .context("deleting the organization")
    .map_err(crate::billing::BillingError::from)?;
    tx.commit().await.step("committing the deletion")?;
    tracing::info!("organization deleted");
    Ok(())
}
