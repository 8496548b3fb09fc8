//! `/admin`: the balance, recurring revenue, subscriptions by status, revenue per day for 90 days
//! (an SVG chart drawn on the server), open disputes, failed webhook events, seat drifts and usage reporting.

use leptos::prelude::*;

use super::is_admin;
use crate::{
    components::bar_chart::BarChart,
    console_views::{OverviewView, RevenueChart},
    pages::not_found::NotFound,
    server_fns::console::admin_overview,
};

#[component]
pub fn AdminOverviewPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let data = Resource::new(|| (), |_| admin_overview());
    super::frame(
        "Console",
        (),
        data,
        |overview| view! { <Figures overview /> },
    )
}

#[component]
fn Figures(overview: OverviewView) -> impl IntoView {
    let OverviewView {
        balance,
        mrr,
        arr,
        counts,
        trial_conversion,
        revenue,
        open_disputes,
        failed_events,
        seat_drifts,
        usage_reporting,
        usage_discrepancies,
    } = overview;
    view! {
        <div class="card-grid">
            <section class="card" aria-labelledby="balance-title">
                <h2 id="balance-title">"Balance"</h2>
                {if balance.is_empty() {
                    view! { <p class="muted">"Nothing yet."</p> }.into_any()
                } else {
                    balance.into_iter().map(|line| view! {
                        <p><strong>{line.available}</strong>" available, "{line.pending}" pending"</p>
                    }).collect_view().into_any()
                }}
                <p><a href="/admin/payments">"Payments"</a></p>
            </section>
            <section class="card" aria-labelledby="revenue-title">
                <h2 id="revenue-title">"Recurring revenue"</h2>
                <dl class="figures">
                    <dt>"MRR"</dt><dd>{if mrr.is_empty() { "$0".to_owned() } else { mrr.join(", ") }}</dd>
                    <dt>"ARR"</dt><dd>{if arr.is_empty() { "$0".to_owned() } else { arr.join(", ") }}</dd>
                    <dt>"Trial conversion"</dt><dd>{trial_conversion}</dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="subscriptions-title">
                <h2 id="subscriptions-title">"Subscriptions"</h2>
                <dl class="figures">
                    {counts.into_iter().map(|(label, count)| view! { <dt>{label}</dt><dd>{count}</dd> }).collect_view()}
                </dl>
            </section>
        </div>
        <Chart revenue />
        <section class="card" aria-labelledby="disputes-title">
            <h2 id="disputes-title">"Open disputes"</h2>
            {if open_disputes.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {open_disputes.into_iter().map(|dispute| view! {
                            <li><a href=dispute.href>{dispute.amount}</a>", "{dispute.status}". "{dispute.due}"."</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="events-title">
            <h2 id="events-title">"Webhook events"</h2>
            <p>{match failed_events {
                0 => "No event is failing.".to_owned(),
                1 => "1 event failed and waits to be applied again.".to_owned(),
                count => format!("{count} events failed and wait to be applied again."),
            }}</p>
            <p><a href="/admin/events?failing=1">"The failing events"</a>" · "<a href="/admin/events">"Every event"</a></p>
        </section>
        <section class="card" aria-labelledby="seats-title">
            <h2 id="seats-title">"Seats"</h2>
            {if seat_drifts.is_empty() {
                view! { <p class="muted">"Every per-seat plan bills its members: no drift found."</p> }.into_any()
            } else {
                view! {
                    <p>"The nightly check found seats billed that did not match the members, and fixed them:"</p>
                    <ul>{seat_drifts.into_iter().map(|drift| view! { <li>{drift}</li> }).collect_view()}</ul>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="usage-title">
            <h2 id="usage-title">"Usage"</h2>
            <p>{usage_reporting}</p>
            {if usage_discrepancies.is_empty() {
                view! { <p class="muted">"The reconciliation found no difference with Stripe's meters."</p> }.into_any()
            } else {
                view! {
                    <p>"Usage that differs from Stripe's meter summaries:"</p>
                    <ul>{usage_discrepancies.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                }.into_any()
            }}
        </section>
    }
}

/// Revenue per day as bars, one per day, the best day full height.
#[component]
fn Chart(revenue: RevenueChart) -> impl IntoView {
    let RevenueChart {
        total,
        peak,
        from,
        to,
        bars,
    } = revenue;
    view! {
        <section class="card" aria-labelledby="chart-title">
            <BarChart
                id="chart-title"
                title="Revenue per day"
                summary=format!("{total} from {from} to {to}; the best day brought {peak}.")
                bars
            />
        </section>
    }
}
