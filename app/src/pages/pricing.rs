//! `/pricing`: the plans from the catalog, an interval toggle (plain radio buttons and CSS, so it
//! works without JavaScript) and a button per price.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    billing_views::PricingView,
    components::{
        form::{FormAlert, Notice},
        plan_card::PlanCard,
    },
    server_fns::billing::{pricing, OpenPortal, StartCheckout},
};

#[component]
pub fn PricingPage() -> impl IntoView {
    // The seat selector's choice (`?seats=N`, a plain GET form): per-seat totals are for it.
    let seats = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("seats")
        .and_then(|seats| seats.trim().parse::<u32>().ok());
    let data = Resource::new(move || seats, pricing);
    let notice = crate::notice::Notice::in_url("/pricing").map(crate::notice::Notice::sentence);

    view! {
        <Title text="Pricing" />
        <section class="container page pricing-page">
            <h1>"Pricing"</h1>
            <p class="lead">"Pick a plan. Cancel or change it whenever you like."</p>
            <Notice message=notice />
            <Suspense fallback=|| view! { <p>"Loading plans…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Plans view /> }.into_any(),
                        Err(error) => {
                            // Not a page to keep (the page cache keeps only 200s) or to index.
                            #[cfg(feature = "ssr")]
                            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                                response.set_status(http::StatusCode::SERVICE_UNAVAILABLE);
                            }
                            view! { <FormAlert error=Some(error) /> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The toggle and the cards, or the developer's hint when there is nothing to sell.
#[component]
fn Plans(view: PricingView) -> impl IntoView {
    if view.plans.is_empty() {
        return view! {
            <div class="card empty-catalog" role="status">
                <h2>"No plans yet"</h2>
                <p>"The catalog is empty. If you are the developer:"</p>
                <ul>
                    <li>"create the demo plans in Stripe (or the emulator): "
                        <code>"cargo run -p server -- stripe seed"</code></li>
                    <li>"or pull the products you already have in Stripe: "
                        <code>"cargo run -p server -- stripe sync"</code></li>
                </ul>
                <p class="muted">"Product and price webhooks keep this page current after that."</p>
            </div>
        }
        .into_any();
    }
    let checkout = ServerAction::<StartCheckout>::new();
    let checkout_error = checkout.value().get_untracked().and_then(Result::err);
    let portal = ServerAction::<OpenPortal>::new();
    let portal_error = portal.value().get_untracked().and_then(Result::err);
    let first = view.groups.first().cloned().unwrap_or_default();
    let PricingView {
        plans,
        groups,
        signed_in,
        subscription,
    } = view;

    view! {
        <FormAlert error=checkout_error.or(portal_error) />
        <div class="pricing">
            {(groups.len() > 1).then(|| view! {
                <fieldset class="segmented interval-toggle">
                    <legend class="visually-hidden">"Billing interval"</legend>
                    {groups.iter().map(|group| {
                        let id = format!("interval-{group}");
                        view! {
                            <input type="radio" name="interval" id=id.clone() value=group.clone()
                                checked=*group == first />
                            <label for=id>{group_label(group)}</label>
                        }
                    }).collect_view()}
                </fieldset>
            })}
            <ul class="card-grid plans">
                {plans.into_iter().map(|plan| view! {
                    <PlanCard plan signed_in subscription=subscription.clone() checkout portal />
                }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

/// The toggle's words for a group.
fn group_label(group: &str) -> String {
    match group {
        "day" => "Daily".to_owned(),
        "week" => "Weekly".to_owned(),
        "month" => "Monthly".to_owned(),
        "year" => "Yearly".to_owned(),
        "one_time" => "One-time".to_owned(),
        other => match other.split_once('-') {
            Some((count, unit)) => format!("Every {count} {unit}s"),
            None => other.to_owned(),
        },
    }
}
