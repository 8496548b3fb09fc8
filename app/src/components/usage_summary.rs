//! The account page's usage, in its billing section: for each metered feature of the plans acted
//! for, the period's use against allowance and limit as a bar, when it resets, the projected
//! charge, the credits left with the packs on sale (each a form to Checkout, no JavaScript
//! needed), and the use per day as a chart drawn on the server. Nothing when no plan meters
//! anything.

use leptos::prelude::*;

use crate::{
    billing_views::UsageView,
    components::{bar_chart::BarChart, form::FormAlert},
    server_fns::billing::StartCheckout,
};

/// One metered feature's usage.
#[component]
pub fn UsageMeter(usage: UsageView) -> impl IntoView {
    let UsageView {
        title,
        sentence,
        percent,
        max,
        value,
        resets,
        projected,
        credits,
        limit_reached,
        packs,
        days,
    } = usage;
    let buy = ServerAction::<StartCheckout>::new();
    let buy_error = buy.value().get_untracked().and_then(Result::err);
    let label = format!("{title} used this period");
    view! {
        <section class="usage" aria-label=format!("Usage: {title}")>
            <h3>"Usage: " {title.clone()}</h3>
            <p>{sentence}</p>
            <meter class="usage__bar" min="0" max=max.to_string() value=value.to_string()
                high=(max * 9 / 10).to_string() aria-label=label>{format!("{percent:.0}%")}</meter>
            <p class="muted">{resets}</p>
            {projected.map(|projected| view! { <p><strong>{projected}</strong></p> })}
            {limit_reached.map(|warning| view! { <p class="alert alert--error" role="status">{warning}</p> })}
            {credits.map(|credits| view! { <p>{credits}</p> })}
            <FormAlert error=buy_error />
            {(!packs.is_empty()).then(|| view! {
                <div class="usage__packs">
                    {packs.into_iter().map(|(price, label)| view! {
                        <ActionForm action=buy>
                            <input type="hidden" name="price" value=price />
                            <button type="submit" class="button button--secondary">{label}</button>
                        </ActionForm>
                    }).collect_view()}
                </div>
            })}
            <BarChart id="usage-chart-title" title="Per day" summary="This period so far, one bar a day.".to_owned() bars=days minor=true />
        </section>
    }
}
