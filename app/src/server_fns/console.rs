//! The operator console's server functions: the pages' data and the refund. Each checks,
//! itself, that the signed-in user is an admin; anyone else gets [`FormError::NotFound`], the
//! same answer as a page that does not exist.

use leptos::prelude::*;

use crate::{
    console_views::{AuditView, OverviewView, PaymentView, PaymentsView},
    errors::FormError,
};

/// The signed-in admin (and the user they are), or `NotFound`.
#[cfg(feature = "ssr")]
fn admin() -> Result<(backend::auth::User, backend::console::Admin), FormError> {
    let user = super::context::signed_in_user().map_err(|_| FormError::NotFound)?;
    let admin = backend::console::Admin::check(&user)?;
    Ok((user, admin))
}

/// `/admin`'s figures.
#[server(endpoint = "admin_overview")]
pub async fn admin_overview() -> Result<OverviewView, FormError> {
    use backend::billing::Step;

    admin()?;
    let state = super::context::state()?;
    let now = backend::billing::clock::now(&state).await;
    let mut conn = state.db.acquire().await.step("taking a connection")?;
    let overview = backend::console::overview::overview(&mut conn, now)
        .await
        .step("computing the overview")?;
    Ok(super::console_mapping::overview(&overview))
}

/// A page of charges, newest first, after the charge `after`, matching `search`.
#[server(endpoint = "admin_payments")]
pub async fn admin_payments(
    search: Option<String>,
    after: Option<String>,
) -> Result<PaymentsView, FormError> {
    use backend::billing::Step;

    admin()?;
    let state = super::context::state()?;
    let rows = backend::console::payments::page(&state.db, search.as_deref(), after.as_deref())
        .await
        .step("reading a page of charges")?;
    Ok(super::console_mapping::payments(
        &rows,
        search.as_deref().unwrap_or_default(),
    ))
}

/// One charge, with the refund form when something is left to refund.
#[server(endpoint = "admin_payment")]
pub async fn admin_payment(id: String) -> Result<PaymentView, FormError> {
    use backend::billing::Step;

    admin()?;
    let state = super::context::state()?;
    let session = super::context::session()?;
    let mut conn = state.db.acquire().await.step("taking a connection")?;
    let charge = backend::console::payments::charge(&mut conn, &id)
        .await
        .step("reading the charge")?
        .ok_or(FormError::NotFound)?;
    let needs_password = backend::console::confirm::needed(&session).await?;
    Ok(super::console_mapping::payment(&charge, needs_password))
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
    use backend::console::refunds::{refund, RefundForm, Requester};

    let (user, admin) = admin()?;
    let state = super::context::state()?;
    let by = Requester {
        user: &user,
        admin: &admin,
        session: &super::context::session()?,
        network: super::context::client_network()?,
    };
    let form = RefundForm {
        charge: charge.clone(),
        amount,
        reason,
        form_id,
        password: password.map(Into::into),
    };
    refund(&state, by, form).await?;
    leptos_axum::redirect(&format!(
        "/admin/payments/{charge}?notice={}",
        crate::notice::Notice::Refunded.code()
    ));
    Ok(())
}

/// A page of the audit log, newest first, older than the entry `before`.
#[server(endpoint = "admin_audit")]
pub async fn admin_audit(before: Option<i64>) -> Result<AuditView, FormError> {
    use backend::billing::Step;

    admin()?;
    let state = super::context::state()?;
    let rows = backend::console::audit::page(&state.db, before)
        .await
        .step("reading the audit log")?;
    Ok(super::console_mapping::audit(&rows))
}
