//! Profile changes and account deletion. Each checks the signed-in user itself.

use leptos::prelude::*;

use crate::errors::FormError;

/// Sets or clears the display name.
#[server(endpoint = "update_display_name")]
pub async fn update_display_name(display_name: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    backend::auth::profile::change_display_name(&state, &user, &display_name).await?;
    leptos_axum::redirect(&crate::notice::Notice::NameSaved.href());
    Ok(())
}

/// Mails a confirmation link to the new address (and a notice to the current one).
#[server(endpoint = "change_email")]
pub async fn change_email(new_email: String, current_password: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    backend::auth::profile::request_email_change(
        &state,
        &user,
        &new_email,
        current_password.into(),
        super::context::client_network()?,
    )
    .await?;
    leptos_axum::redirect(&crate::notice::Notice::EmailSent.href());
    Ok(())
}

/// Whether the signed-in user's address is confirmed (the account page offers the link again
/// when it is not).
#[server(endpoint = "email_confirmed")]
pub async fn email_confirmed() -> Result<bool, FormError> {
    Ok(super::context::signed_in_user()?.email_verified)
}

/// Mails the link that confirms the account's address again.
#[server(endpoint = "resend_confirmation")]
pub async fn resend_confirmation() -> Result<(), FormError> {
    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    backend::auth::verification::resend_link(&state, &user).await?;
    leptos_axum::redirect(&crate::notice::Notice::ConfirmationSent.href());
    Ok(())
}

/// Changes the password; other devices are signed out, this one stays signed in (new id).
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), FormError> {
    use backend::auth::{profile, session};

    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    let network = super::context::client_network()?;
    let epoch = profile::change_password(
        &state,
        &user,
        current_password.into(),
        new_password.into(),
        network,
    )
    .await?;
    session::renew(&super::context::session()?, user.id, epoch).await?;
    leptos_axum::redirect(&crate::notice::Notice::PasswordChanged.href());
    Ok(())
}

/// Deletes the account (password required) and signs out.
#[server(endpoint = "delete_account")]
pub async fn delete_account(password: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    let network = super::context::client_network()?;
    backend::auth::deletion::delete_account(&state, &user, password.into(), network).await?;
    backend::auth::session::end(&super::context::session()?).await?;
    leptos_axum::redirect(&crate::notice::Notice::AccountDeleted.href());
    Ok(())
}
