//! Sign up, sign in, sign out.

use leptos::prelude::*;

use crate::errors::FormError;

/// Creates an account and signs it in, then goes to `next` (a same-site path) or `/account`.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    password: String,
    display_name: Option<String>,
    next: Option<String>,
) -> Result<(), FormError> {
    use backend::auth::{session, signin};

    let state = super::context::state()?;
    let form = signin::SignUp {
        email,
        password: password.into(),
        display_name: display_name.unwrap_or_default(),
        referral: super::context::referral(),
    };
    let user = signin::sign_up(&state, form).await?;
    session::start(&super::context::session()?, &user).await?;
    leptos_axum::redirect(&crate::auth::safe_return_path(next.as_deref()));
    Ok(())
}

/// Checks the credentials, starts a session under a fresh id, and returns to `next`.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), FormError> {
    use backend::auth::{session, signin};

    let state = super::context::state()?;
    let network = super::context::client_network()?;
    let user = signin::sign_in(&state, &email, password.into(), network).await?;
    session::start(&super::context::session()?, &user).await?;
    leptos_axum::redirect(&crate::auth::safe_return_path(next.as_deref()));
    Ok(())
}

/// Signs this device out.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), FormError> {
    backend::auth::session::end(&super::context::session()?).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs the account out on every device, this one included.
#[server(endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), FormError> {
    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    backend::auth::signin::sign_out_everywhere(&state, user.id).await?;
    backend::auth::session::end(&super::context::session()?).await?;
    leptos_axum::redirect(&crate::notice::Notice::SignedOutEverywhere.href());
    Ok(())
}
