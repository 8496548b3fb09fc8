//! The payouts page's data and paying out.

use leptos::prelude::*;

use crate::{console_views::PayoutsView, errors::FormError};

/// The balance, a page of payouts after the payout `after`, and the payout form.
#[server(endpoint = "admin_payouts")]
pub async fn admin_payouts(after: Option<String>) -> Result<PayoutsView, FormError> {
    use backend::{billing::Step, console::payouts};

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let session = crate::server_fns::context::session()?;
    let balance = payouts::balance(&state.db)
        .await
        .step("reading the balance")?;
    let rows = payouts::page(&state.db, after.as_deref())
        .await
        .step("reading a page of payouts")?;
    let needs_password =
        backend::console::confirm::needed(&session, state.config.admin_password_window).await?;
    Ok(crate::server_fns::console_mapping::payouts(
        &balance,
        &rows,
        needs_password,
    ))
}

/// Pays `amount` of the available balance in `currency` out to the bank (empty: all of it),
/// then shows the payouts again.
#[server(endpoint = "pay_out")]
pub async fn pay_out(
    currency: String,
    amount: String,
    form_id: String,
    password: Option<String>,
) -> Result<(), FormError> {
    use backend::console::payouts::{pay_out, PayoutForm};

    let (user, admin) = super::admin()?;
    let state = crate::server_fns::context::state()?;
    let session = crate::server_fns::context::session()?;
    let by = super::requester(&user, &admin, &session)?;
    let form = PayoutForm {
        currency,
        amount,
        form_id,
        password: password.map(Into::into),
    };
    pay_out(&state, by, form).await?;
    leptos_axum::redirect(&crate::notice::Notice::PaidOut.href());
    Ok(())
}
