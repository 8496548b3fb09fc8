//! `/dashboard`: the product a subscriber pays for (the demo usage report), gated on the
//! `reports` feature; the API panel shows only on plans with `api`. Both are decided on the
//! server, on every request.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::current_user,
    billing_views::{DashboardView, LockedReason},
    components::form::FormAlert,
    server_fns::dashboard::dashboard,
};

#[component]
pub fn DashboardPage() -> impl IntoView {
    if current_user().is_none() {
        #[cfg(feature = "ssr")]
        leptos_axum::redirect("/signin?next=/dashboard");
        return view! { <p class="container">"Sign in to see your dashboard."</p> }.into_any();
    }
    let data = Resource::new(|| (), |_| dashboard());
    view! {
        <Title text="Dashboard" />
        <section class="container page dashboard">
            <h1>"Dashboard"</h1>
            <Suspense fallback=|| view! { <p>"Loading your report…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(DashboardView::Locked(reason)) => view! { <Locked reason /> }.into_any(),
                        Ok(DashboardView::Unlocked { rows, api }) => view! {
                            <section class="card" aria-labelledby="report-title">
                                <h2 id="report-title">"Usage report"</h2>
                                <table class="table" aria-label="Usage by month">
                                    <thead><tr><th scope="col">"Month"</th><th scope="col">"Requests"</th><th scope="col">"Errors"</th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|row| view! {
                                            <tr><td>{row.month}</td><td>{row.requests}</td><td>{row.errors}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                            <ApiPanel api />
                        }.into_any(),
                        Err(error) => view! { <FormAlert error=Some(error) /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

/// Shown to users whose plans do not include the dashboard now (with HTTP status 402), saying
/// what opens it: a plan, or a card for the plan they have.
#[component]
fn Locked(reason: LockedReason) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::PAYMENT_REQUIRED);
    }
    let (title, text, link, label) = match reason {
        LockedReason::NoPlan => (
            "The dashboard comes with a plan",
            "Your account has no plan that includes the usage report. Subscribe to Hobby or Pro, or buy Lifetime, and it opens here at once.",
            "/pricing",
            "See the plans",
        ),
        LockedReason::Paused => (
            "Your trial has ended",
            "Your plan is paused because there is no card on file. Add a card to continue, and the dashboard opens again at once.",
            "/account#billing",
            "Add a card",
        ),
        LockedReason::PaymentFailed => (
            "Your payment failed",
            "We could not charge your card, and the grace period has ended. Update your card, and the dashboard opens again once the payment goes through.",
            "/account#billing",
            "Update your card",
        ),
    };
    view! {
        <section class="card locked" aria-labelledby="locked-title">
            <h2 id="locked-title">{title}</h2>
            <p>{text}</p>
            <p><a class="button" href=link>{label}</a></p>
        </section>
    }
}

/// The reports API: how to call it on Pro, an upgrade hint otherwise.
#[component]
fn ApiPanel(api: bool) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="api-title">
            <h2 id="api-title">"Reports API"</h2>
            {if api {
                view! {
                    <p>"Your plan includes the API. Fetch this report as JSON:"</p>
                    <pre><code>"GET /api/reports"</code></pre>
                }.into_any()
            } else {
                view! {
                    <p>"The reports API comes with Pro. " <a href="/pricing">"Upgrade to use it"</a> "."</p>
                }.into_any()
            }}
        </section>
    }
}
