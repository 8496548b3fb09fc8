//! `/admin/payments/ch_…`: one charge — its PaymentIntent, balance transaction, refunds and
//! dispute — and the refund form (in full or in part, with a reason; the password asked again
//! when it was last entered over 15 minutes ago).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::is_admin;
use crate::{
    components::form::{Field, FormAlert, Notice as NoticeLine},
    console_views::{PaymentView, RefundFormView},
    errors::FormError,
    notice::Notice,
    pages::not_found::NotFound,
    server_fns::console::{payments::admin_payment, RefundCharge},
};

#[component]
pub fn AdminPaymentPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let params = use_params_map();
    let data = Resource::new(
        move || params.get().get("id").unwrap_or_default(),
        admin_payment,
    );
    let refund = ServerAction::<RefundCharge>::new();
    let error = refund.value().get_untracked().and_then(Result::err);
    let notice = Notice::in_url("/admin/payments").map(Notice::sentence);
    super::frame(
        "Payment",
        view! { <NoticeLine message=notice /> },
        data,
        move |payment| view! { <Payment payment refund error=error.clone() /> },
    )
}

#[component]
fn Payment(
    payment: PaymentView,
    refund: ServerAction<RefundCharge>,
    error: Option<FormError>,
) -> impl IntoView {
    let PaymentView {
        line,
        card,
        description,
        payment_intent,
        stripe_customer,
        balance_transaction,
        refunds,
        dispute,
        refund: form,
        not_refundable,
    } = payment;
    let id = line.id.clone();
    view! {
        <section class="card" aria-labelledby="charge-title">
            <h2 id="charge-title">{format!("{} from {}", line.amount, line.customer)}</h2>
            <dl class="figures">
                <dt>"Charge"</dt><dd><code>{line.id.clone()}</code></dd>
                <dt>"Date"</dt><dd>{line.date}</dd>
                <dt>"Status"</dt><dd>{line.status}</dd>
                <dt>"Fee"</dt><dd>{line.fee}</dd>
                <dt>"Net"</dt><dd>{line.net}</dd>
                <dt>"Refunded"</dt><dd>{if line.refunded.is_empty() { "Nothing".to_owned() } else { line.refunded }}</dd>
                <dt>"Paid with"</dt><dd>{card.unwrap_or_else(|| "—".to_owned())}</dd>
                <dt>"For"</dt><dd>{description.unwrap_or_else(|| "—".to_owned())}</dd>
                <dt>"PaymentIntent"</dt><dd><code>{payment_intent.unwrap_or_else(|| "—".to_owned())}</code></dd>
                <dt>"Stripe customer"</dt><dd><code>{stripe_customer.unwrap_or_else(|| "No customer".to_owned())}</code></dd>
                <dt>"Balance transaction"</dt><dd>{balance_transaction.unwrap_or_else(|| "Not yet known".to_owned())}</dd>
                <dt>"Dispute"</dt><dd>{dispute.unwrap_or_else(|| "None".to_owned())}</dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="refunds-title">
            <h2 id="refunds-title">"Refunds"</h2>
            {if refunds.is_empty() {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table" aria-label="Refunds">
                        <thead><tr><th scope="col">"Date"</th><th scope="col">"Amount"</th><th scope="col">"Status"</th><th scope="col">"Reason"</th></tr></thead>
                        <tbody>
                            {refunds.into_iter().map(|refund| view! {
                                <tr><td>{refund.date}</td><td>{refund.amount}</td><td>{refund.status}</td><td>{refund.reason}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {not_refundable.map(|why| view! { <p>{why}</p> })}
            {form.map(|form| view! { <RefundForm charge=id form action=refund error /> })}
        </section>
    }
}

/// Refund in full or in part, with a reason.
#[component]
fn RefundForm(
    charge: String,
    form: RefundFormView,
    action: ServerAction<RefundCharge>,
    error: Option<FormError>,
) -> impl IntoView {
    let RefundFormView {
        left,
        left_decimal,
        currency,
        form_id,
        needs_password,
        reasons,
    } = form;
    let hint = format!("{left} is left to refund. Leave the amount empty to refund all of it.");
    view! {
        <ActionForm action>
            <FormAlert error=error.clone() />
            <input type="hidden" name="charge" value=charge />
            <input type="hidden" name="form_id" value=form_id />
            <div class="field">
                <label for="refund-amount">{format!("Amount ({currency})")}</label>
                <p class="field__hint" id="refund-amount-hint">{hint}</p>
                <input id="refund-amount" name="amount" type="text" inputmode="decimal"
                    placeholder=left_decimal aria-describedby="refund-amount-hint" />
                {error.as_ref().and_then(|e| e.for_field("amount")).map(|message| view! {
                    <p class="field__error" role="alert">{message}</p>
                })}
            </div>
            <div class="field">
                <label for="refund-reason">"Reason"</label>
                <select id="refund-reason" name="reason">
                    {reasons.into_iter().map(|(value, words)| view! { <option value=value>{words}</option> }).collect_view()}
                </select>
            </div>
            {needs_password.then(|| view! {
                <Field id="refund-password" name="password" label="Your password" kind="password"
                    autocomplete="current-password" required=true
                    hint="Money is about to move: confirm it is you."
                    error=error.clone() />
            })}
            <div class="actions">
                <button type="submit" class="button button--danger">"Refund"</button>
            </div>
        </ActionForm>
    }
}
