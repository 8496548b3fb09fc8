//! One plan on the account page and what can be done with it: add or update its card, cancel
//! (after a confirmation), resume, change plan (after Stripe's proration preview) — and a change
//! still waiting for payment.

use leptos::prelude::*;

use crate::{
    billing_views::HeldPlanView,
    components::form::FormAlert,
    server_fns::billing::{
        preview_plan_change, CancelSubscription, ChangePlan, ResumeSubscription,
        SchedulePlanChange, UndoScheduledChange, UpdateCard,
    },
};

/// A plan: name, status, price, card, and its buttons. `confirming`: the cancel confirmation is
/// open.
#[component]
pub fn PlanItem(plan: HeldPlanView, confirming: bool) -> impl IntoView {
    let cancel = ServerAction::<CancelSubscription>::new();
    let cancel_error = cancel.value().get_untracked().and_then(Result::err);
    let resume = ServerAction::<ResumeSubscription>::new();
    let resume_error = resume.value().get_untracked().and_then(Result::err);
    let update_card = ServerAction::<UpdateCard>::new();
    let update_card_error = update_card.value().get_untracked().and_then(Result::err);
    let undo = ServerAction::<UndoScheduledChange>::new();
    let undo_error = undo.value().get_untracked().and_then(Result::err);
    let HeldPlanView {
        subscription_id,
        name,
        status,
        price,
        scheduled_change,
        discount,
        card,
        needs_attention,
        card_action,
        can_cancel,
        cancel_ends_now,
        can_resume,
        change_options,
        change_awaiting_payment,
    } = plan;
    let status_class = if needs_attention {
        "held-plan__status held-plan__status--alert"
    } else {
        "held-plan__status"
    };
    let id = subscription_id.clone();
    view! {
        <li class="held-plan" aria-label=name.clone()>
            <p><strong>{name.clone()}</strong> " — " <span class=status_class>{status}</span></p>
            {price.map(|price| view! { <p class="muted">{price}</p> })}
            {discount.map(|discount| view! { <p class="held-plan__discount">{discount}</p> })}
            <FormAlert error=undo_error />
            {scheduled_change.map(|sentence| {
                let id = id.clone();
                view! {
                    <div class="held-plan__scheduled" role="status">
                        <p>{sentence}</p>
                        <ActionForm action=undo>
                            <input type="hidden" name="subscription_id" value=id />
                            <button type="submit" class="button button--secondary">"Undo scheduled change"</button>
                        </ActionForm>
                    </div>
                }
            })}
            {change_awaiting_payment.map(|sentence| view! {
                <p class="held-plan__status held-plan__status--alert" role="status">{sentence}</p>
            })}
            <p class="muted">{match card {
                Some(card) => format!("Charged to {card}"),
                None => "No card on file".to_owned(),
            }}</p>
            <FormAlert error=cancel_error />
            <FormAlert error=resume_error />
            <FormAlert error=update_card_error />
            {(can_cancel && confirming).then(|| {
                let id = id.clone();
                view! {
                    <div class="confirm" role="group" aria-label="Confirm cancellation">
                        <p>"Cancel " {name.clone()} "? "{if cancel_ends_now {
                            "It ends now, and nothing is charged."
                        } else {
                            "It stays yours until the end of the period you paid for, then ends. You can resume it until then."
                        }}</p>
                        <ActionForm action=cancel>
                            <input type="hidden" name="subscription_id" value=id />
                            <button type="submit" class="button button--danger">{if cancel_ends_now {
                                "Yes, cancel it now"
                            } else {
                                "Yes, cancel at period end"
                            }}</button>
                            " "
                            <a href="/account#billing">"Keep my plan"</a>
                        </ActionForm>
                    </div>
                }
            })}
            <div class="actions">
                {card_action.map(|label| view! {
                    <ActionForm action=update_card>
                        <button type="submit" class="button">{label}</button>
                    </ActionForm>
                })}
                {(can_cancel && !confirming).then(|| view! {
                    <a class="button button--secondary" href=format!("/account?cancel={}#billing", id)>"Cancel plan"</a>
                })}
                {can_resume.then(|| {
                    let id = id.clone();
                    view! {
                        <ActionForm action=resume>
                            <input type="hidden" name="subscription_id" value=id />
                            <button type="submit" class="button">"Resume plan"</button>
                        </ActionForm>
                    }
                })}
            </div>
            {(!change_options.is_empty()).then(|| {
                let select_id = format!("change-{subscription_id}");
                view! {
                    <form method="get" action="/account" class="held-plan__change">
                        <input type="hidden" name="change" value=subscription_id.clone() />
                        <label for=select_id.clone()>"Change plan to"</label>
                        <select id=select_id name="to">
                            {change_options.into_iter().map(|option| view! {
                                <option value=option.price_id>{option.label}</option>
                            }).collect_view()}
                        </select>
                        <button type="submit" class="button button--secondary">"Preview change"</button>
                    </form>
                }
            })}
        </li>
    }
}

/// Stripe's preview of changing `subscription_id` to `price_id`, and the button that does it.
#[component]
pub fn ChangePreviewPanel(subscription_id: String, price_id: String) -> impl IntoView {
    let change = ServerAction::<ChangePlan>::new();
    let change_error = change.value().get_untracked().and_then(Result::err);
    let schedule = ServerAction::<SchedulePlanChange>::new();
    let schedule_error = schedule.value().get_untracked().and_then(Result::err);
    let preview = Resource::new(
        move || (subscription_id.clone(), price_id.clone()),
        |(subscription_id, price_id)| preview_plan_change(subscription_id, price_id),
    );
    view! {
        <div class="confirm" role="group" aria-label="Plan change">
            <FormAlert error=change_error />
            <FormAlert error=schedule_error />
            <Suspense fallback=|| view! { <p>"Asking Stripe what the change costs…"</p> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Err(error) => view! {
                            <FormAlert error=Some(error) />
                            <p><a href="/account#billing">"Back"</a></p>
                        }.into_any(),
                        Ok(preview) if preview.at_renewal.is_some() => view! {
                            <h3>"Change to " {preview.to.clone()} " at renewal"</h3>
                            <p>{preview.settlement.clone()}</p>
                            <ActionForm action=schedule>
                                <input type="hidden" name="subscription_id" value=preview.subscription_id.clone() />
                                <input type="hidden" name="price_id" value=preview.price_id.clone() />
                                <button type="submit" class="button">"Schedule change"</button>
                                " "
                                <a href="/account#billing">"Keep my current plan"</a>
                            </ActionForm>
                        }.into_any(),
                        Ok(preview) => view! {
                            <h3>"Change to " {preview.to.clone()}</h3>
                            <table class="table" aria-label="Next invoice preview">
                                <tbody>
                                    {preview.lines.iter().cloned().map(|(description, amount)| view! {
                                        <tr><td>{description}</td><td>{amount}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <p><strong>{preview.settlement.clone()}</strong></p>
                            <ActionForm action=change>
                                <input type="hidden" name="subscription_id" value=preview.subscription_id.clone() />
                                <input type="hidden" name="price_id" value=preview.price_id.clone() />
                                <input type="hidden" name="proration_date" value=preview.proration_date.to_string() />
                                <button type="submit" class="button">"Confirm change"</button>
                                " "
                                <a href="/account#billing">"Keep my current plan"</a>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
