//! `/admin/customers`: customers newest first by cursor, searchable by email, name or Stripe id
//! (`q`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{is_admin, SearchForm};
use crate::{
    console_views::customers::CustomersView, pages::not_found::NotFound,
    server_fns::console::customers::admin_customers,
};

#[component]
pub fn AdminCustomersPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let query = query.get();
            (query.get("q"), query.get("after"))
        },
        |(search, after)| admin_customers(search, after),
    );
    super::frame(
        "Customers",
        (),
        data,
        |customers| view! { <Customers customers /> },
    )
}

#[component]
fn Customers(customers: CustomersView) -> impl IntoView {
    let CustomersView { rows, search, next } = customers;
    view! {
        <SearchForm action="/admin/customers" id="customers-search" search />
        {if rows.is_empty() {
            view! { <p class="muted">"No customers."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Customers, scrolls sideways">
                    <table class="table" aria-label="Customers">
                        <thead><tr>
                            <th scope="col">"Email"</th><th scope="col">"Name"</th><th scope="col">"Stripe customer"</th>
                            <th scope="col">"Subscriptions"</th><th scope="col">"Signed up"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|row| view! {
                                <tr>
                                    <td><a href=row.href>{row.email}</a></td><td>{row.name}</td>
                                    <td><code>{row.stripe_id}</code></td><td>{row.subscriptions}</td><td>{row.signed_up}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {next.map(|href| view! { <p><a href=href>"More customers"</a></p> })}
    }
}
