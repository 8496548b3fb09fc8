//! `/invitations/accept?token=…`: the page a mailed invitation opens. Nothing is accepted by
//! opening it: signed in with the invited address, a button joins; signed out, links to sign in
//! or up come back here.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::form::FormAlert,
    server_fns::organization_members::{invitation_details, AcceptInvitation, InvitationPage},
};

#[component]
pub fn InvitationAcceptPage() -> impl IntoView {
    let token = use_query_map()
        .get_untracked()
        .get("token")
        .unwrap_or_default();
    let data = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        invitation_details,
    );
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = accept.value().get_untracked().and_then(Result::err);
    let here = format!("/invitations/accept?token={}", crate::pages::encode(&token));
    view! {
        <Title text="Invitation" />
        <section class="container narrow page">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let token = token.clone();
                    let here = crate::pages::encode(&here);
                    let error = error.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(InvitationPage::Valid { organization, email, inviter, signed_in_as }) => view! {
                                <h1>"Join " {organization.clone()}</h1>
                                <p>{inviter.unwrap_or_else(|| "Someone".to_owned())} " invited " <strong>{email.clone()}</strong> " to join " {organization.clone()} "."</p>
                                <FormAlert error />
                                {match signed_in_as {
                                    Some(_) => view! {
                                        <ActionForm action=accept>
                                            <input type="hidden" name="token" value=token />
                                            <button type="submit" class="button">"Join " {organization}</button>
                                        </ActionForm>
                                    }.into_any(),
                                    None => view! {
                                        <p>"Sign in with that address, or create an account with it, to join."</p>
                                        <p>
                                            <a class="button" href=format!("/signin?next={here}")>"Sign in"</a>
                                            " "
                                            <a class="button button--secondary" href=format!("/signup?next={here}")>"Create an account"</a>
                                        </p>
                                    }.into_any(),
                                }}
                            }.into_any(),
                            Ok(InvitationPage::Invalid) => view! {
                                <h1>"Invitation"</h1>
                                <p class="alert alert--error" role="alert">"This invitation is invalid, already used, withdrawn or expired. Ask for a new one."</p>
                            }.into_any(),
                            Err(error) => view! { <FormAlert error=Some(error) /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}
