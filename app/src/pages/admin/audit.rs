//! `/admin/audit`: every console action, newest first, 50 a page by cursor (`before`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::is_admin;
use crate::{
    console_views::AuditView, pages::not_found::NotFound, server_fns::console::admin_audit,
};

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map();
    let data = Resource::new(
        move || {
            query
                .get()
                .get("before")
                .and_then(|before| before.parse().ok())
        },
        admin_audit,
    );
    super::frame("Audit log", (), data, |audit| view! { <Entries audit /> })
}

#[component]
fn Entries(audit: AuditView) -> impl IntoView {
    let AuditView { rows, next } = audit;
    view! {
        {if rows.is_empty() {
            view! { <p class="muted">"No action yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Audit log, scrolls sideways">
                    <table class="table" aria-label="Audit log">
                        <thead><tr>
                            <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th>
                            <th scope="col">"Object"</th><th scope="col">"Amount"</th><th scope="col">"Outcome"</th>
                            <th scope="col">"Detail"</th><th scope="col">"Stripe request"</th><th scope="col">"Idempotency key"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|row| view! {
                                <tr>
                                    <td>{row.at}</td><td>{row.admin}</td><td>{row.action}</td>
                                    <td><code>{row.object}</code></td><td>{row.amount}</td><td>{row.outcome}</td>
                                    <td>{row.detail}</td><td><code>{row.request_id}</code></td>
                                    <td><code>{row.idempotency_key}</code></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {next.map(|href| view! { <p><a href=href>"Older entries"</a></p> })}
    }
}
