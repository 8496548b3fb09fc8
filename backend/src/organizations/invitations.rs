//! Invitations by email: an owner or admin invites an address with a role; the mailed link
//! (`/invitations/accept?token=…`) works once, for 7 days, for the account with that address —
//! signed in already, or after signing in or up from the link's page.
//!
//! The token is 32 random bytes in the link; only its SHA-256 is stored. Accepting marks it used
//! in the same transaction that adds the membership (under the organization's row lock, which
//! also orders acceptances against the plan's seat cap), so it works at most once when two tabs
//! race. Inviting the same address again replaces the open invitation (its link stops working).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{lock, member_count, seats, Acting, OrgRole, OrganizationError};
use crate::{
    auth::{EmailAddress, User},
    billing::Step,
    mail::{self, messages},
    AppState,
};

/// Where the mailed link points.
pub const ACCEPT_PATH: &str = "/invitations/accept";

/// An open invitation, for the members page.
#[derive(Clone, Debug)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: OrgRole,
    pub expires_at: OffsetDateTime,
}

/// What the link's page shows before anything is accepted.
#[derive(Clone, Debug)]
pub struct Invited {
    pub organization: String,
    pub email: String,
    pub inviter: Option<String>,
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Invites `email` as `role` and mails the link. Refused when the plan's seats are all taken
/// (counting open invitations), the address is already a member, or the role is owner (ownership
/// is handed over, not invited).
#[tracing::instrument(skip_all, fields(organization_id = %acting.organization_id))]
pub async fn invite(
    state: &AppState,
    acting: &Acting,
    actor: &User,
    email: &str,
    role: OrgRole,
) -> Result<(), OrganizationError> {
    acting.require_members_manager()?;
    let email = EmailAddress::parse(email, "email").map_err(|_| OrganizationError::Invalid {
        field: "email",
        message: "Enter an email address like name@example.com.".into(),
    })?;
    if role == OrgRole::Owner {
        return Err(OrganizationError::Invalid {
            field: "role",
            message: "Invite as member or admin; make someone owner once they have joined.".into(),
        });
    }
    let mut tx = state.db.begin().await.step("starting the invitation")?;
    if !lock(&mut tx, acting.organization_id)
        .await
        .step("locking the organization")?
    {
        return Err(OrganizationError::NotFound);
    }
    let already = sqlx::query_scalar!(
        r#"
        SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                       WHERE m.organization_id = $1 AND lower(u.email) = lower($2)) AS "member!"
        "#,
        acting.organization_id,
        email.as_str()
    )
    .fetch_one(&mut *tx)
    .await
    .step("checking whether the address is a member")?;
    if already {
        return Err(OrganizationError::Invalid {
            field: "email",
            message: format!("{email} is already a member."),
        });
    }
    sqlx::query!(
        r#"
        UPDATE invitations SET revoked_at = now()
        WHERE organization_id = $1 AND lower(email) = lower($2)
          AND accepted_at IS NULL AND revoked_at IS NULL
        "#,
        acting.organization_id,
        email.as_str()
    )
    .execute(&mut *tx)
    .await
    .step("replacing the address's open invitation")?;
    if let Some(cap) = seats::cap(&mut *tx, acting.organization_id)
        .await
        .step("reading the plan's seat cap")?
    {
        let taken = member_count(&mut *tx, acting.organization_id)
            .await
            .step("counting the members")?
            + open_count(&mut *tx, acting.organization_id)
                .await
                .step("counting the open invitations")?;
        if taken >= cap {
            return Err(OrganizationError::SeatsFull(cap));
        }
    }
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    sqlx::query!(
        r#"
        INSERT INTO invitations (id, organization_id, email, role, token_hash, invited_by, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, now() + interval '7 days')
        "#,
        Uuid::new_v4(),
        acting.organization_id,
        email.as_str(),
        role.as_str(),
        digest(&token),
        actor.id,
    )
    .execute(&mut *tx)
    .await
    .step("recording the invitation")?;
    tx.commit().await.step("committing the invitation")?;
    let link = messages::link(&state.config.base_url, ACCEPT_PATH, &token);
    let inviter = actor
        .display_name
        .as_deref()
        .unwrap_or(actor.email.as_str());
    mail::send_in_background(
        state.mailer.clone(),
        mail::organizations::invitation(&email, &acting.name, inviter, &link),
    );
    tracing::info!("invitation sent");
    Ok(())
}

/// The open invitations (not accepted, revoked or expired), newest first.
pub async fn open(
    db: impl PgExecutor<'_>,
    organization_id: Uuid,
) -> Result<Vec<Invitation>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT id, email, role, expires_at FROM invitations
        WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
          AND expires_at > now()
        ORDER BY created_at DESC
        "#,
        organization_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(Invitation {
                id: row.id,
                email: row.email,
                role: OrgRole::parse(&row.role)?,
                expires_at: row.expires_at,
            })
        })
        .collect())
}

async fn open_count(db: impl PgExecutor<'_>, organization_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM invitations
        WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
          AND expires_at > now()
        "#,
        organization_id
    )
    .fetch_one(db)
    .await
}

/// Withdraws an open invitation (its link stops working).
pub async fn revoke(
    db: &sqlx::PgPool,
    acting: &Acting,
    invitation: Uuid,
) -> Result<(), OrganizationError> {
    acting.require_members_manager()?;
    let revoked = sqlx::query!(
        r#"
        UPDATE invitations SET revoked_at = now()
        WHERE id = $1 AND organization_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL
        "#,
        invitation,
        acting.organization_id
    )
    .execute(db)
    .await
    .step("revoking the invitation")?
    .rows_affected();
    if revoked == 0 {
        return Err(OrganizationError::NotFound);
    }
    Ok(())
}

/// What the link's page shows: whose invitation for which address, if it is still valid.
pub async fn peek(db: impl PgExecutor<'_>, token: &str) -> Result<Option<Invited>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT o.name, i.email, COALESCE(u.display_name, u.email) AS inviter
        FROM invitations i
        JOIN organizations o ON o.id = i.organization_id
        LEFT JOIN users u ON u.id = i.invited_by
        WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
          AND i.expires_at > now()
        "#,
        digest(token)
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| Invited {
        organization: row.name,
        email: row.email,
        inviter: row.inviter,
    }))
}

/// Accepts the invitation for `user`: they join with its role (already a member: their role is
/// kept), the link is spent, and the seats follow. Refused — and the link kept — when the
/// address is another account's or the plan's seats filled up meanwhile.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn accept(
    state: &AppState,
    user: &User,
    token: &str,
) -> Result<Acting, OrganizationError> {
    let mut tx = state.db.begin().await.step("starting the acceptance")?;
    let found = sqlx::query!(
        r#"
        SELECT id, organization_id, email, role FROM invitations
        WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL
          AND expires_at > now()
        "#,
        digest(token)
    )
    .fetch_optional(&mut *tx)
    .await
    .step("finding the invitation")?
    .ok_or(OrganizationError::InvitationInvalid)?;
    if !found.email.eq_ignore_ascii_case(user.email.as_str()) {
        return Err(OrganizationError::InvitationForSomeoneElse);
    }
    if !lock(&mut tx, found.organization_id)
        .await
        .step("locking the organization")?
    {
        return Err(OrganizationError::InvitationInvalid);
    }
    // Under the lock: a second tab accepting at once waits here and finds it spent.
    let spent = sqlx::query!(
        r#"
        UPDATE invitations SET accepted_at = now(), accepted_by = $2
        WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
        "#,
        found.id,
        user.id
    )
    .execute(&mut *tx)
    .await
    .step("spending the invitation")?
    .rows_affected();
    if spent == 0 {
        return Err(OrganizationError::InvitationInvalid);
    }
    let joined = sqlx::query!(
        r#"
        INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)
        ON CONFLICT (organization_id, user_id) DO NOTHING
        "#,
        found.organization_id,
        user.id,
        found.role
    )
    .execute(&mut *tx)
    .await
    .step("adding the member")?
    .rows_affected();
    if joined == 1 {
        if let Some(cap) = seats::cap(&mut *tx, found.organization_id)
            .await
            .step("reading the plan's seat cap")?
        {
            // This invitation was counted when it was sent; another path (a plan change)
            // may have lowered the cap since.
            if member_count(&mut *tx, found.organization_id)
                .await
                .step("counting the members")?
                > cap
            {
                return Err(OrganizationError::SeatsFull(cap));
            }
        }
        seats::request_sync(&mut tx, found.organization_id, state.config.seat_sync_delay)
            .await
            .step("asking for the seats to follow")?;
    }
    let acting = super::acting_for(&mut *tx, user.id, found.organization_id)
        .await
        .step("reading the new membership")?
        .ok_or(OrganizationError::InvitationInvalid)?;
    tx.commit().await.step("committing the acceptance")?;
    tracing::info!(organization_id = %acting.organization_id, "invitation accepted");
    Ok(acting)
}
