//! `/admin/payments`: charges newest first, 25 a page by cursor (`after`), searchable by email,
//! name or Stripe id (`q`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{is_admin, SearchForm};
use crate::{
    console_views::PaymentsView, pages::not_found::NotFound,
    server_fns::console::payments::admin_payments,
};

#[component]
pub fn AdminPaymentsPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let query = query.get();
            (query.get("q"), query.get("after"))
        },
        |(search, after)| admin_payments(search, after),
    );
    super::frame(
        "Payments",
        (),
        data,
        |payments| view! { <Payments payments /> },
    )
}

#[component]
fn Payments(payments: PaymentsView) -> impl IntoView {
    let PaymentsView { rows, next, search } = payments;
    view! {
        <SearchForm action="/admin/payments" id="payments-search" search />
        {if rows.is_empty() {
            view! { <p class="muted">"No payments."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Payments, scrolls sideways">
                    <table class="table" aria-label="Payments">
                        <thead><tr>
                            <th scope="col">"Date"</th><th scope="col">"Customer"</th>
                            <th scope="col">"Amount"</th><th scope="col">"Fee"</th><th scope="col">"Net"</th>
                            <th scope="col">"Status"</th><th scope="col">"Refunded"</th><th scope="col">"Disputed"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|row| view! {
                                <tr>
                                    <td><a href=row.href>{row.date}</a></td>
                                    <td>{row.customer}</td>
                                    <td>{row.amount}</td><td>{row.fee}</td><td>{row.net}</td>
                                    <td>{row.status}</td><td>{row.refunded}</td>
                                    <td>{if row.disputed { "Disputed" } else { "" }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {next.map(|href| view! { <p><a href=href>"Older payments"</a></p> })}
    }
}
