//! `/admin/partners`: the partner program — each partner's code, the accounts their link
//! brought, their commissions and connected account; what the next pay run would transfer (and
//! who it skips, and why); the transfers with their reversals; the last pay runs.

use leptos::prelude::*;

use super::is_admin;
use crate::{
    console_views::PartnersView, pages::not_found::NotFound,
    server_fns::console::records::admin_partners,
};

#[component]
pub fn AdminPartnersPage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let data = Resource::new(|| (), |_| admin_partners());
    super::frame(
        "Partners",
        (),
        data,
        |partners| view! { <Partners partners /> },
    )
}

#[component]
fn Partners(partners: PartnersView) -> impl IntoView {
    let PartnersView {
        rows,
        plan,
        commissions,
        transfers,
        runs,
    } = partners;
    if rows.is_empty() {
        return view! { <p class="muted">"No partners yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Partners, scrolls sideways">
            <table class="table" aria-label="Partners">
                <thead><tr>
                    <th scope="col">"Partner"</th><th scope="col">"Code"</th>
                    <th scope="col">"Signed up through them"</th><th scope="col">"Commissions"</th>
                    <th scope="col">"Stripe account"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|(email, code, signups, earned, account)| view! {
                        <tr><td>{email}</td><td><code>{code}</code></td><td>{signups}</td><td>{earned}</td><td>{account}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <h2>"Next pay run"</h2>
        {if plan.is_empty() {
            view! { <p class="muted">"Nothing payable: no transfer would be made."</p> }.into_any()
        } else {
            view! {
                <table class="table" aria-label="Next pay run">
                    <thead><tr><th scope="col">"Partner"</th><th scope="col">"Payable"</th><th scope="col">"What happens"</th></tr></thead>
                    <tbody>
                        {plan.into_iter().map(|(email, amount, what)| view! {
                            <tr><td>{email}</td><td>{amount}</td><td>{what}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <h2>"Commissions"</h2>
        {if commissions.is_empty() {
            view! { <p class="muted">"No commissions yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Commissions, scrolls sideways">
                    <table class="table" aria-label="Commissions">
                        <thead><tr>
                            <th scope="col">"Partner"</th><th scope="col">"Invoice"</th><th scope="col">"Paid"</th>
                            <th scope="col">"Commission"</th><th scope="col">"Taken back"</th><th scope="col">"Status"</th>
                        </tr></thead>
                        <tbody>
                            {commissions.into_iter().map(|(email, invoice, paid, amount, taken_back, state)| view! {
                                <tr><td>{email}</td><td><code>{invoice}</code></td><td>{paid}</td>
                                    <td>{amount}</td><td>{taken_back}</td><td>{state}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <h2>"Transfers"</h2>
        {if transfers.is_empty() {
            view! { <p class="muted">"No transfers yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Transfers, scrolls sideways">
                    <table class="table" aria-label="Transfers">
                        <thead><tr>
                            <th scope="col">"Date"</th><th scope="col">"Partner"</th><th scope="col">"Amount"</th>
                            <th scope="col">"Reversed"</th><th scope="col">"Status"</th><th scope="col">"Transfer or reason"</th>
                        </tr></thead>
                        <tbody>
                            {transfers.into_iter().map(|row| view! {
                                <tr><td>{row.date}</td><td>{row.email}</td><td>{row.amount}</td>
                                    <td>{row.reversed}</td><td>{row.status}</td><td>{row.detail}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <h2>"Pay runs"</h2>
        {if runs.is_empty() {
            view! { <p class="muted">"No pay run yet. One runs daily; `server partners pay` runs one now."</p> }.into_any()
        } else {
            view! {
                <ul class="runs">
                    {runs.into_iter().map(|(date, trigger, summary)| view! {
                        <li><strong>{date}</strong>" ("{trigger}"): "<pre>{summary}</pre></li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
    .into_any()
}
