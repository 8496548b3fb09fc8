//! Development only: "Time travel" on the account page — buttons that move the Stripe
//! emulator's clock a day, a week or a month, so a developer can watch a trial end, a renewal
//! or a failed payment's retries happen. Renders nothing unless the server offers it.

use leptos::prelude::*;

use crate::{
    components::form::FormAlert,
    server_fns::time_travel::{time_travel, AdvanceClock},
};

/// The control, when `DEV_MODE=true` and Stripe is the emulator.
#[component]
pub fn TimeTravel() -> impl IntoView {
    let advance = ServerAction::<AdvanceClock>::new();
    let advance_error = advance.value().get_untracked().and_then(Result::err);
    let today = Resource::new(|| (), |_| time_travel());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let advance_error = advance_error.clone();
                Suspend::new(async move {
                    today.await.ok().flatten().map(|today| view! {
                        <section aria-labelledby="time-travel-title" class="card card--dev" id="time-travel">
                            <h2 id="time-travel-title">"Time travel"</h2>
                            <p class="muted">
                                "Development only. The Stripe emulator's clock reads " <strong>{today}</strong>
                                ". Move it forward to watch trials end, plans renew and failed payments retry; its webhooks update this page."
                            </p>
                            <FormAlert error=advance_error />
                            <div class="actions">
                                {[(1, "+1 day"), (7, "+1 week"), (31, "+1 month")].map(|(days, label)| view! {
                                    <ActionForm action=advance>
                                        <input type="hidden" name="days" value=days />
                                        <button type="submit" class="button button--secondary">{label}</button>
                                    </ActionForm>
                                }).collect_view()}
                            </div>
                        </section>
                    })
                })
            }}
        </Suspense>
    }
}
