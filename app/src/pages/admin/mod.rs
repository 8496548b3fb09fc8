//! The operator console, `/admin`: server-rendered pages that work without JavaScript. Anyone
//! but an admin — a member, a visitor — gets the not-found page (404): the console does not
//! announce itself. The server functions behind each page check the same again.
//!
//! - [`overview`]: `/admin`, the business at a glance.
//! - [`payments`]: `/admin/payments`, charges by cursor, searchable; [`payment`]: one charge and
//!   its refund form.
//! - [`disputes`]: `/admin/disputes`; [`dispute`]: one dispute, its evidence, submitting or
//!   accepting it.
//! - [`payouts`]: `/admin/payouts`, the balance and paying it out.
//! - [`customers`]: `/admin/customers`; [`customer`]: one customer, canceling a subscription.
//! - [`balance`]: `/admin/balance`, the balance transactions and their CSV export.
//! - [`events`]: `/admin/events`, the webhook inbox; [`event`]: one event, applied again.
//! - [`audit`]: `/admin/audit`, the audit log.

pub mod audit;
pub mod balance;
pub mod customer;
pub mod customers;
pub mod dispute;
pub mod disputes;
pub mod event;
pub mod events;
pub mod overview;
pub mod payment;
pub mod payments;
pub mod payouts;

use leptos::prelude::*;

use crate::{
    auth::current_user, components::form::FormAlert, errors::FormError, pages::not_found::NotFound,
};

/// Whether the signed-in user may see the console.
fn is_admin() -> bool {
    current_user().is_some_and(|user| user.is_admin)
}

/// The console's own navigation, under the page's heading.
#[component]
fn ConsoleNav() -> impl IntoView {
    view! {
        <nav class="console-nav" aria-label="Console">
            <a href="/admin">"Overview"</a>
            <a href="/admin/customers">"Customers"</a>
            <a href="/admin/payments">"Payments"</a>
            <a href="/admin/disputes">"Disputes"</a>
            <a href="/admin/payouts">"Payouts"</a>
            <a href="/admin/balance">"Balance"</a>
            <a href="/admin/events">"Events"</a>
            <a href="/admin/audit">"Audit log"</a>
        </nav>
    }
}

/// A failed load: not found (404) for `NotFound`, the error's sentence otherwise.
fn failed(error: FormError) -> AnyView {
    match error {
        FormError::NotFound => view! { <NotFound /> }.into_any(),
        error => view! { <FormAlert error=Some(error) /> }.into_any(),
    }
}
