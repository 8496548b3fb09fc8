//! `/admin/customers/cus_…`: one customer — the account, subscriptions (canceled here now or at
//! the period's end), invoices, payments, cards and the events about them.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::is_admin;
use crate::{
    components::form::{FormAlert, Notice as NoticeLine},
    console_views::customers::{CustomerSubscription, CustomerView},
    notice::Notice,
    pages::not_found::NotFound,
    server_fns::console::{customers::admin_customer, AdminCancelSubscription},
};

#[component]
pub fn AdminCustomerPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let params = use_params_map();
    let data = Resource::new(
        move || params.get().get("id").unwrap_or_default(),
        admin_customer,
    );
    let action = ServerAction::<AdminCancelSubscription>::new();
    let error = action.value().get_untracked().and_then(Result::err);
    let notice = Notice::in_url("/admin/customers").map(Notice::sentence);
    super::frame(
        "Customer",
        view! { <NoticeLine message=notice /> <FormAlert error /> },
        data,
        move |customer| view! { <Customer customer action /> },
    )
}

#[component]
fn Customer(
    customer: CustomerView,
    action: ServerAction<AdminCancelSubscription>,
) -> impl IntoView {
    let CustomerView {
        line,
        subscriptions,
        invoices,
        payments,
        cards,
        timeline,
        form_id,
        usage,
    } = customer;
    view! {
        <section class="card" aria-labelledby="customer-title">
            <h2 id="customer-title">{line.email.clone()}</h2>
            <dl class="figures">
                <dt>"Name"</dt><dd>{if line.name.is_empty() { "—".to_owned() } else { line.name }}</dd>
                <dt>"Stripe customer"</dt><dd><code>{line.stripe_id}</code></dd>
                <dt>"Signed up"</dt><dd>{line.signed_up}</dd>
                <dt>"Cards"</dt><dd>{if cards.is_empty() { "None seen".to_owned() } else { cards.join(", ") }}</dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="subscriptions-title">
            <h2 id="subscriptions-title">"Subscriptions"</h2>
            {if subscriptions.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! {
                    <ul class="held-plans">
                        {subscriptions.into_iter().map(|subscription| view! {
                            <Subscription subscription form_id=form_id.clone() action />
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        {(!usage.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="usage-title">
                <h2 id="usage-title">"Usage this period"</h2>
                <ul>{usage.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
            </section>
        })}
        <section class="card" aria-labelledby="invoices-title">
            <h2 id="invoices-title">"Invoices"</h2>
            {if invoices.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! {
                    <table class="table" aria-label="Invoices">
                        <thead><tr><th scope="col">"Invoice"</th><th scope="col">"Status"</th><th scope="col">"Total"</th><th scope="col">"Date"</th></tr></thead>
                        <tbody>
                            {invoices.into_iter().map(|(number, status, total, date)| view! {
                                <tr><td>{number}</td><td>{status}</td><td>{total}</td><td>{date}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="payments-title">
            <h2 id="payments-title">"Payments"</h2>
            {if payments.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! {
                    <table class="table" aria-label="Payments">
                        <thead><tr><th scope="col">"Date"</th><th scope="col">"Amount"</th><th scope="col">"Status"</th><th scope="col">"Refunded"</th><th scope="col">"Disputed"</th></tr></thead>
                        <tbody>
                            {payments.into_iter().map(|row| view! {
                                <tr>
                                    <td><a href=row.href>{row.date}</a></td><td>{row.amount}</td><td>{row.status}</td>
                                    <td>{row.refunded}</td><td>{if row.disputed { "Disputed" } else { "" }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"Timeline"</h2>
            {if timeline.is_empty() {
                view! { <p class="muted">"No events."</p> }.into_any()
            } else {
                view! {
                    <ol class="timeline">
                        {timeline.into_iter().map(|event| view! {
                            <li><a href=event.href>{event.received}</a>" — "<code>{event.kind}</code>" ("{event.state}")"</li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

/// A subscription with its cancel buttons.
#[component]
fn Subscription(
    subscription: CustomerSubscription,
    form_id: String,
    action: ServerAction<AdminCancelSubscription>,
) -> impl IntoView {
    let CustomerSubscription {
        id,
        plan,
        status,
        period,
        can_cancel_now,
        can_cancel_at_period_end,
    } = subscription;
    let label = plan.clone();
    view! {
        <li class="held-plan" aria-label=label>
            <p><strong>{plan}</strong>" — "{status}</p>
            <p class="muted"><code>{id.clone()}</code>" "{period}</p>
            {(can_cancel_now || can_cancel_at_period_end).then(|| view! {
                <ActionForm action>
                    <input type="hidden" name="subscription" value=id />
                    <input type="hidden" name="form_id" value=form_id />
                    <div class="actions">
                        {can_cancel_at_period_end.then(|| view! {
                            <button type="submit" name="when" value="period_end" class="button button--secondary">"Cancel at period end"</button>
                        })}
                        {can_cancel_now.then(|| view! {
                            <button type="submit" name="when" value="now" class="button button--danger">"Cancel now"</button>
                        })}
                    </div>
                </ActionForm>
            })}
        </li>
    }
}
