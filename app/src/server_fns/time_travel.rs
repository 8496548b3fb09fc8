//! Development only: the account page's control that moves the Stripe emulator's clock (see
//! `backend::billing::time_travel`). Both functions check the configuration themselves.

use leptos::prelude::*;

use crate::errors::FormError;

/// The emulator's date in words, when the control is offered (`DEV_MODE=true` with the
/// emulator); `None` otherwise, and the page shows nothing.
#[server(endpoint = "time_travel")]
pub async fn time_travel() -> Result<Option<String>, FormError> {
    let state = super::context::state()?;
    super::context::signed_in_user()?;
    let now = backend::billing::time_travel::now(&state).await;
    Ok(now.map(backend::billing::money::format_date))
}

/// Moves the emulator's clock `days` forward, waits for its webhooks, and shows the account page
/// again.
#[server(endpoint = "advance_clock")]
pub async fn advance_clock(days: u32) -> Result<(), FormError> {
    let state = super::context::state()?;
    super::context::signed_in_user()?;
    backend::billing::time_travel::advance(&state, days).await?;
    leptos_axum::redirect(&format!(
        "{}#time-travel",
        crate::notice::Notice::ClockMoved.href()
    ));
    Ok(())
}
