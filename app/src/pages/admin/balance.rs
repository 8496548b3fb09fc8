//! `/admin/balance`: every balance transaction (type, amount, fee, net, available-on date),
//! newest first by cursor, filtered by type; and the CSV export of a date range
//! (`GET /admin/balance/export`, served by the server).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::is_admin;
use crate::{
    console_views::records::LedgerView, pages::not_found::NotFound,
    server_fns::console::records::admin_balance_transactions,
};

#[component]
pub fn AdminBalancePage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let query = query.get();
            (query.get("type"), query.get("after"))
        },
        |(kind, after)| admin_balance_transactions(kind, after),
    );
    super::frame(
        "Balance transactions",
        (),
        data,
        |ledger| view! { <Ledger ledger /> },
    )
}

#[component]
fn Ledger(ledger: LedgerView) -> impl IntoView {
    let LedgerView {
        rows,
        kinds,
        kind,
        next,
        export_from,
        export_to,
    } = ledger;
    view! {
        <form method="get" action="/admin/balance" class="search" role="search">
            <div class="field">
                <label for="ledger-type">"Type"</label>
                <select id="ledger-type" name="type">
                    <option value="" selected=kind.is_empty()>"Every type"</option>
                    {kinds.into_iter().map(|option| {
                        let selected = option == kind;
                        view! { <option value=option.clone() selected=selected>{option.replace('_', " ")}</option> }
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button button--secondary">"Show"</button>
        </form>
        {if rows.is_empty() {
            view! { <p class="muted">"No balance transactions."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Balance transactions, scrolls sideways">
                    <table class="table" aria-label="Balance transactions">
                        <thead><tr>
                            <th scope="col">"Date"</th><th scope="col">"Type"</th><th scope="col">"Amount"</th>
                            <th scope="col">"Fee"</th><th scope="col">"Net"</th><th scope="col">"Status"</th>
                            <th scope="col">"Available on"</th><th scope="col">"Source"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|row| view! {
                                <tr>
                                    <td>{row.date}</td><td>{row.kind}</td><td>{row.amount}</td><td>{row.fee}</td>
                                    <td>{row.net}</td><td>{row.status}</td><td>{row.available_on}</td>
                                    <td>{row.source.map(|(id, page)| match page {
                                        Some(href) => view! { <a href=href><code>{id}</code></a> }.into_any(),
                                        None => view! { <code>{id}</code> }.into_any(),
                                    })}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {next.map(|href| view! { <p><a href=href>"Older transactions"</a></p> })}
        <section class="card" aria-labelledby="export-title">
            <h2 id="export-title">"Export as CSV"</h2>
            <form method="get" action="/admin/balance/export" class="search">
                <div class="field">
                    <label for="export-from">"From"</label>
                    <input id="export-from" name="from" type="date" value=export_from required=true />
                </div>
                <div class="field">
                    <label for="export-to">"To"</label>
                    <input id="export-to" name="to" type="date" value=export_to required=true />
                </div>
                <button type="submit" class="button button--secondary">"Download CSV"</button>
            </form>
        </section>
    }
}
