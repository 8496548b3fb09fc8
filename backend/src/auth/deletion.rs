//! Deleting an account, and the billing hook that runs first.

use anyhow::Context;
use secrecy::SecretString;
use sqlx::PgConnection;

use super::{password, users, AuthError, User};
use crate::{ratelimit::ClientNetwork, AppState};

/// Deletes the account after checking its password (refused while it is the only owner of an
/// organization): first the billing hook, then the user row
/// (its tokens cascade). Sessions end because their user is gone; the caller also ends this
/// device's session.
pub async fn delete_account(
    state: &AppState,
    user: &User,
    password: SecretString,
    network: ClientNetwork,
) -> Result<(), AuthError> {
    let mut tx = state.db.begin().await.context("starting a transaction")?;
    password::check_current(state, &mut tx, user, network, password, "password").await?;
    // An organization always has an owner: its only owner hands it over or deletes it first.
    let owned = crate::organizations::members::solely_owned_by(&mut *tx, user.id)
        .await
        .context("finding the organizations only this account owns")?;
    if !owned.is_empty() {
        return Err(AuthError::invalid(
            "password",
            format!(
                "You are the only owner of {}. Make someone else owner, or delete the \
                 organization, first.",
                owned.join(", ")
            ),
        ));
    }
    cancel_billing_before_deletion(&mut tx, state, user)
        .await
        .context("cancelling billing before deletion")?;
    users::delete(&mut *tx, user.id)
        .await
        .context("deleting the user")?;
    tx.commit().await.context("committing the deletion")?;
    tracing::info!(user.id = %user.id, "account deleted");
    Ok(())
}

/// **Billing hook.** Called inside the deletion transaction, with the user row locked, before the
/// row is deleted: deletes the user's Stripe customer, which cancels every subscription at once
/// and removes their cards from Stripe (their invoices stay in Stripe's records). If Stripe
/// refuses or cannot be reached, the deletion is rolled back and the user sees a generic error,
/// so nobody keeps paying for a deleted account. Our billing rows go with the user row (cascade);
/// the trial ledger keeps whether the address had a free trial.
pub async fn cancel_billing_before_deletion(
    conn: &mut PgConnection,
    state: &AppState,
    user: &User,
) -> anyhow::Result<()> {
    crate::billing::trials::remember_before_deletion(conn, &state.config.trial_ledger_key, user)
        .await
        .context("remembering the account's free trial")?;
    let Some(customer) = crate::billing::customers::find(&mut *conn, user.id).await? else {
        return Ok(());
    };
    match state.stripe.delete_customer(&customer).await {
        Ok(_) => {
            tracing::info!(user.id = %user.id, %customer, "deleted the Stripe customer");
            Ok(())
        }
        // Already gone (deleted in the dashboard): nothing left to cancel.
        Err(error) if error.is_not_found() => Ok(()),
        Err(error) => Err(error).context("deleting the Stripe customer"),
    }
}
