//! The partner's connected Stripe account on `/partners`: connecting it (Stripe's hosted
//! onboarding, or the app's own form), its status and what Stripe still needs, the payout
//! schedule, the balance with a pay-out button on a manual schedule, and the newest payouts.

use leptos::prelude::*;

use crate::{
    components::form::{Field, FormAlert},
    server_fns::{
        partner_account::{
            ConnectStripeAccount, ConnectWithForm, PartnerPayOut, SetPayoutSchedule,
        },
        partners::{AccountMoneyView, AccountView, OnboardingWay},
    },
};

/// The account section: how to connect one, or the one connected.
#[component]
pub fn AccountSection(
    onboarding: OnboardingWay,
    account: Option<AccountView>,
    form_id: String,
) -> impl IntoView {
    let connect = ServerAction::<ConnectStripeAccount>::new();
    let connect_error = connect.value().get_untracked().and_then(Result::err);
    let needs_onboarding = account
        .as_ref()
        .is_none_or(|account| !account.ready && !account.disconnected);
    view! {
        <section class="card" aria-labelledby="account-title">
            <h2 id="account-title">"Your Stripe account"</h2>
            <FormAlert error=connect_error />
            {account.clone().map(|account| view! { <AccountStatus account=account form_id=form_id.clone() /> })}
            {(needs_onboarding).then(|| match onboarding {
                OnboardingWay::Hosted => view! {
                    <p>"Commissions are paid to a Stripe account of your own. Stripe asks who you are and where to send the money."</p>
                    <ActionForm action=connect>
                        <button type="submit" class="button">
                            {if account.is_some() { "Continue onboarding with Stripe" } else { "Connect with Stripe" }}
                        </button>
                    </ActionForm>
                }.into_any(),
                OnboardingWay::Platform => view! { <PlatformForm /> }.into_any(),
            })}
        </section>
    }
}

/// The app's own onboarding form (a custom account).
#[component]
fn PlatformForm() -> impl IntoView {
    let action = ServerAction::<ConnectWithForm>::new();
    let error = action.value().get_untracked().and_then(Result::err);
    view! {
        <p>"Commissions are paid to a Stripe account we open for you. Tell us who you are and where to send the money."</p>
        <FormAlert error=error.clone() />
        <ActionForm action=action>
            <Field id="partner-first-name" name="first_name" label="First name" autocomplete="given-name" required=true error=error.clone() />
            <Field id="partner-last-name" name="last_name" label="Last name" autocomplete="family-name" required=true error=error.clone() />
            <Field id="partner-dob" name="dob" label="Date of birth" kind="date" autocomplete="bday" required=true error=error.clone() />
            <Field id="partner-routing" name="routing_number" label="Routing number" autocomplete="off" required=true error=error.clone() />
            <Field id="partner-account-number" name="account_number" label="Account number" autocomplete="off" required=true error=error.clone() />
            <div class="field field--check">
                <input id="partner-terms" type="checkbox" name="accepted_terms" value="yes" required=true />
                <label for="partner-terms">
                    "I agree to the "
                    <a href="https://stripe.com/connect-account/legal" rel="noopener">"Stripe Connected Account Agreement"</a>
                </label>
                {error.as_ref().and_then(|e| e.for_field("accepted_terms")).map(|message| view! { <p class="field__error">{message}</p> })}
            </div>
            <button type="submit" class="button">"Connect bank account"</button>
        </ActionForm>
    }
}

/// A connected account's status, schedule, balance and payouts.
#[component]
fn AccountStatus(account: AccountView, form_id: String) -> impl IntoView {
    let schedule = ServerAction::<SetPayoutSchedule>::new();
    let schedule_error = schedule.value().get_untracked().and_then(Result::err);
    let status = if account.disconnected {
        "Disconnected: you removed our access to your Stripe account, so nothing more can be transferred to it.".to_owned()
    } else if account.ready {
        "Ready: commissions are transferred to it.".to_owned()
    } else if account.requirements.is_empty() {
        "Stripe is reviewing it: transfers start once it can receive them.".to_owned()
    } else {
        format!("Stripe still needs: {}", account.requirements.join(", "))
    };
    let manual = account.payout_interval == "manual";
    let interval = account.payout_interval.clone();
    view! {
        <dl class="figures">
            <dt>"Status"</dt><dd>{status}</dd>
            <dt>"Bank account"</dt><dd>{account.bank.clone().unwrap_or_else(|| "None yet".to_owned())}</dd>
            <dt>"Payouts"</dt><dd>{if account.payouts_enabled { "enabled" } else { "not enabled yet" }}</dd>
        </dl>
        {(!account.disconnected).then(|| view! {
            <FormAlert error=schedule_error />
            <ActionForm action=schedule attr:class="inline-form">
                <label for="payout-interval">"Payout schedule"</label>
                <select id="payout-interval" name="interval">
                    {["manual", "daily", "weekly", "monthly"].into_iter().map(|option| view! {
                        <option value=option selected=option == interval>{option}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button button--secondary">"Save schedule"</button>
            </ActionForm>
        })}
        {match account.money {
            Some(money) => view! { <AccountMoney money manual form_id /> }.into_any(),
            None if account.disconnected => ().into_any(),
            None => view! { <p class="muted">"Stripe did not answer in time, so your balance is not shown. Reload to try again."</p> }.into_any(),
        }}
    }
}

/// The account's balance (with a pay-out button on a manual schedule) and newest payouts.
#[component]
fn AccountMoney(money: AccountMoneyView, manual: bool, form_id: String) -> impl IntoView {
    let pay_out = ServerAction::<PartnerPayOut>::new();
    let error = pay_out.value().get_untracked().and_then(Result::err);
    view! {
        <h3>"Balance"</h3>
        <FormAlert error=error />
        <dl class="figures">
            {money.available.into_iter().map(|(currency, amount, any)| {
                let form_id = form_id.clone();
                view! {
                    <dt>"Available"</dt>
                    <dd>
                        {amount.clone()}
                        {(manual && any).then(|| view! {
                            <ActionForm action=pay_out attr:class="inline-form">
                                <input type="hidden" name="currency" value=currency />
                                <input type="hidden" name="form_id" value=form_id />
                                <button type="submit" class="button">{format!("Pay out {amount}")}</button>
                            </ActionForm>
                        })}
                    </dd>
                }
            }).collect_view()}
            {money.pending.into_iter().map(|amount| view! { <dt>"On its way"</dt><dd>{amount}</dd> }).collect_view()}
        </dl>
        <h3>"Payouts to your bank"</h3>
        {if money.payouts.is_empty() {
            view! { <p class="muted">"No payouts yet."</p> }.into_any()
        } else {
            view! {
                <table class="table">
                    <thead><tr>
                        <th scope="col">"Amount"</th><th scope="col">"Status"</th>
                        <th scope="col">"Arrives"</th><th scope="col">"Made"</th>
                    </tr></thead>
                    <tbody>
                        {money.payouts.into_iter().map(|payout| view! {
                            <tr>
                                <td>{payout.amount}</td><td>{payout.status}</td><td>{payout.arrival}</td>
                                <td>{if payout.automatic { "on schedule" } else { "by you" }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
    }
}
