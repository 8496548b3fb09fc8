//! The `users` table. Queries take an executor; the calling service owns the transaction.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{EmailAddress, PasswordHash};

/// An account, as the rest of the application sees it: no password hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: EmailAddress,
    pub display_name: Option<String>,
    /// The session generation; sessions created under an older one are no longer valid.
    pub session_epoch: i32,
    /// Whether the address has been confirmed by a mailed link (`email_verified_at` is set).
    pub email_verified: bool,
    /// Whether the account may open the operator console.
    pub role: Role,
}

/// What an account may do beyond its own billing (`users.role`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A customer of the product.
    #[default]
    Member,
    /// An operator of the business: opens `/admin`.
    Admin,
}

impl Role {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
        }
    }

    /// The stored value read back (the column's CHECK admits only these two).
    pub fn from_stored(value: &str) -> Self {
        match value {
            "admin" => Self::Admin,
            _ => Self::Member,
        }
    }
}

pub(crate) async fn insert(
    db: impl PgExecutor<'_>,
    email: &EmailAddress,
    display_name: Option<&str>,
    hash: &PasswordHash,
) -> Result<User, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        INSERT INTO users (id, email, display_name, password_hash)
        VALUES ($1, $2, $3, $4)
        RETURNING id, email, display_name, session_epoch,
                  email_verified_at IS NOT NULL AS "email_verified!", role
        "#,
        Uuid::new_v4(),
        email.as_str(),
        display_name,
        hash.as_phc(),
    )
    .fetch_one(db)
    .await?;
    Ok(User {
        id: row.id,
        email: EmailAddress::from_stored(row.email),
        display_name: row.display_name,
        session_epoch: row.session_epoch,
        email_verified: row.email_verified,
        role: Role::from_stored(&row.role),
    })
}

/// The account with this email and its password hash.
pub(crate) async fn find_by_email(
    db: impl PgExecutor<'_>,
    email: &EmailAddress,
) -> Result<Option<(User, PasswordHash)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT id, email, display_name, session_epoch, password_hash,
               email_verified_at IS NOT NULL AS "email_verified!", role
        FROM users
        WHERE email = $1
        "#,
        email.as_str(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| {
        (
            User {
                id: row.id,
                email: EmailAddress::from_stored(row.email),
                display_name: row.display_name,
                session_epoch: row.session_epoch,
                email_verified: row.email_verified,
                role: Role::from_stored(&row.role),
            },
            PasswordHash::from_stored(row.password_hash),
        )
    }))
}

pub(crate) async fn find_by_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT id, email, display_name, session_epoch,
               email_verified_at IS NOT NULL AS "email_verified!", role
        FROM users WHERE id = $1
        "#,
        id,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| User {
        id: row.id,
        email: EmailAddress::from_stored(row.email),
        display_name: row.display_name,
        session_epoch: row.session_epoch,
        email_verified: row.email_verified,
        role: Role::from_stored(&row.role),
    }))
}

/// The account's password hash, locking the row until the transaction ends (for the
/// check-then-change of password changes and deletion).
pub(crate) async fn password_hash_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<PasswordHash>, sqlx::Error> {
    let hash = sqlx::query_scalar!(
        r#"SELECT password_hash FROM users WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(hash.map(PasswordHash::from_stored))
}

pub(crate) async fn set_display_name(
    db: impl PgExecutor<'_>,
    id: Uuid,
    display_name: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE users SET display_name = $2 WHERE id = $1"#,
        id,
        display_name
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Sets the account's address, confirmed (it was changed by following a link mailed to it).
pub(crate) async fn set_email(
    db: impl PgExecutor<'_>,
    id: Uuid,
    email: &EmailAddress,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE users SET email = $2, email_verified_at = now() WHERE id = $1"#,
        id,
        email.as_str()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whether the account's current address has been confirmed by a mailed link.
pub(crate) async fn email_verified(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    let verified = sqlx::query_scalar!(
        r#"SELECT email_verified_at IS NOT NULL AS "verified!" FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(verified.unwrap_or(false))
}

/// Marks `email` confirmed, if it is still the account's address (a link mailed to an address
/// the account has since left confirms nothing). Whether it was.
pub(crate) async fn set_email_verified(
    db: impl PgExecutor<'_>,
    id: Uuid,
    email: &EmailAddress,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query!(
        r#"
        UPDATE users SET email_verified_at = COALESCE(email_verified_at, now())
        WHERE id = $1 AND email = $2
        "#,
        id,
        email.as_str()
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Stores a new password hash and starts a new session epoch, ending every existing session.
/// Returns the new epoch.
pub(crate) async fn set_password_and_end_sessions(
    db: impl PgExecutor<'_>,
    id: Uuid,
    hash: &PasswordHash,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1
        WHERE id = $1
        RETURNING session_epoch
        "#,
        id,
        hash.as_phc()
    )
    .fetch_one(db)
    .await
}

/// Starts a new session epoch, ending every existing session of the account.
pub(crate) async fn end_sessions(db: impl PgExecutor<'_>, id: Uuid) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar!(
        r#"UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch"#,
        id
    )
    .fetch_one(db)
    .await
}

/// Deletes the account; its tokens go with it (`ON DELETE CASCADE`).
pub(crate) async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(r#"DELETE FROM users WHERE id = $1"#, id)
        .execute(db)
        .await?;
    Ok(())
}

/// Gives the account with `email` the role; its id, `None` if there is no such account.
pub(crate) async fn set_role(
    db: impl PgExecutor<'_>,
    email: &EmailAddress,
    role: Role,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"UPDATE users SET role = $2 WHERE email = $1 RETURNING id"#,
        email.as_str(),
        role.as_str()
    )
    .fetch_optional(db)
    .await
}

/// Makes the earliest account an admin if no account is one yet (development only); the
/// address of the account made an admin, if any was.
pub(crate) async fn make_first_admin(
    db: impl PgExecutor<'_>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        UPDATE users SET role = 'admin'
        WHERE id = (SELECT id FROM users ORDER BY created_at, id LIMIT 1)
          AND NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin')
        RETURNING email
        "#
    )
    .fetch_optional(db)
    .await
}
