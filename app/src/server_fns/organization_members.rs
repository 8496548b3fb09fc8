//! The organization's people: inviting, withdrawing an invitation, changing a role, handing
//! ownership over, removing a member, and the invitation link's page and acceptance. Each acts on
//! the organization the signed-in user acts for, and the backend checks their role.

use leptos::prelude::*;

use crate::errors::FormError;

/// What the invitation link's page shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InvitationPage {
    /// The link is unknown, used, withdrawn or expired.
    Invalid,
    /// A valid invitation.
    Valid {
        organization: String,
        /// The invited address.
        email: String,
        inviter: Option<String>,
        /// Whether someone is signed in, and with the invited address.
        signed_in_as: Option<String>,
    },
}

/// The acting organization and the user, or not found when acting for themselves.
#[cfg(feature = "ssr")]
fn acting() -> Result<(backend::organizations::Acting, backend::auth::User), FormError> {
    let payer = super::context::payer()?;
    let acting = payer.organization.ok_or(FormError::NotFound)?;
    Ok((acting, payer.actor))
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<uuid::Uuid, FormError> {
    uuid::Uuid::parse_str(id).map_err(|_| FormError::NotFound)
}

#[cfg(feature = "ssr")]
fn parse_role(role: &str) -> Result<backend::organizations::OrgRole, FormError> {
    backend::organizations::OrgRole::parse(role).ok_or_else(|| FormError::Field {
        field: "role".to_owned(),
        message: "Choose member or admin.".to_owned(),
    })
}

/// Invites `email` as `role` (owners and admins).
#[server(endpoint = "invite_member")]
pub async fn invite_member(email: String, role: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let (acting, user) = acting()?;
    let role = parse_role(&role)?;
    backend::organizations::invitations::invite(&state, &acting, &user, &email, role).await?;
    leptos_axum::redirect(&crate::notice::Notice::MemberInvited.href());
    Ok(())
}

/// Withdraws an open invitation.
#[server(endpoint = "revoke_invitation")]
pub async fn revoke_invitation(invitation: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let (acting, _) = acting()?;
    backend::organizations::invitations::revoke(&state.db, &acting, parse_id(&invitation)?).await?;
    leptos_axum::redirect(&crate::notice::Notice::InvitationRevoked.href());
    Ok(())
}

/// Gives a member another role.
#[server(endpoint = "change_role")]
pub async fn change_role(member: String, role: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let (acting, _) = acting()?;
    let role = parse_role(&role)?;
    backend::organizations::members::set_role(&state.db, &acting, parse_id(&member)?, role).await?;
    leptos_axum::redirect(&crate::notice::Notice::RoleChanged.href());
    Ok(())
}

/// Makes a member the owner; the acting owner becomes an admin.
#[server(endpoint = "transfer_ownership")]
pub async fn transfer_ownership(member: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let (acting, user) = acting()?;
    backend::organizations::members::transfer_ownership(
        &state.db,
        &acting,
        &user,
        parse_id(&member)?,
    )
    .await?;
    leptos_axum::redirect(&crate::notice::Notice::OwnershipTransferred.href());
    Ok(())
}

/// Removes a member (owners and admins; an owner only by an owner).
#[server(endpoint = "remove_member")]
pub async fn remove_member(member: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let (acting, user) = acting()?;
    backend::organizations::members::remove(&state, &acting, &user, parse_id(&member)?).await?;
    leptos_axum::redirect(&crate::notice::Notice::MemberRemoved.href());
    Ok(())
}

/// The invitation link's page.
#[server(endpoint = "invitation_details")]
pub async fn invitation_details(token: String) -> Result<InvitationPage, FormError> {
    use backend::billing::Step;

    let state = super::context::state()?;
    let invited = backend::organizations::invitations::peek(&state.db, &token)
        .await
        .step("reading the invitation")?;
    Ok(match invited {
        None => InvitationPage::Invalid,
        Some(invited) => InvitationPage::Valid {
            organization: invited.organization,
            email: invited.email,
            inviter: invited.inviter,
            signed_in_as: super::context::signed_in_user()
                .ok()
                .map(|user| user.email.to_string()),
        },
    })
}

/// Accepts the invitation for the signed-in user, who acts for the organization from now on.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    let acting = backend::organizations::invitations::accept(&state, &user, &token).await?;
    super::organizations::act_for(Some(acting.organization_id)).await?;
    leptos_axum::redirect(&crate::notice::Notice::JoinedOrganization.href());
    Ok(())
}
