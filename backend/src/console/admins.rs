//! Who is an admin: `server admin grant EMAIL` / `server admin revoke EMAIL`. (In development the
//! first account to sign up is one: `auth::signin` with `FIRST_ACCOUNT_ADMIN`.)

use anyhow::Context;
use sqlx::PgPool;

use crate::auth::{users, EmailAddress, Role};

/// What a grant or a revoke found.
#[derive(Debug, PartialEq, Eq)]
pub enum RoleChange {
    /// The account now has the role.
    Set,
    /// There is no account with that address.
    NoSuchAccount,
}

/// Gives the account with `email` the role (`admin` opens `/admin` from its next request).
pub async fn set_role(db: &PgPool, email: &str, role: Role) -> anyhow::Result<RoleChange> {
    let email = EmailAddress::parse(email, "email")
        .map_err(|error| anyhow::anyhow!("{email:?} is not an email address: {error}"))?;
    let changed = users::set_role(db, &email, role)
        .await
        .context("storing the account's role")?;
    Ok(match changed {
        Some(_) => RoleChange::Set,
        None => RoleChange::NoSuchAccount,
    })
}
