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
//! - [`partners`]: `/admin/partners`, the partner program's partners.
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
pub mod partners;
pub mod payment;
pub mod payments;
pub mod payouts;

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{de::DeserializeOwned, Serialize};

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
            <a href="/admin/partners">"Partners"</a>
            <a href="/admin/audit">"Audit log"</a>
        </nav>
    }
}

/// The frame every console page shares: its title and heading, the console's navigation,
/// `above` (a notice, an alert), then `show` of the page's data once loaded — or the not-found
/// page, or the error's sentence. The page itself checks [`is_admin`] before loading anything.
fn frame<T, V>(
    title: &'static str,
    above: impl IntoView + 'static,
    data: Resource<Result<T, FormError>>,
    show: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> AnyView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    view! {
        <Title text=title />
        <section class="container page console">
            <h1>{title}</h1>
            <ConsoleNav />
            {above}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let show = show.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(value) => show(value).into_any(),
                            Err(error) => failed(error),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
    .into_any()
}

/// A list's search box: `GET action?q=…`, showing what was searched for.
#[component]
fn SearchForm(action: &'static str, id: &'static str, search: String) -> impl IntoView {
    view! {
        <form method="get" action=action class="search" role="search">
            <div class="field">
                <label for=id>"Search by email, name or Stripe id"</label>
                <input id=id name="q" type="search" value=search />
            </div>
            <button type="submit" class="button button--secondary">"Search"</button>
        </form>
    }
}

/// A failed load: not found (404) for `NotFound`, the error's sentence otherwise.
fn failed(error: FormError) -> AnyView {
    match error {
        FormError::NotFound => view! { <NotFound /> }.into_any(),
        error => view! { <FormAlert error=Some(error) /> }.into_any(),
    }
}
