//! `/partners`: the partner program — join it, share your referral link, see what it brought
//! (commissions per invoice, transfers), connect the Stripe account you are paid to and manage
//! its payouts. Signed-in only; not found when the program is off.
//!
//! - [`account`]: the connected account's section (connecting it, status, balance, payouts).

mod account;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::current_user,
    components::form::{FormAlert, Notice},
    errors::FormError,
    pages::not_found::NotFound,
    server_fns::partners::{partner_standing, BecomePartner, PartnerView, Standing},
};

#[component]
pub fn PartnersPage() -> impl IntoView {
    if current_user().is_none() {
        #[cfg(feature = "ssr")]
        leptos_axum::redirect("/signin?next=/partners");
        return view! { <p class="container">"Sign in to see the partner program."</p> }.into_any();
    }
    let data = Resource::new(|| (), |_| partner_standing());
    let join = ServerAction::<BecomePartner>::new();
    let error = join.value().get_untracked().and_then(Result::err);
    let notice = crate::notice::Notice::in_url("/partners").map(crate::notice::Notice::sentence);
    view! {
        <Title text="Partners" />
        <section class="container page account">
            <h1>"Partner program"</h1>
            <Notice message=notice />
            <FormAlert error=error.clone() />
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(PartnerView::NotYet) => view! {
                            <section class="card" aria-labelledby="join-title">
                                <h2 id="join-title">"Refer people, earn a share"</h2>
                                <p>"Become a partner and get a link of your own. Everyone who signs up through it within 60 days is yours."</p>
                                <ActionForm action=join>
                                    <button type="submit" class="button">"Become a partner"</button>
                                </ActionForm>
                            </section>
                        }.into_any(),
                        Ok(PartnerView::Partner(standing)) => view! { <PartnerStanding standing=*standing /> }.into_any(),
                        Err(FormError::NotFound) => view! { <NotFound /> }.into_any(),
                        Err(error) => view! { <FormAlert error=Some(error) /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

/// A partner's link, commissions, transfers and account.
#[component]
fn PartnerStanding(standing: Standing) -> impl IntoView {
    let Standing {
        link,
        signups,
        subscribers,
        earned,
        commissions,
        transfers,
        onboarding,
        account,
        form_id,
    } = standing;
    view! {
        <section class="card" aria-labelledby="link-title">
            <h2 id="link-title">"Your referral link"</h2>
            <p><code>{link}</code></p>
            <dl class="figures">
                <dt>"Signed up through it"</dt><dd>{signups}</dd>
                <dt>"Of them, subscribed"</dt><dd>{subscribers}</dd>
            </dl>
        </section>
        <account::AccountSection onboarding account form_id />
        <section class="card" aria-labelledby="earned-title">
            <h2 id="earned-title">"Commissions"</h2>
            {if earned.is_empty() {
                view! { <p class="muted">"Nothing yet: you earn a share of every payment your referrals make."</p> }.into_any()
            } else {
                view! {
                    <dl class="figures">
                        {earned.into_iter().map(|line| view! {
                            <dt>"Held (the refund window)"</dt><dd>{line.held}</dd>
                            <dt>"Payable"</dt><dd>{line.payable}</dd>
                            <dt>"Paid"</dt><dd>{line.paid}</dd>
                            <dt>"Taken back"</dt><dd>{line.taken_back}</dd>
                        }).collect_view()}
                    </dl>
                    <table class="table">
                        <caption>"Commission per invoice"</caption>
                        <thead><tr>
                            <th scope="col">"Invoice"</th><th scope="col">"Commission"</th>
                            <th scope="col">"Taken back"</th><th scope="col">"Status"</th>
                            <th scope="col">"Payable from"</th>
                        </tr></thead>
                        <tbody>
                            {commissions.into_iter().map(|line| view! {
                                <tr>
                                    <td>{line.invoice_amount}</td><td>{line.amount}</td>
                                    <td>{line.taken_back}</td><td>{line.state}</td>
                                    <td>{line.payable_on}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="transfers-title">
            <h2 id="transfers-title">"Transfers to you"</h2>
            {if transfers.is_empty() {
                view! { <p class="muted">"None yet. Payable commissions are transferred to your Stripe account once a day."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr>
                            <th scope="col">"Date"</th><th scope="col">"Amount"</th>
                            <th scope="col">"Reversed"</th><th scope="col">"Status"</th>
                            <th scope="col">"Group"</th>
                        </tr></thead>
                        <tbody>
                            {transfers.into_iter().map(|line| view! {
                                <tr>
                                    <td>{line.date}</td><td>{line.amount}</td><td>{line.reversed}</td>
                                    <td>{line.status}</td><td><code>{line.group}</code></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
