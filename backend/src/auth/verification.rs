//! Confirming the account's own address: a link mailed at sign-up, and again on request from the
//! account page. A confirmed address is what unlocks a free trial without a card
//! (`billing::trials`); an email change confirmed by its link confirms the new address too.
//!
//! The link carries the address it was mailed to: after an email change, an older link
//! confirms nothing.

use anyhow::Context;

use super::{
    tokens::{self, Purpose},
    users, AuthError, User,
};
use crate::{mail, AppState};

/// Mails `user` a link that confirms their current address; links mailed earlier stop working.
pub async fn send_link(state: &AppState, user: &User) -> Result<(), AuthError> {
    let mut tx = state.db.begin().await.context("starting a transaction")?;
    tokens::revoke_all(&mut *tx, user.id, Purpose::EmailVerification)
        .await
        .context("revoking earlier confirmation links")?;
    let token = tokens::issue(
        &mut *tx,
        user.id,
        Purpose::EmailVerification,
        Some(&user.email),
    )
    .await
    .context("storing the confirmation token")?;
    tx.commit()
        .await
        .context("committing the confirmation token")?;
    let link = mail::messages::link(&state.config.base_url, "/account/verify-email", &token);
    mail::send_in_background(
        state.mailer.clone(),
        mail::messages::confirm_address(&user.email, &link),
    );
    Ok(())
}

/// The account page's "send the link again": nothing to do once the address is confirmed.
pub async fn resend_link(state: &AppState, user: &User) -> Result<(), AuthError> {
    if user.email_verified {
        return Ok(());
    }
    send_link(state, user).await
}

/// Follows a confirmation link: the address it was mailed to is confirmed, if it is still the
/// account's. Refused (`InvalidToken`) when the link is unknown, used, expired or for an
/// address the account no longer has.
pub async fn confirm(state: &AppState, token: &str) -> Result<(), AuthError> {
    let mut tx = state.db.begin().await.context("starting a transaction")?;
    let redeemed = tokens::redeem(&mut *tx, token, Purpose::EmailVerification)
        .await
        .context("redeeming the confirmation token")?
        .ok_or(AuthError::InvalidToken)?;
    let email = redeemed
        .new_email
        .context("an email_verification token without an address")?;
    let confirmed = users::set_email_verified(&mut *tx, redeemed.user_id, &email)
        .await
        .context("marking the address confirmed")?;
    if !confirmed {
        return Err(AuthError::InvalidToken);
    }
    tx.commit()
        .await
        .context("committing the confirmed address")?;
    Ok(())
}
