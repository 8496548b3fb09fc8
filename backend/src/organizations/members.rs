//! Members of an organization: listing them, changing a role, removing someone, leaving, and
//! handing ownership over. Every change that alters the member count asks for the seats to follow
//! ([`super::seats::request_sync`]) in the same transaction.

use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{lock, seats, Acting, OrgRole, OrganizationError};
use crate::{
    auth::{EmailAddress, User},
    billing::Step,
    AppState,
};

/// One member, for the members page.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: Uuid,
    pub email: EmailAddress,
    pub display_name: Option<String>,
    pub role: OrgRole,
    pub joined_at: OffsetDateTime,
}

/// The organization's members, owners first.
pub async fn list(
    db: impl PgExecutor<'_>,
    organization_id: Uuid,
) -> Result<Vec<Member>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT u.id, u.email, u.display_name, m.role, m.joined_at
        FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.organization_id = $1
        ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, m.joined_at, u.id
        "#,
        organization_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(Member {
                user_id: row.id,
                email: EmailAddress::from_stored(row.email),
                display_name: row.display_name,
                role: OrgRole::parse(&row.role)?,
                joined_at: row.joined_at,
            })
        })
        .collect())
}

/// Gives `member` the role `role`. Owners change any role (making someone owner shares
/// ownership; an owner stepping down needs another owner); admins only between member and admin,
/// and never an owner's.
#[tracing::instrument(skip_all, fields(organization_id = %acting.organization_id, member = %member))]
pub async fn set_role(
    db: &sqlx::PgPool,
    acting: &Acting,
    member: Uuid,
    role: OrgRole,
) -> Result<(), OrganizationError> {
    acting.require_members_manager()?;
    let (mut tx, current) = begin_on(db, acting, member, "starting the role change").await?;
    if acting.role != OrgRole::Owner && (current == OrgRole::Owner || role == OrgRole::Owner) {
        return Err(OrganizationError::Forbidden("owners"));
    }
    sqlx::query!(
        "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2",
        acting.organization_id,
        member,
        role.as_str()
    )
    .execute(&mut *tx)
    .await
    .step("changing the role")?;
    tx.commit()
        .await
        .map_err(|e| OrganizationError::from_db(e, "committing the role change"))?;
    Ok(())
}

/// Hands ownership to `member`: they become owner, the acting owner becomes admin.
#[tracing::instrument(skip_all, fields(organization_id = %acting.organization_id, member = %member))]
pub async fn transfer_ownership(
    db: &sqlx::PgPool,
    acting: &Acting,
    actor: &User,
    member: Uuid,
) -> Result<(), OrganizationError> {
    acting.require_owner()?;
    let (mut tx, _) = begin_on(db, acting, member, "starting the ownership transfer").await?;
    sqlx::query!(
        r#"
        UPDATE memberships SET role = CASE WHEN user_id = $2 THEN 'owner' ELSE 'admin' END
        WHERE organization_id = $1 AND user_id IN ($2, $3)
        "#,
        acting.organization_id,
        member,
        actor.id
    )
    .execute(&mut *tx)
    .await
    .step("moving ownership")?;
    tx.commit()
        .await
        .map_err(|e| OrganizationError::from_db(e, "committing the ownership transfer"))?;
    tracing::info!("ownership transferred");
    Ok(())
}

/// Removes `member` (an admin may not remove an owner). Leaving is removing oneself, which any
/// member may do — except the last owner.
#[tracing::instrument(skip_all, fields(organization_id = %acting.organization_id, member = %member))]
pub async fn remove(
    state: &AppState,
    acting: &Acting,
    actor: &User,
    member: Uuid,
) -> Result<(), OrganizationError> {
    if member != actor.id {
        acting.require_members_manager()?;
    }
    let (mut tx, current) = begin_on(&state.db, acting, member, "starting the removal").await?;
    if member != actor.id && current == OrgRole::Owner && acting.role != OrgRole::Owner {
        return Err(OrganizationError::Forbidden("owners"));
    }
    sqlx::query!(
        "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2",
        acting.organization_id,
        member
    )
    .execute(&mut *tx)
    .await
    .step("removing the member")?;
    seats::request_sync(
        &mut tx,
        acting.organization_id,
        state.config.seat_sync_delay,
    )
    .await
    .step("asking for the seats to follow")?;
    tx.commit()
        .await
        .map_err(|e| OrganizationError::from_db(e, "committing the removal"))?;
    tracing::info!("member removed");
    Ok(())
}

/// The organizations `user_id` is the only owner of (account deletion waits until each has
/// another owner or is deleted).
pub async fn solely_owned_by(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT o.name
        FROM memberships m JOIN organizations o ON o.id = m.organization_id
        WHERE m.user_id = $1 AND m.role = 'owner'
          AND NOT EXISTS (SELECT 1 FROM memberships other
                          WHERE other.organization_id = m.organization_id
                            AND other.role = 'owner' AND other.user_id <> $1)
        ORDER BY o.name
        "#,
        user_id
    )
    .fetch_all(db)
    .await
}

/// Starts the change `what` of `member`: a transaction holding the organization's row, and the
/// member's role (not found when they are not a member, or the organization is gone).
async fn begin_on(
    db: &sqlx::PgPool,
    acting: &Acting,
    member: Uuid,
    what: &'static str,
) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, OrgRole), OrganizationError> {
    let mut tx = db.begin().await.step(what)?;
    if !lock(&mut tx, acting.organization_id)
        .await
        .step("locking the organization")?
    {
        return Err(OrganizationError::NotFound);
    }
    let role = role_of(&mut *tx, acting.organization_id, member)
        .await
        .step("reading the member's role")?
        .ok_or(OrganizationError::NotFound)?;
    Ok((tx, role))
}

async fn role_of(
    db: impl PgExecutor<'_>,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<Option<OrgRole>, sqlx::Error> {
    let role = sqlx::query_scalar!(
        "SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2",
        organization_id,
        user_id
    )
    .fetch_optional(db)
    .await?;
    Ok(role.as_deref().and_then(OrgRole::parse))
}
