//! `/admin/events/evt_…`: one webhook event — its state, last error and payload as received —
//! and, when it failed, a button that queues it to be applied again.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::is_admin;
use crate::{
    components::form::{FormAlert, Notice as NoticeLine},
    console_views::records::EventView,
    notice::Notice,
    pages::not_found::NotFound,
    server_fns::console::{records::admin_event, ReapplyEvent},
};

#[component]
pub fn AdminEventPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let params = use_params_map();
    let data = Resource::new(
        move || params.get().get("id").unwrap_or_default(),
        admin_event,
    );
    let action = ServerAction::<ReapplyEvent>::new();
    let error = action.value().get_untracked().and_then(Result::err);
    let notice = Notice::in_url("/admin/events").map(Notice::sentence);
    super::frame(
        "Webhook event",
        view! { <NoticeLine message=notice /> <FormAlert error /> },
        data,
        move |event| view! { <Event event action /> },
    )
}

#[component]
fn Event(event: EventView, action: ServerAction<ReapplyEvent>) -> impl IntoView {
    let EventView {
        line,
        payload,
        can_reapply,
    } = event;
    let id = line.id.clone();
    view! {
        <section class="card" aria-labelledby="event-title">
            <h2 id="event-title"><code>{line.kind}</code></h2>
            <dl class="figures">
                <dt>"Event"</dt><dd><code>{line.id}</code></dd>
                <dt>"About"</dt><dd><code>{line.object}</code></dd>
                <dt>"Received"</dt><dd>{line.received}</dd>
                <dt>"State"</dt><dd>{line.state}</dd>
                <dt>"Attempts"</dt><dd>{line.attempts}</dd>
                <dt>"Last error"</dt><dd>{if line.error.is_empty() { "None".to_owned() } else { line.error }}</dd>
            </dl>
            {can_reapply.then(|| view! {
                <ActionForm action>
                    <input type="hidden" name="event" value=id />
                    <div class="actions">
                        <button type="submit" class="button">"Apply it again"</button>
                    </div>
                </ActionForm>
            })}
        </section>
        <section class="card" aria-labelledby="payload-title">
            <h2 id="payload-title">"Payload"</h2>
            {match payload {
                Some(payload) => view! { <pre class="payload"><code>{payload}</code></pre> }.into_any(),
                None => view! { <p class="muted">"Not kept for this event."</p> }.into_any(),
            }}
        </section>
    }
}
