//! Deleting an account, and the billing hook that runs first.

use anyhow::Context;
use secrecy::SecretString;
use sqlx::PgConnection;

use super::{password, users, AuthError, User};
use crate::AppState;

/// Deletes the account after checking its password: first the billing hook, then the user row
/// (its tokens cascade). Sessions end because their user is gone; the caller also ends this
/// device's session.
pub async fn delete_account(
    state: &AppState,
    user: &User,
    password: SecretString,
) -> Result<(), AuthError> {
    let mut tx = state.db.begin().await.context("starting a transaction")?;
    let stored = users::password_hash_for_update(&mut tx, user.id)
        .await
        .context("loading the password hash")?;
    if !password::verify(password, stored).await? {
        return Err(AuthError::wrong_current_password("password"));
    }
    cancel_billing_before_deletion(&mut tx, user)
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
/// row is deleted. It must cancel the user's Stripe subscriptions (immediately, with proration
/// as the billing rules say) and remove billing data that is personal. If it fails, the deletion
/// is rolled back and the user sees a generic error, so nobody keeps paying for a deleted
/// account.
///
/// There is no billing yet, so it does nothing. The billing issue replaces the body.
pub async fn cancel_billing_before_deletion(
    _conn: &mut PgConnection,
    _user: &User,
) -> anyhow::Result<()> {
    Ok(())
}
