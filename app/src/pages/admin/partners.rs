//! `/admin/partners`: the partner program's partners — their code, the accounts their link
//! brought, and their commissions held and payable.

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
    let PartnersView { rows } = partners;
    if rows.is_empty() {
        return view! { <p class="muted">"No partners yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Partners, scrolls sideways">
            <table class="table" aria-label="Partners">
                <thead><tr>
                    <th scope="col">"Partner"</th><th scope="col">"Code"</th>
                    <th scope="col">"Signed up through them"</th><th scope="col">"Commissions"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|(email, code, signups, earned)| view! {
                        <tr><td>{email}</td><td><code>{code}</code></td><td>{signups}</td><td>{earned}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
