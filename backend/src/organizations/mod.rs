//! Organizations: teams that subscribe together, next to personal billing.
//!
//! A user creates an organization (becoming its owner), invites people by email
//! ([`invitations`]), and changes roles, removes members, leaves or deletes it ([`members`],
//! [`deletion`]). An organization always has an owner (a constraint checked at commit:
//! `memberships_one_owner`). Its billing account is its own: one Stripe customer named for the
//! organization, its subscription, invoices and entitlements. A session names the organization
//! its user acts for ([`acting_for`]); pages and server functions resolve it into a
//! [`crate::billing::payer::Payer`]. On a per-seat plan the subscription's quantity follows the
//! member count ([`seats`]).

pub mod deletion;
pub mod error;
pub mod invitations;
pub mod members;
pub mod seats;

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

pub use error::OrganizationError;

use crate::{auth::User, billing::Step};

/// A member's role (`memberships.role`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    /// Uses what the organization's plan grants.
    Member,
    /// Also invites and removes members.
    Admin,
    /// Also manages billing, ownership and deletion.
    Owner,
}

impl OrgRole {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    /// Parses a stored (or submitted) role.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "member" => Some(Self::Member),
            "admin" => Some(Self::Admin),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }

    /// Whether the role manages the organization's plan, invoices and portal.
    pub fn manages_billing(self) -> bool {
        self == Self::Owner
    }

    /// Whether the role invites and removes members.
    pub fn manages_members(self) -> bool {
        self >= Self::Admin
    }

    /// In words, for pages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Member => "Member",
            Self::Admin => "Admin",
            Self::Owner => "Owner",
        }
    }
}

/// The organization a user acts for, and their role in it (checked against the database on
/// every request, so a removed member stops acting for it at once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acting {
    pub organization_id: Uuid,
    pub name: String,
    pub role: OrgRole,
}

impl Acting {
    /// Refuses unless the role manages members.
    pub fn require_members_manager(&self) -> Result<(), OrganizationError> {
        if self.role.manages_members() {
            Ok(())
        } else {
            Err(OrganizationError::Forbidden("owners and admins"))
        }
    }

    /// Refuses unless the role is owner.
    pub fn require_owner(&self) -> Result<(), OrganizationError> {
        if self.role == OrgRole::Owner {
            Ok(())
        } else {
            Err(OrganizationError::Forbidden("owners"))
        }
    }
}

/// The session key naming the organization the user acts for.
pub const SESSION_KEY: &str = "acting_for";

/// Creates an organization with `user` as its owner.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn create(
    db: &sqlx::PgPool,
    user: &User,
    name: &str,
) -> Result<Acting, OrganizationError> {
    let name = name.trim();
    let id = Uuid::new_v4();
    let mut tx = db
        .begin()
        .await
        .step("starting the transaction creating the organization")?;
    sqlx::query!(
        "INSERT INTO organizations (id, name, created_by) VALUES ($1, $2, $3)",
        id,
        name,
        user.id
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| OrganizationError::from_db(e, "creating the organization"))?;
    sqlx::query!(
        "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'owner')",
        id,
        user.id
    )
    .execute(&mut *tx)
    .await
    .step("making the creator its owner")?;
    tx.commit().await.step("committing the new organization")?;
    tracing::info!(organization_id = %id, "organization created");
    Ok(Acting {
        organization_id: id,
        name: name.to_owned(),
        role: OrgRole::Owner,
    })
}

/// `user`'s membership of `organization_id`, if they are a member.
pub async fn acting_for(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    organization_id: Uuid,
) -> Result<Option<Acting>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT o.id, o.name, m.role
        FROM memberships m JOIN organizations o ON o.id = m.organization_id
        WHERE m.user_id = $1 AND m.organization_id = $2
        "#,
        user_id,
        organization_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|row| {
        Some(Acting {
            organization_id: row.id,
            name: row.name,
            role: OrgRole::parse(&row.role)?,
        })
    }))
}

/// The organizations `user_id` belongs to, by name.
pub async fn of_user(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Vec<Acting>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT o.id, o.name, m.role
        FROM memberships m JOIN organizations o ON o.id = m.organization_id
        WHERE m.user_id = $1
        ORDER BY lower(o.name), o.id
        "#,
        user_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(Acting {
                organization_id: row.id,
                name: row.name,
                role: OrgRole::parse(&row.role)?,
            })
        })
        .collect())
}

/// How many members the organization has (the seats a per-seat plan bills).
pub async fn member_count(
    db: impl PgExecutor<'_>,
    organization_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM memberships WHERE organization_id = $1"#,
        organization_id
    )
    .fetch_one(db)
    .await
}

/// Locks the organization's row for a change of membership (ordering invitations accepted at
/// once against the seat cap, and removals against the last-owner rule).
pub(crate) async fn lock(
    conn: &mut PgConnection,
    organization_id: Uuid,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM organizations WHERE id = $1 FOR UPDATE",
        organization_id
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}
