//! Forgot password and reset password.

use leptos::prelude::*;

use crate::errors::FormError;

/// Mails a reset link if the account exists; answers the same either way.
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let network = super::context::client_network()?;
    backend::auth::recovery::request_password_reset(&state, &email, network).await?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// Sets a new password with the token from the mail; every session of the account ends.
#[server(endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let network = super::context::client_network()?;
    backend::auth::recovery::reset_password(&state, &token, password.into(), network).await?;
    // Whoever is signed in on this device (perhaps someone else) is signed out too.
    backend::auth::session::end(&super::context::session()?).await?;
    leptos_axum::redirect(&crate::notice::Notice::PasswordReset.href());
    Ok(())
}
