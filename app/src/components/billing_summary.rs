//! The account page's billing section: plans held with their status in words, one-time
//! purchases, and the button to Stripe's customer portal.

use leptos::prelude::*;

use crate::{
    billing_views::BillingOverview,
    components::form::FormAlert,
    server_fns::billing::{billing, OpenPortal},
};

/// Loads and shows the signed-in user's billing.
#[component]
pub fn BillingSummary() -> impl IntoView {
    let data = Resource::new(|| (), |_| billing());
    view! {
        <section aria-labelledby="billing-title" class="card">
            <h2 id="billing-title">"Billing"</h2>
            <Suspense fallback=|| view! { <p>"Loading your plans…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(overview) => view! { <Overview overview /> }.into_any(),
                        Err(error) => view! { <FormAlert error=Some(error) /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Overview(overview: BillingOverview) -> impl IntoView {
    let portal = ServerAction::<OpenPortal>::new();
    let portal_error = portal.value().get_untracked().and_then(Result::err);
    let BillingOverview {
        plans,
        purchases,
        has_customer,
    } = overview;
    let nothing = plans.is_empty() && purchases.is_empty();
    view! {
        <FormAlert error=portal_error />
        {nothing.then(|| view! {
            <p>"You are on the free plan. " <a href="/pricing">"See the plans"</a> "."</p>
        })}
        {(!plans.is_empty()).then(|| view! {
            <ul class="held-plans" aria-label="Your plans">
                {plans.into_iter().map(|plan| view! {
                    <li><strong>{plan.name}</strong> " — " {plan.status}</li>
                }).collect_view()}
            </ul>
        })}
        {(!purchases.is_empty()).then(|| view! {
            <h3>"Purchases"</h3>
            <ul class="purchases" aria-label="Your purchases">
                {purchases.into_iter().map(|p| view! {
                    <li>
                        <strong>{p.description}</strong> " — " {p.amount} " on " {p.date}
                        {p.pending.then_some(" (payment processing)")}
                        {p.failed.then_some(" (payment failed — nothing was charged)")}
                    </li>
                }).collect_view()}
            </ul>
        })}
        {has_customer.then(|| view! {
            <ActionForm action=portal>
                <button type="submit" class="button button--secondary">"Manage billing"</button>
            </ActionForm>
        })}
    }
}
