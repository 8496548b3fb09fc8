//! `/admin/events`: the webhook inbox, newest first by cursor — every event or only the failing
//! ones, by type; `/admin/events/evt_…` (in [`super::event`]) shows one.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::is_admin;
use crate::{
    console_views::records::EventsView, pages::not_found::NotFound,
    server_fns::console::records::admin_events,
};

#[component]
pub fn AdminEventsPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let query = query.get();
            (query.get("failing"), query.get("type"), query.get("after"))
        },
        |(failing, kind, after)| admin_events(failing, kind, after),
    );
    super::frame(
        "Webhook events",
        (),
        data,
        |events| view! { <Events events /> },
    )
}

#[component]
fn Events(events: EventsView) -> impl IntoView {
    let EventsView {
        rows,
        failing,
        kind,
        next,
    } = events;
    view! {
        <form method="get" action="/admin/events" class="search" role="search">
            <div class="field">
                <label for="events-type">"Type begins with"</label>
                <input id="events-type" name="type" type="search" value=kind placeholder="invoice." />
            </div>
            <div class="field">
                <label><input type="checkbox" name="failing" value="1" checked=failing />" Only failing events"</label>
            </div>
            <button type="submit" class="button button--secondary">"Show"</button>
        </form>
        {if rows.is_empty() {
            view! { <p class="muted">"No events."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Webhook events, scrolls sideways">
                    <table class="table" aria-label="Webhook events">
                        <thead><tr>
                            <th scope="col">"Received"</th><th scope="col">"Type"</th><th scope="col">"State"</th>
                            <th scope="col">"Attempts"</th><th scope="col">"Last error"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|row| view! {
                                <tr>
                                    <td><a href=row.href>{row.received}</a></td><td><code>{row.kind}</code></td>
                                    <td>{row.state}</td><td>{row.attempts}</td><td>{row.error}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {next.map(|href| view! { <p><a href=href>"Older events"</a></p> })}
    }
}
