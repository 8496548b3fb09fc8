//! The account page's billing section: each plan with its status in words, price and card, and
//! its buttons (cancel with confirmation, resume, change plan with a preview); invoices;
//! one-time purchases; the button to Stripe's customer portal.
//!
//! Everything works without JavaScript: the confirmation and the preview are states of the page
//! (`/account?cancel=sub_…`, `/account?change=sub_…&to=price_…`), and each button posts a form.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    billing_views::BillingOverview,
    components::{
        form::FormAlert,
        invoice_list::{InvoiceList, PurchaseList},
        plan_manage::{ChangePreviewPanel, PlanItem},
        usage_summary::UsageMeter,
    },
    server_fns::billing::{billing, OpenPortal},
};

/// Loads and shows the signed-in user's billing.
#[component]
pub fn BillingSummary() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let confirm_cancel = query.get("cancel");
    let change = query.get("change").zip(query.get("to"));
    let data = Resource::new(|| (), |_| billing());
    view! {
        <section aria-labelledby="billing-title" class="card" id="billing">
            <h2 id="billing-title">"Billing"</h2>
            {change.map(|(subscription_id, price_id)| view! {
                <ChangePreviewPanel subscription_id price_id />
            })}
            <Suspense fallback=|| view! { <p>"Loading your plans…"</p> }>
                {move || {
                    let confirm_cancel = confirm_cancel.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(overview) => view! { <Overview overview confirm_cancel /> }.into_any(),
                            Err(error) => view! { <FormAlert error=Some(error) /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn Overview(overview: BillingOverview, confirm_cancel: Option<String>) -> impl IntoView {
    let portal = ServerAction::<OpenPortal>::new();
    let portal_error = portal.value().get_untracked().and_then(Result::err);
    let BillingOverview {
        plans,
        invoices,
        purchases,
        has_customer,
        several_renewing,
        usage,
    } = overview;
    let nothing = plans.is_empty() && purchases.is_empty();
    view! {
        <FormAlert error=portal_error />
        {nothing.then(|| view! {
            <p>"You are on the free plan. " <a href="/pricing">"See the plans"</a> "."</p>
        })}
        {several_renewing.then(|| view! {
            <p class="alert alert--error" role="alert">
                "You have more than one subscription that renews, and each is billed. Cancel the one you do not need."
            </p>
        })}
        {(!plans.is_empty()).then(|| view! {
            <ul class="held-plans" aria-label="Your plans">
                {plans.into_iter().map(|plan| {
                    let confirming = confirm_cancel.as_deref() == Some(plan.subscription_id.as_str());
                    view! { <PlanItem plan confirming /> }
                }).collect_view()}
            </ul>
        })}
        {usage.into_iter().map(|usage| view! { <UsageMeter usage /> }).collect_view()}
        <InvoiceList invoices />
        <PurchaseList purchases />
        {has_customer.then(|| view! {
            <ActionForm action=portal>
                <button type="submit" class="button button--secondary">"Manage billing"</button>
            </ActionForm>
            <p class="muted small">"Update your card, billing address and tax details on Stripe's secure page."</p>
        })}
    }
}
