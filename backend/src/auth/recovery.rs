//! Forgot password: a single-use reset link by email (the newest one only), then a new password.

use anyhow::Context;
use secrecy::SecretString;

use super::{
    password,
    tokens::{self, Purpose},
    users, AuthError, EmailAddress, Password,
};
use crate::{mail, ratelimit::ClientNetwork, AppState};

/// Mails a reset link if an account has this email. Everything after checking the address's
/// shape — the lookup, the token, the mail — happens in a background task, so the answer and its
/// timing are the same whether or not the account exists (and whatever the mail server does).
///
/// Reset mails to one address are limited per requesting network
/// (`RATE_LIMIT_RESET_MAILS_PER_HOUR`), before the lookup: past it the answer is the same and
/// nothing is sent, and a stranger's requests never use up the owner's.
pub async fn request_password_reset(
    state: &AppState,
    email: &str,
    network: ClientNetwork,
) -> Result<(), AuthError> {
    let email = EmailAddress::parse(email, "email")?;
    if !state.auth_rate_limits.allows_reset_mail(&email, network) {
        tracing::info!(%network, "reset mails to this address from this client are limited");
        return Ok(());
    }
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(error) = send_reset_link(&state, &email).await {
            tracing::error!(error.cause_chain = ?error, "sending a password reset link failed");
        }
    });
    Ok(())
}

async fn send_reset_link(state: &AppState, email: &EmailAddress) -> anyhow::Result<()> {
    let found = users::find_by_email(&state.db, email)
        .await
        .context("looking up the account")?;
    let Some((user, _)) = found else {
        tracing::info!("password reset requested for an unknown email");
        return Ok(());
    };
    // The new link replaces any earlier unused one: only the newest mail can reset.
    let mut tx = state.db.begin().await.context("starting a transaction")?;
    tokens::revoke_all(&mut *tx, user.id, Purpose::PasswordReset)
        .await
        .context("revoking earlier reset tokens")?;
    let token = tokens::issue(&mut *tx, user.id, Purpose::PasswordReset, None)
        .await
        .context("storing the reset token")?;
    tx.commit().await.context("committing the reset token")?;
    let link = mail::messages::link(&state.config.base_url, "/reset-password", &token);
    state
        .mailer
        .send(&mail::messages::password_reset(&user.email, &link))
        .await
        .context("sending the reset mail")?;
    Ok(())
}

/// Sets a new password with a reset token. The token is used up, every other token of the
/// account (reset or email change) is revoked, and every session of the account ends. The
/// failures of `network` (where the owner opened the mailed link) on the account are forgiven,
/// so the owner can sign in with the new password even while strangers keep guessing.
///
/// The token is redeemed before the new password is hashed, so a wrong token costs no argon2
/// work. Redeeming marks it used inside the transaction: a concurrent request with the same
/// token waits on the row and then finds it used; if hashing fails, the rollback restores it.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_password: SecretString,
    network: ClientNetwork,
) -> Result<(), AuthError> {
    let new_password = Password::parse(new_password, "password")?;
    let mut tx = state.db.begin().await.context("starting a transaction")?;
    let redeemed = tokens::redeem(&mut *tx, token, Purpose::PasswordReset)
        .await
        .context("redeeming the reset token")?
        .ok_or(AuthError::InvalidToken)?;
    let hash = password::hash(&state.password_hashing, new_password).await?;
    users::set_password_and_end_sessions(&mut *tx, redeemed.user_id, &hash)
        .await
        .context("storing the new password")?;
    tokens::revoke_every_purpose(&mut *tx, redeemed.user_id)
        .await
        .context("revoking the account's other tokens")?;
    tx.commit().await.context("committing the new password")?;
    let user = users::find_by_id(&state.db, redeemed.user_id)
        .await
        .context("looking up the account whose password was reset")?;
    if let Some(user) = user {
        state
            .auth_rate_limits
            .failures
            .forgive(&user.email, network);
    }
    Ok(())
}
