//! `/organization`: the organization the user acts for — its members, invitations, seats, and
//! leaving or deleting it; acting for themselves, their organizations and the form that creates
//! one. Signed-in only.
//!
//! - [`members`]: the members and invitations sections.

mod members;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::current_user,
    components::form::{Field, FormAlert, Notice},
    errors::FormError,
    pages::not_found::NotFound,
    server_fns::organizations::{
        organization_overview, CreateOrganization, DeleteOrganization, LeaveOrganization,
        OrganizationChoice, OrganizationPage, OrganizationView, SwitchAccount,
    },
};

#[component]
pub fn OrganizationPageView() -> impl IntoView {
    if current_user().is_none() {
        #[cfg(feature = "ssr")]
        leptos_axum::redirect("/signin?next=/organization");
        return view! { <p class="container">"Sign in to see your organizations."</p> }.into_any();
    }
    let data = Resource::new(|| (), |_| organization_overview());
    let notice =
        crate::notice::Notice::in_url("/organization").map(crate::notice::Notice::sentence);
    view! {
        <Title text="Organization" />
        <section class="container narrow page account">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(OrganizationPage::Personal(organizations)) => view! {
                            <h1>"Organizations"</h1>
                            <Notice message=notice />
                            <YourOrganizations organizations />
                            <CreateForm />
                        }.into_any(),
                        Ok(OrganizationPage::Organization(organization)) => view! {
                            <h1>{organization.name.clone()}</h1>
                            <p class="muted">"You are " {organization.role.to_lowercase()} " of this organization. Its plan is on the account page."</p>
                            <Notice message=notice />
                            <OrganizationSections organization=*organization />
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

/// The organizations the user belongs to, each with a button that acts for it.
#[component]
fn YourOrganizations(organizations: Vec<OrganizationChoice>) -> impl IntoView {
    let switch = ServerAction::<SwitchAccount>::new();
    view! {
        <section class="card" aria-labelledby="orgs-title">
            <h2 id="orgs-title">"Your organizations"</h2>
            {if organizations.is_empty() {
                view! { <p>"You are not in any organization yet. Create one to subscribe as a team, or accept an invitation you were mailed."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {organizations.into_iter().map(|organization| view! {
                            <li>
                                <ActionForm action=switch attr:class="inline-form">
                                    <input type="hidden" name="account" value=organization.id.clone() />
                                    <span>{organization.name.clone()} " (" {organization.role.clone()} ")"</span>
                                    <button type="submit" class="button button--secondary">"Act for " {organization.name.clone()}</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Creates an organization.
#[component]
fn CreateForm() -> impl IntoView {
    let create = ServerAction::<CreateOrganization>::new();
    let error = create.value().get_untracked().and_then(Result::err);
    view! {
        <section class="card" aria-labelledby="create-title">
            <h2 id="create-title">"Create an organization"</h2>
            <p>"An organization subscribes for its team: one plan, one invoice in its name, features for every member."</p>
            <FormAlert error=error.clone() />
            <ActionForm action=create>
                <Field id="organization-name" name="name" label="Organization name" required=true
                    maxlength=80 autocomplete="organization" error=error />
                <button type="submit" class="button">"Create organization"</button>
            </ActionForm>
        </section>
    }
}

/// An organization's sections: seats, members, invitations, leaving, deleting.
#[component]
fn OrganizationSections(organization: OrganizationView) -> impl IntoView {
    let leave = ServerAction::<LeaveOrganization>::new();
    let leave_error = leave.value().get_untracked().and_then(Result::err);
    let delete = ServerAction::<DeleteOrganization>::new();
    let delete_error = delete.value().get_untracked().and_then(Result::err);
    let is_owner = organization.is_owner;
    let name = organization.name.clone();
    view! {
        {organization.seats.clone().map(|seats| view! { <p class="muted">"Seats: " {seats}</p> })}
        <members::Members organization=organization.clone() />
        <section class="card" aria-labelledby="leave-title">
            <h2 id="leave-title">"Leave"</h2>
            <p>"You lose what the organization's plan gives you. An owner can invite you again."</p>
            <FormAlert error=leave_error />
            <ActionForm action=leave>
                <button type="submit" class="button button--secondary">"Leave " {name.clone()}</button>
            </ActionForm>
        </section>
        {is_owner.then(|| view! {
            <section class="card card--danger" aria-labelledby="delete-org-title">
                <h2 id="delete-org-title">"Delete organization"</h2>
                <p>"Its subscription is canceled at once and its members lose access. It cannot be undone."</p>
                <FormAlert error=delete_error.clone() />
                <ActionForm action=delete>
                    <Field id="delete-org-name" name="name" label="Type the organization's name to confirm"
                        required=true error=delete_error />
                    <button type="submit" class="button button--danger">"Delete organization"</button>
                </ActionForm>
            </section>
        })}
    }
}
