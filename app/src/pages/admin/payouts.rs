//! `/admin/payouts`: the balance, a form to pay out what is available (the password asked
//! again when it was last entered over 15 minutes ago), and the payouts, 25 a page by cursor.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::is_admin;
use crate::{
    components::form::{Field, FormAlert, Notice as NoticeLine},
    console_views::{PayoutFormView, PayoutsView},
    errors::FormError,
    notice::Notice,
    pages::not_found::NotFound,
    server_fns::console::{payouts::admin_payouts, PayOut},
};

#[component]
pub fn AdminPayoutsPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map();
    let data = Resource::new(move || query.get().get("after"), admin_payouts);
    let action = ServerAction::<PayOut>::new();
    let error = action.value().get_untracked().and_then(Result::err);
    let notice = Notice::in_url("/admin/payouts").map(Notice::sentence);
    super::frame(
        "Payouts",
        view! { <NoticeLine message=notice /> },
        data,
        move |payouts| view! { <Payouts payouts action error=error.clone() /> },
    )
}

#[component]
fn Payouts(
    payouts: PayoutsView,
    action: ServerAction<PayOut>,
    error: Option<FormError>,
) -> impl IntoView {
    let PayoutsView {
        balance,
        forms,
        rows,
        next,
    } = payouts;
    view! {
        <section class="card" aria-labelledby="balance-title">
            <h2 id="balance-title">"Balance"</h2>
            {if balance.is_empty() {
                view! { <p class="muted">"Nothing yet."</p> }.into_any()
            } else {
                balance.into_iter().map(|line| view! {
                    <p><strong>{line.available}</strong>" available, "{line.pending}" pending"</p>
                }).collect_view().into_any()
            }}
            <FormAlert error=error.clone() />
            {if forms.is_empty() {
                view! { <p class="muted">"Nothing is available to pay out yet: payments become available two days after they are made."</p> }.into_any()
            } else {
                forms.into_iter().map(|form| view! { <PayoutForm form action error=error.clone() /> }).collect_view().into_any()
            }}
        </section>
        <section class="card" aria-labelledby="payouts-title">
            <h2 id="payouts-title">"Payouts"</h2>
            {if rows.is_empty() {
                view! { <p class="muted">"No payouts yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Payouts, scrolls sideways">
                        <table class="table" aria-label="Payouts">
                            <thead><tr>
                                <th scope="col">"Made"</th><th scope="col">"Amount"</th><th scope="col">"Status"</th>
                                <th scope="col">"Arrival"</th><th scope="col">"Failure"</th><th scope="col">"Kind"</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|row| view! {
                                    <tr>
                                        <td>{row.created}</td><td>{row.amount}</td><td>{row.status}</td>
                                        <td>{row.arrival}</td><td>{row.failure}</td><td>{row.kind}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {next.map(|href| view! { <p><a href=href>"Older payouts"</a></p> })}
        </section>
    }
}

/// Pay out one currency's available balance, or part of it.
#[component]
fn PayoutForm(
    form: PayoutFormView,
    action: ServerAction<PayOut>,
    error: Option<FormError>,
) -> impl IntoView {
    let PayoutFormView {
        currency,
        available,
        available_decimal,
        form_id,
        needs_password,
    } = form;
    let label = format!("Amount ({})", currency.to_ascii_uppercase());
    let hint = format!("{available} is available. Leave the amount empty to pay out all of it.");
    let amount_id = format!("payout-amount-{currency}");
    let hint_id = format!("{amount_id}-hint");
    view! {
        <ActionForm action>
            <input type="hidden" name="currency" value=currency />
            <input type="hidden" name="form_id" value=form_id />
            <div class="field">
                <label for=amount_id.clone()>{label}</label>
                <p class="field__hint" id=hint_id.clone()>{hint}</p>
                <input id=amount_id name="amount" type="text" inputmode="decimal"
                    placeholder=available_decimal aria-describedby=hint_id />
                {error.as_ref().and_then(|e| e.for_field("amount")).map(|message| view! {
                    <p class="field__error" role="alert">{message}</p>
                })}
            </div>
            {needs_password.then(|| view! {
                <Field id="payout-password" name="password" label="Your password" kind="password"
                    autocomplete="current-password" required=true
                    hint="Money is about to move: confirm it is you."
                    error=error.clone() />
            })}
            <div class="actions">
                <button type="submit" class="button">"Pay out"</button>
            </div>
        </ActionForm>
    }
}
