//! The operator console's server functions: the pages' data and the actions. Each checks,
//! itself, that the signed-in user is an admin; anyone else gets [`FormError::NotFound`], the
//! same answer as a page that does not exist.
//!
//! - [`payments`]: charges, one charge, refunds.
//! - [`disputes`]: disputes, one dispute, its evidence, submitting and accepting.
//! - [`payouts`]: the balance, payouts, paying out.
//! - [`records`]: balance transactions, the webhook inbox, applying an event again, partners.
//! - [`customers`]: customers, one customer, canceling a subscription.

pub mod customers;
pub mod disputes;
pub mod payments;
pub mod payouts;
pub mod records;

pub use customers::AdminCancelSubscription;
pub use disputes::{AcceptDispute, SaveDisputeEvidence, SubmitDispute};
pub use payments::{AdminPayment, AdminPayments, RefundCharge};
pub use payouts::{AdminPayouts, PayOut};
pub use records::ReapplyEvent;

use leptos::prelude::*;

use crate::{
    console_views::{AuditView, OverviewView},
    errors::FormError,
};

/// The signed-in admin (and the user they are), or `NotFound`.
#[cfg(feature = "ssr")]
pub(super) fn admin() -> Result<(backend::auth::User, backend::console::Admin), FormError> {
    let user = crate::server_fns::context::signed_in_user().map_err(|_| FormError::NotFound)?;
    let admin = backend::console::Admin::check(&user)?;
    Ok((user, admin))
}

/// Who is acting: the admin, their session and network.
#[cfg(feature = "ssr")]
fn requester<'a>(
    user: &'a backend::auth::User,
    admin: &'a backend::console::Admin,
    session: &'a tower_sessions::Session,
) -> Result<backend::console::actions::Requester<'a>, FormError> {
    Ok(backend::console::actions::Requester {
        user,
        admin,
        session,
        // Set by the rate limiter on the actions that may carry a password.
        network: crate::server_fns::context::client_network_if_seen(),
    })
}

/// `/admin`'s figures.
#[server(endpoint = "admin_overview")]
pub async fn admin_overview() -> Result<OverviewView, FormError> {
    use backend::billing::Step;

    admin()?;
    let state = crate::server_fns::context::state()?;
    let now = backend::billing::clock::now(&state).await;
    let mut conn = state.db.acquire().await.step("taking a connection")?;
    let overview = backend::console::overview::overview(&mut conn, now).await?;
    let drifts = backend::organizations::seats::drifts(&mut *conn, 10)
        .await
        .step("reading the seat drifts")?;
    let lag = backend::usage::reporter::lag(&state.db)
        .await
        .step("reading the usage reporting lag")?;
    let discrepancies = backend::usage::reconcile::latest(&state.db, 10)
        .await
        .step("reading the usage differences")?;
    let mut view = crate::server_fns::console_mapping::overview(&overview, &drifts);
    view.usage_reporting = match (lag.waiting, lag.oldest) {
        (0, _) | (_, None) => "Every counted use has reached Stripe.".to_owned(),
        (waiting, Some(oldest)) => format!(
            "{waiting} uses wait to reach Stripe, the oldest since {}; {} of them failed at least once.",
            backend::billing::money::format_date(oldest),
            lag.failing
        ),
    };
    view.usage_discrepancies = discrepancies;
    Ok(view)
}

/// A page of the audit log, newest first, older than the entry `before`.
#[server(endpoint = "admin_audit")]
pub async fn admin_audit(before: Option<i64>) -> Result<AuditView, FormError> {
    use backend::billing::Step;

    admin()?;
    let state = crate::server_fns::context::state()?;
    let rows = backend::console::audit::page(&state.db, before)
        .await
        .step("reading the audit log")?;
    Ok(crate::server_fns::console_mapping::audit(&rows))
}
