//! `/admin/disputes`: disputes newest first, 25 a page by cursor (`after`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::is_admin;
use crate::{
    console_views::DisputesView, pages::not_found::NotFound,
    server_fns::console::disputes::admin_disputes,
};

#[component]
pub fn AdminDisputesPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map();
    let data = Resource::new(move || query.get().get("after"), admin_disputes);
    super::frame(
        "Disputes",
        (),
        data,
        |disputes| view! { <Disputes disputes /> },
    )
}

#[component]
fn Disputes(disputes: DisputesView) -> impl IntoView {
    let DisputesView { rows, next } = disputes;
    view! {
        {if rows.is_empty() {
            view! { <p class="muted">"No disputes."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Disputes, scrolls sideways">
                    <table class="table" aria-label="Disputes">
                        <thead><tr>
                            <th scope="col">"Opened"</th><th scope="col">"Amount"</th><th scope="col">"Status"</th>
                            <th scope="col">"Reason"</th><th scope="col">"Evidence due"</th><th scope="col">"Payment"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|row| view! {
                                <tr>
                                    <td><a href=row.href>{row.opened}</a></td><td>{row.amount}</td>
                                    <td>{row.status}</td><td>{row.reason}</td><td>{row.due}</td>
                                    <td><a href=row.payment_href>"Payment"</a></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {next.map(|href| view! { <p><a href=href>"Older disputes"</a></p> })}
    }
}
