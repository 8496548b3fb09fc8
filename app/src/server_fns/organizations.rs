//! Organizations: the `/organization` page's data, creating one, switching whom the user acts for,
//! leaving and deleting. Each checks the signed-in user and their role itself; the member and
//! invitation actions are in [`super::organization_members`].

use leptos::prelude::*;

use crate::errors::FormError;

/// An organization the user belongs to, for the switcher and the list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrganizationChoice {
    /// Its id, as the switcher posts it.
    pub id: String,
    pub name: String,
    /// The user's role, in words.
    pub role: String,
}

/// Whom the user may act for: themselves and their organizations, and which one they act for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Accounts {
    pub organizations: Vec<OrganizationChoice>,
    /// The organization acted for; `None`: the personal account.
    pub current: Option<String>,
}

/// What `/organization` shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OrganizationPage {
    /// Acting for themselves: their organizations, and the form that creates one.
    Personal(Vec<OrganizationChoice>),
    /// Acting for an organization.
    Organization(Box<OrganizationView>),
}

/// One organization, as its member sees it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrganizationView {
    pub name: String,
    /// The user's role, in words.
    pub role: String,
    /// Whether the user invites and removes members (owners, admins).
    pub manages_members: bool,
    /// Whether the user is an owner (billing, ownership, deletion).
    pub is_owner: bool,
    pub members: Vec<MemberView>,
    /// Open invitations (only for those who manage members).
    pub invitations: Vec<InvitationView>,
    /// On a per-seat plan: the seats billed and the cap, in words.
    pub seats: Option<String>,
}

/// A member.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberView {
    /// Their user id, as the forms post it.
    pub id: String,
    /// Display name, else email.
    pub label: String,
    pub email: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
    /// Whether this is the signed-in user.
    pub is_you: bool,
}

/// An open invitation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role: String,
    /// When the link stops working, in words.
    pub expires: String,
}

/// Whom the signed-in user may act for (the header's switcher): read from the request, where the
/// session middleware put the memberships loaded with the session.
#[server(endpoint = "acting_choices")]
pub async fn acting_choices() -> Result<Accounts, FormError> {
    let payer = super::context::payer()?;
    let organizations = super::context::memberships();
    Ok(Accounts {
        organizations: organizations.iter().map(choice).collect(),
        current: payer
            .organization
            .map(|acting| acting.organization_id.to_string()),
    })
}

#[cfg(feature = "ssr")]
fn choice(acting: &backend::organizations::Acting) -> OrganizationChoice {
    OrganizationChoice {
        id: acting.organization_id.to_string(),
        name: acting.name.clone(),
        role: acting.role.label().to_owned(),
    }
}

/// The `/organization` page: the organization acted for, or the user's organizations.
#[server(endpoint = "organization_overview")]
pub async fn organization_overview() -> Result<OrganizationPage, FormError> {
    use backend::{
        billing::Step,
        organizations::{invitations, members, seats, OrgRole},
    };

    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let Some(acting) = payer.organization else {
        let organizations = super::context::memberships();
        return Ok(OrganizationPage::Personal(
            organizations.iter().map(choice).collect(),
        ));
    };
    let members = members::list(&state.db, acting.organization_id)
        .await
        .step("listing the members")?;
    let invitations = if acting.role.manages_members() {
        invitations::open(&state.db, acting.organization_id)
            .await
            .step("listing the open invitations")?
    } else {
        Vec::new()
    };
    let seats = seats::item(&state.db, acting.organization_id)
        .await
        .step("reading the per-seat plan")?
        .map(|item| match item.max_seats {
            Some(cap) => format!("{} seats billed, up to {cap} on this plan", item.quantity),
            None => format!("{} seats billed", item.quantity),
        });
    Ok(OrganizationPage::Organization(Box::new(OrganizationView {
        name: acting.name.clone(),
        role: acting.role.label().to_owned(),
        manages_members: acting.role.manages_members(),
        is_owner: acting.role == OrgRole::Owner,
        members: members
            .into_iter()
            .map(|member| MemberView {
                id: member.user_id.to_string(),
                label: member
                    .display_name
                    .clone()
                    .unwrap_or_else(|| member.email.to_string()),
                email: member.email.to_string(),
                role: member.role.as_str().to_owned(),
                is_you: member.user_id == payer.actor.id,
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|invitation| InvitationView {
                id: invitation.id.to_string(),
                email: invitation.email,
                role: invitation.role.label().to_owned(),
                expires: backend::billing::money::format_date(invitation.expires_at),
            })
            .collect(),
        seats,
    })))
}

/// Creates an organization owned by the user, who acts for it from now on.
#[server(endpoint = "create_organization")]
pub async fn create_organization(name: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    let acting = backend::organizations::create(&state.db, &user, &name).await?;
    act_for(Some(acting.organization_id)).await?;
    leptos_axum::redirect(&crate::notice::Notice::OrganizationCreated.href());
    Ok(())
}

/// Acts for `account` from now on: `personal`, or an organization the user is a member of.
#[server(endpoint = "switch_account")]
pub async fn switch_account(account: String) -> Result<(), FormError> {
    use backend::billing::Step;

    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    let organization = match account.as_str() {
        "personal" => None,
        id => {
            let id = uuid::Uuid::parse_str(id).map_err(|_| FormError::NotFound)?;
            backend::organizations::acting_for(&state.db, user.id, id)
                .await
                .step("checking the membership")?
                .ok_or(FormError::NotFound)?;
            Some(id)
        }
    };
    act_for(organization).await?;
    leptos_axum::redirect(&crate::notice::Notice::AccountSwitched.href());
    Ok(())
}

/// Leaves the organization acted for (refused for its last owner); acts for themselves again.
#[server(endpoint = "leave_organization")]
pub async fn leave_organization() -> Result<(), FormError> {
    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let acting = payer.organization.clone().ok_or(FormError::NotFound)?;
    backend::organizations::members::remove(&state, &acting, &payer.actor, payer.actor.id).await?;
    act_for(None).await?;
    leptos_axum::redirect(&crate::notice::Notice::LeftOrganization.href());
    Ok(())
}

/// Deletes the organization acted for (owners only), its subscription canceled first. `name`
/// must repeat its name.
#[server(endpoint = "delete_organization")]
pub async fn delete_organization(name: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let acting = payer.organization.clone().ok_or(FormError::NotFound)?;
    if name.trim() != acting.name {
        return Err(FormError::Field {
            field: "name".to_owned(),
            message: format!("Type {} to confirm.", acting.name),
        });
    }
    backend::organizations::deletion::delete(&state, &acting).await?;
    act_for(None).await?;
    leptos_axum::redirect(&crate::notice::Notice::OrganizationDeleted.href());
    Ok(())
}

/// Names the organization this session acts for (`None`: the personal account).
#[cfg(feature = "ssr")]
pub(super) async fn act_for(organization: Option<uuid::Uuid>) -> Result<(), FormError> {
    use anyhow::Context;

    let session = super::context::session()?;
    let saved = match organization {
        Some(id) => session
            .insert(backend::organizations::SESSION_KEY, id)
            .await
            .map(|_| ()),
        None => session
            .remove::<uuid::Uuid>(backend::organizations::SESSION_KEY)
            .await
            .map(|_| ()),
    };
    saved
        .context("saving whom the session acts for")
        .map_err(|error| backend::auth::AuthError::Unexpected(error).into())
}
