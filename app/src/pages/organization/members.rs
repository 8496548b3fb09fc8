//! The organization's members (with their roles and what the user may do about each) and its open
//! invitations, with the invite form.

use leptos::prelude::*;

use crate::{
    components::form::{Field, FormAlert},
    server_fns::{
        organization_members::{
            ChangeRole, InviteMember, RemoveMember, RevokeInvitation, TransferOwnership,
        },
        organizations::{MemberView, OrganizationView},
    },
};

/// Members and invitations.
#[component]
pub fn Members(organization: OrganizationView) -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    let invite_error = invite.value().get_untracked().and_then(Result::err);
    let revoke = ServerAction::<RevokeInvitation>::new();
    let manages = organization.manages_members;
    let is_owner = organization.is_owner;
    view! {
        <section class="card" aria-labelledby="members-title">
            <h2 id="members-title">"Members"</h2>
            <MemberActionsErrors />
            <ul class="plain-list members">
                {organization.members.into_iter().map(|member| view! {
                    <MemberRow member manages is_owner />
                }).collect_view()}
            </ul>
        </section>
        {manages.then(|| view! {
            <section class="card" aria-labelledby="invite-title">
                <h2 id="invite-title">"Invite someone"</h2>
                <FormAlert error=invite_error.clone() />
                <ActionForm action=invite>
                    <Field id="invite-email" name="email" label="Email" kind="email" required=true
                        autocomplete="off" error=invite_error.clone() />
                    <div class="field">
                        <label for="invite-role">"Role"</label>
                        <select id="invite-role" name="role">
                            <option value="member" selected=true>"Member"</option>
                            <option value="admin">"Admin (invites and removes members)"</option>
                        </select>
                    </div>
                    <button type="submit" class="button">"Send invitation"</button>
                </ActionForm>
                {(!organization.invitations.is_empty()).then(|| view! {
                    <h3>"Waiting to join"</h3>
                    <ul class="plain-list">
                        {organization.invitations.into_iter().map(|invitation| view! {
                            <li>
                                <ActionForm action=revoke attr:class="inline-form">
                                    <input type="hidden" name="invitation" value=invitation.id />
                                    <span>{invitation.email} " — " {invitation.role} ", until " {invitation.expires}</span>
                                    <button type="submit" class="link-button">"Withdraw"</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                })}
            </section>
        })}
    }
}

/// The error of the last role change, ownership transfer or removal, if any.
#[component]
fn MemberActionsErrors() -> impl IntoView {
    let role = ServerAction::<ChangeRole>::new();
    let transfer = ServerAction::<TransferOwnership>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let error = role
        .value()
        .get_untracked()
        .and_then(Result::err)
        .or_else(|| transfer.value().get_untracked().and_then(Result::err))
        .or_else(|| remove.value().get_untracked().and_then(Result::err));
    view! { <FormAlert error /> }
}

/// One member, with the forms the user may use on them.
#[component]
fn MemberRow(member: MemberView, manages: bool, is_owner: bool) -> impl IntoView {
    let role = ServerAction::<ChangeRole>::new();
    let transfer = ServerAction::<TransferOwnership>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let owner = member.role == "owner";
    let is_you = member.is_you;
    // Admins manage members and admins; owners manage everyone but themselves here (leaving and
    // handing over are their own forms).
    let may_manage = manages && !member.is_you && (is_owner || !owner);
    let (id, label) = (member.id.clone(), member.label.clone());
    let (id2, label2) = (id.clone(), label.clone());
    let (id3, label3) = (id.clone(), label.clone());
    let select_id = format!("role-{}", member.id);
    view! {
        <li class="member">
            <span class="member__name">{member.label.clone()}</span>
            <span class="muted">" " {member.email.clone()}</span>
            <span class="badge">{member.role.clone()}</span>
            {member.is_you.then(|| view! { <span class="muted">" (you)"</span> })}
            {(may_manage && !owner).then(|| view! {
                <ActionForm action=role attr:class="inline-form">
                    <input type="hidden" name="member" value=id />
                    <label for=select_id.clone() class="visually-hidden">"Role of " {label.clone()}</label>
                    <select id=select_id.clone() name="role">
                        <option value="member" selected=member.role == "member">"Member"</option>
                        <option value="admin" selected=member.role == "admin">"Admin"</option>
                    </select>
                    <button type="submit" class="button button--secondary">"Change role of " {label.clone()}</button>
                </ActionForm>
            })}
            {(is_owner && !is_you && !owner).then(|| view! {
                <ActionForm action=transfer attr:class="inline-form">
                    <input type="hidden" name="member" value=id2 />
                    <button type="submit" class="button button--secondary">"Make " {label2} " owner"</button>
                </ActionForm>
            })}
            {may_manage.then(|| view! {
                <ActionForm action=remove attr:class="inline-form">
                    <input type="hidden" name="member" value=id3 />
                    <button type="submit" class="button button--danger">"Remove " {label3}</button>
                </ActionForm>
            })}
        </li>
    }
}
