//! One plan on the pricing page: name, description, features, and one price block per interval
//! group (the toggle shows one group at a time) with its button.

use leptos::prelude::*;

use crate::{
    billing_views::{PlanView, PriceView},
    server_fns::billing::{OpenPortal, StartCheckout},
};

/// A product card. Its button depends on the visitor: sign up first (signed out), Manage (the
/// plan they hold: the portal), Change to … (another recurring plan while subscribed: the
/// account page's plan change, paid before it takes effect), or Subscribe / Buy.
#[component]
pub fn PlanCard(
    plan: PlanView,
    signed_in: bool,
    subscription: Option<String>,
    checkout: ServerAction<StartCheckout>,
    portal: ServerAction<OpenPortal>,
) -> impl IntoView {
    let groups = plan
        .prices
        .iter()
        .map(|price| price.group.clone())
        .collect::<Vec<_>>()
        .join(" ");
    let held = plan.held_status.is_some();
    let heading_id = format!("plan-{}", plan.product_id);
    let labelled_by = heading_id.clone();
    let name = plan.name.clone();
    let purchased = plan.purchased;
    let highlighted = plan.highlighted;
    let per_seat = plan.per_seat;
    let seats = plan.seats;
    let seats_id = format!("seats-{}", plan.product_id);

    view! {
        <li class="plan card" class:plan--held=held class:plan--highlighted=highlighted
            data-groups=groups aria-labelledby=labelled_by>
            <h2 id=heading_id>{plan.name.clone()}</h2>
            {(highlighted || held).then(|| view! {
                <p class="plan__badges">
                    {highlighted.then(|| view! { <span class="badge badge--accent">"Most popular"</span> })}
                    {plan.held_status.clone().map(|status| view! { <span class="badge badge--ok">{status}</span> })}
                </p>
            })}
            {plan.description.clone().map(|text| view! { <p class="plan__description">{text}</p> })}
            {plan.prices.into_iter().map(|price| {
                let button = price_button(&name, &price, signed_in, held, subscription.as_deref(), purchased, checkout, portal);
                view! {
                    <div class="plan__price" data-group=price.group.clone()>
                        <p class="plan__amount">
                            <span class="plan__figure">{price.amount.clone()}</span>
                            " "<span class="plan__cadence">{price.cadence.clone()}</span>
                            {per_seat.then(|| view! { " "<span class="plan__per-seat">"per seat"</span> })}
                        </p>
                        {price.tax_note.clone().map(|note| view! { <p class="muted plan__tax">{note}</p> })}
                        {price.seat_total.clone().map(|total| view! { <p class="plan__total">{total}</p> })}
                        {price.saving_percent.map(|p| view! { <p class="badge">{format!("Save {p}%")}</p> })}
                        {price.trial_days.map(|d| view! { <p class="badge badge--ok">{format!("{d}-day free trial")}</p> })}
                        {button}
                    </div>
                }
            }).collect_view()}
            {per_seat.then(|| view! {
                <form method="get" action="/pricing" class="inline-form plan__seats">
                    <label for=seats_id.clone()>"Seats"</label>
                    <input id=seats_id.clone() type="number" name="seats" min="1" max="10000" value=seats.to_string() />
                    <button type="submit" class="button button--secondary">"Update total"</button>
                </form>
            })}
            {plan.max_seats.map(|cap| view! { <p class="muted">{format!("For teams of up to {cap}")}</p> })}
            {(!plan.features.is_empty()).then(|| view! {
                <ul class="plan__features">
                    {plan.features.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
                </ul>
            })}
        </li>
    }
}

/// The button under a price.
#[allow(clippy::too_many_arguments)]
fn price_button(
    plan: &str,
    price: &PriceView,
    signed_in: bool,
    held: bool,
    subscription: Option<&str>,
    purchased: bool,
    checkout: ServerAction<StartCheckout>,
    portal: ServerAction<OpenPortal>,
) -> AnyView {
    let one_time = price.group == "one_time";
    let label = if one_time {
        format!("Buy {plan}")
    } else if price.trial_days.is_some() {
        format!("Start free trial of {plan}")
    } else {
        format!("Subscribe to {plan}")
    };
    if !signed_in {
        let next = format!("/checkout/start?price={}", price.id);
        let href = format!("/signup?next={}", crate::pages::encode(&next));
        return view! { <a class="button" href=href>{label}</a> }.into_any();
    }
    if one_time && purchased {
        return view! { <p class="plan__owned">"Purchased — it is yours."</p> }.into_any();
    }
    if !one_time && held {
        let words = format!("Manage {plan}");
        return view! {
            <ActionForm action=portal>
                <button type="submit" class="button button--secondary">{words}</button>
            </ActionForm>
        }
        .into_any();
    }
    if let (false, Some(subscription)) = (one_time, subscription) {
        let href = format!(
            "/account?change={}&to={}",
            crate::pages::encode(subscription),
            crate::pages::encode(&price.id)
        );
        let words = format!("Change to {plan}");
        return view! { <a class="button button--secondary" href=href>{words}</a> }.into_any();
    }
    let price_id = price.id.clone();
    view! {
        <ActionForm action=checkout>
            <input type="hidden" name="price" value=price_id />
            <button type="submit" class="button">{label}</button>
        </ActionForm>
    }
    .into_any()
}
