//! `/checkout/success?session_id=…`: where Stripe Checkout returns. The session is fetched from
//! Stripe and applied at once, so the new plan shows even before the webhook arrives; a payment
//! still processing shows a pending state that refreshes itself.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::{
    auth::current_user, billing_views::CheckoutResult, components::form::FormAlert,
    server_fns::billing::confirm_checkout,
};

#[component]
pub fn CheckoutSuccessPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let session_id = query.get("session_id").unwrap_or_default();
    // How many times the pending page has refreshed itself.
    let check: u32 = query.get("check").and_then(|n| n.parse().ok()).unwrap_or(0);
    if current_user().is_none() {
        #[cfg(feature = "ssr")]
        leptos_axum::redirect(&format!(
            "/signin?next={}",
            crate::pages::encode(&format!("/checkout/success?session_id={session_id}"))
        ));
        return view! { <p class="container">"Sign in to see your purchase."</p> }.into_any();
    }
    let again = format!(
        "/checkout/success?session_id={}&check={}",
        crate::pages::encode(&session_id),
        check + 1
    );
    let result = Resource::new(move || session_id.clone(), confirm_checkout);

    view! {
        <Title text="Thank you" />
        <section class="container narrow page">
            <Suspense fallback=|| view! { <p>"Confirming your payment…"</p> }>
                {move || {
                    let again = again.clone();
                    Suspend::new(async move {
                    match result.await {
                        Ok(result) => view! { <Outcome result again check /> }.into_any(),
                        Err(error) => view! {
                            <h1>"Something is not right"</h1>
                            <FormAlert error=Some(error) />
                            <p><a href="/pricing">"Back to pricing"</a></p>
                        }.into_any(),
                    }
                })}}
            </Suspense>
        </section>
    }
    .into_any()
}

/// The pending page refreshes itself every 3 s for about a minute, then leaves it to the webhook.
const MAX_CHECKS: u32 = 20;

#[component]
fn Outcome(result: CheckoutResult, again: String, check: u32) -> impl IntoView {
    match result {
        CheckoutResult::Subscribed { plan, status } => view! {
            <h1>"Welcome to " {plan.clone()}</h1>
            <p class="alert alert--ok" role="status">{status}</p>
            <p>"Your plan is " <strong>{plan}</strong> ". A receipt is on its way to your inbox."</p>
            <p><a class="button" href="/account">"Go to your account"</a></p>
        }
        .into_any(),
        CheckoutResult::Purchased { description, paid: true } => view! {
            <h1>"Thank you for your purchase"</h1>
            <p class="alert alert--ok" role="status">{format!("{description} is yours.")}</p>
            <p><a class="button" href="/account">"Go to your account"</a></p>
        }
        .into_any(),
        CheckoutResult::PaymentFailed { description } => view! {
            <h1>"The payment did not go through"</h1>
            <p class="alert alert--error" role="alert">
                {format!("Your bank did not complete the payment for {description}; nothing was charged.")}
            </p>
            <p><a class="button" href="/pricing">"Try again"</a></p>
        }
        .into_any(),
        CheckoutResult::Purchased { paid: false, .. } | CheckoutResult::Pending
            if check >= MAX_CHECKS =>
        {
            view! {
                <h1>"Payment processing"</h1>
                <p class="alert" role="status">
                    "Your payment is taking longer than usual. You can close this page: your "
                    "account updates as soon as the payment arrives."
                </p>
                <p><a class="button" href="/account">"Go to your account"</a></p>
            }
            .into_any()
        }
        CheckoutResult::Purchased { paid: false, .. } | CheckoutResult::Pending => view! {
            <Meta http_equiv="refresh" content=format!("3;url={again}") />
            <h1>"Payment processing"</h1>
            <p class="alert" role="status">
                "Your payment is being confirmed. This page refreshes by itself; you can also "
                "close it — we will update your account as soon as the payment arrives."
            </p>
        }
        .into_any(),
        CheckoutResult::Expired => view! {
            <h1>"This checkout has expired"</h1>
            <p>"Nothing was charged. " <a href="/pricing">"Choose a plan again"</a> "."</p>
        }
        .into_any(),
    }
}
