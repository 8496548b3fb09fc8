//! `/partners`: the partner program — join it, then share your referral link and see what it
//! brought. Signed-in only; not found when the program is off.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::current_user,
    components::form::FormAlert,
    errors::FormError,
    pages::not_found::NotFound,
    server_fns::partners::{partner_standing, BecomePartner, PartnerView},
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
    view! {
        <Title text="Partners" />
        <section class="container page account">
            <h1>"Partner program"</h1>
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
                        Ok(PartnerView::Partner { link, signups, subscribers, earned }) => view! {
                            <section class="card" aria-labelledby="link-title">
                                <h2 id="link-title">"Your referral link"</h2>
                                <p><code>{link}</code></p>
                                <dl class="figures">
                                    <dt>"Signed up through it"</dt><dd>{signups}</dd>
                                    <dt>"Of them, subscribed"</dt><dd>{subscribers}</dd>
                                </dl>
                            </section>
                            <section class="card" aria-labelledby="earned-title">
                                <h2 id="earned-title">"Commissions"</h2>
                                {if earned.is_empty() {
                                    view! { <p class="muted">"Nothing yet: you earn a share of every payment your referrals make."</p> }.into_any()
                                } else {
                                    view! {
                                        <dl class="figures">
                                            {earned.into_iter().map(|(held, payable)| view! {
                                                <dt>"Held (the refund window)"</dt><dd>{held}</dd>
                                                <dt>"Payable"</dt><dd>{payable}</dd>
                                            }).collect_view()}
                                        </dl>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any(),
                        Err(FormError::NotFound) => view! { <NotFound /> }.into_any(),
                        Err(error) => view! { <FormAlert error=Some(error) /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}
