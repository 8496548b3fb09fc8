//! The payments pages' data and the refund.

use leptos::prelude::*;

use crate::{
    console_views::{PaymentView, PaymentsView},
    errors::FormError,
};

/// A page of charges, newest first, after the charge `after`, matching `search`.
#[server(endpoint = "admin_payments")]
pub async fn admin_payments(
    search: Option<String>,
    after: Option<String>,
) -> Result<PaymentsView, FormError> {
    use backend::billing::Step;

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let rows = backend::console::payments::page(&state.db, search.as_deref(), after.as_deref())
        .await
        .step("reading a page of charges")?;
    Ok(crate::server_fns::console_mapping::payments(
        &rows,
        search.as_deref().unwrap_or_default(),
    ))
}

/// One charge, with the refund form when something is left to refund.
#[server(endpoint = "admin_payment")]
pub async fn admin_payment(id: String) -> Result<PaymentView, FormError> {
    use backend::billing::Step;

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let session = crate::server_fns::context::session()?;
    let mut conn = state.db.acquire().await.step("taking a connection")?;
    let charge = backend::console::payments::charge(&mut conn, &id)
        .await?
        .ok_or(FormError::NotFound)?;
    let needs_password =
        backend::console::confirm::needed(&session, state.config.admin_password_window).await?;
    Ok(crate::server_fns::console_mapping::payment(
        &charge,
        needs_password,
    ))
}

/// Refunds `amount` of the charge (empty: everything left), then shows its page again.
#[server(endpoint = "refund_charge")]
pub async fn refund_charge(
    charge: String,
    amount: String,
    reason: String,
    form_id: String,
    password: Option<String>,
) -> Result<(), FormError> {
    use backend::console::refunds::{refund, RefundForm};

    let (user, admin) = super::admin()?;
    let state = crate::server_fns::context::state()?;
    let session = crate::server_fns::context::session()?;
    let by = super::requester(&user, &admin, &session)?;
    let form = RefundForm {
        charge: charge.clone(),
        amount,
        reason,
        form_id,
        password: password.map(Into::into),
    };
    refund(&state, by, form).await?;
    leptos_axum::redirect(&crate::notice::Notice::Refunded.href_for(&charge));
    Ok(())
}
