//! Profile changes by a signed-in user: display name, email (confirmed by mail), password.

use anyhow::Context;
use secrecy::SecretString;
use uuid::Uuid;

use super::{
    password,
    tokens::{self, Purpose},
    users, AuthError, EmailAddress, Password, User,
};
use crate::{mail, ratelimit::ClientNetwork, AppState};

/// Sets (or, when blank, clears) the display name.
pub async fn change_display_name(
    state: &AppState,
    user: &User,
    display_name: &str,
) -> Result<(), AuthError> {
    let display_name = super::parse_display_name(display_name, "display_name")?;
    users::set_display_name(&state.db, user.id, display_name.as_deref())
        .await
        .context("updating the display name")?;
    Ok(())
}

/// Starts an email change: checks the password, mails a confirmation link to the new address and
/// tells the old one. Nothing changes until the link is followed. Links from earlier requests
/// stop working: only the newest one can change the address.
pub async fn request_email_change(
    state: &AppState,
    user: &User,
    new_email: &str,
    current_password: SecretString,
    network: ClientNetwork,
) -> Result<(), AuthError> {
    let new_email = EmailAddress::parse(new_email, "new_email")?;
    if new_email == user.email {
        return Err(AuthError::invalid(
            "new_email",
            "This is already your email address.",
        ));
    }
    let mut tx = state.db.begin().await.context("starting a transaction")?;
    password::check_current(
        state,
        &mut tx,
        user,
        network,
        current_password,
        "current_password",
    )
    .await?;
    if users::find_by_email(&mut *tx, &new_email)
        .await
        .context("checking the new email is free")?
        .is_some()
    {
        return Err(AuthError::EmailTaken { field: "new_email" });
    }
    tokens::revoke_all(&mut *tx, user.id, Purpose::EmailChange)
        .await
        .context("revoking earlier confirmation tokens")?;
    let token = tokens::issue(&mut *tx, user.id, Purpose::EmailChange, Some(&new_email))
        .await
        .context("storing the confirmation token")?;
    tx.commit()
        .await
        .context("committing the confirmation token")?;
    let link = mail::messages::link(&state.config.base_url, "/account/confirm-email", &token);
    mail::send_in_background(
        state.mailer.clone(),
        mail::messages::confirm_new_email(&new_email, &link),
    );
    mail::send_in_background(
        state.mailer.clone(),
        mail::messages::email_change_requested(&user.email, &new_email),
    );
    Ok(())
}

/// A confirmed email change: whose account it was, and its new session epoch.
#[derive(Debug)]
pub struct EmailChanged {
    pub user_id: Uuid,
    pub epoch: i32,
}

/// Follows a confirmation link: the account's email becomes the confirmed address. Like any
/// change of the sign-in identity, it ends every session of the account and revokes any other
/// confirmation link; the caller keeps the current device signed in (with the returned epoch) if
/// it belongs to the same account.
pub async fn confirm_email_change(
    state: &AppState,
    token: &str,
) -> Result<EmailChanged, AuthError> {
    let mut tx = state.db.begin().await.context("starting a transaction")?;
    let redeemed = tokens::redeem(&mut *tx, token, Purpose::EmailChange)
        .await
        .context("redeeming the confirmation token")?
        .ok_or(AuthError::InvalidToken)?;
    let new_email = redeemed
        .new_email
        .context("an email_change token without an address")?;
    users::set_email(&mut *tx, redeemed.user_id, &new_email)
        .await
        .map_err(|e| AuthError::from_db(e, "new_email", "updating the email"))?;
    tokens::revoke_all(&mut *tx, redeemed.user_id, Purpose::EmailChange)
        .await
        .context("revoking other confirmation tokens")?;
    let epoch = users::end_sessions(&mut *tx, redeemed.user_id)
        .await
        .context("starting a new session epoch")?;
    tx.commit().await.context("committing the new email")?;
    Ok(EmailChanged {
        user_id: redeemed.user_id,
        epoch,
    })
}

/// Changes the password after checking the current one. Every session of the account ends and
/// every mailed link (reset, email change) is revoked; returns the new session epoch so the
/// caller can keep the current device signed in.
pub async fn change_password(
    state: &AppState,
    user: &User,
    current_password: SecretString,
    new_password: SecretString,
    network: ClientNetwork,
) -> Result<i32, AuthError> {
    let new_password = Password::parse(new_password, "new_password")?;
    let mut tx = state.db.begin().await.context("starting a transaction")?;
    password::check_current(
        state,
        &mut tx,
        user,
        network,
        current_password,
        "current_password",
    )
    .await?;
    let hash = password::hash(&state.password_hashing, new_password).await?;
    let epoch = users::set_password_and_end_sessions(&mut *tx, user.id, &hash)
        .await
        .context("storing the new password")?;
    tokens::revoke_every_purpose(&mut *tx, user.id)
        .await
        .context("revoking the account's tokens")?;
    tx.commit().await.context("committing the new password")?;
    Ok(epoch)
}
