//! Where sessions are kept: table `tower_sessions.session`, as tower-sessions' `PostgresStore`
//! encodes it, except that loading a session loads its account in the same statement, and that
//! saving a session never brings back a row that is gone.
//!
//! A signed-in session's row names its account (`user_id`, taken from the session's data each
//! time the row is written). [`SessionStore::load`] joins `users` on it and hands the account,
//! as it is now, to [`super::session::current_user`] inside the loaded record, under a key that
//! is never stored ([`account_loaded_with`]): a signed-in request needs no second round trip for
//! its user, and a "sign out everywhere" or a deletion on any replica counts from the next
//! request.
//!
//! tower-sessions calls `create` for a session without a stored row (new, or its id just
//! cycled) and `save` for one the request loaded from its row. `PostgresStore::save` is an
//! upsert: a request that loaded the session before a sign-out elsewhere, and renews it after
//! ([`super::session`]'s keep-alive), would insert the deleted row again, and the signed-out
//! cookie would work again. Here `save` only updates a row that still exists and has not
//! expired; `delete` and the clean-up of expired rows are `PostgresStore`'s.

use std::borrow::Cow;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store, ExpiredDeletion, Session,
};
use tower_sessions_sqlx_store::PostgresStore;
use uuid::Uuid;

use super::{session, users::Role, EmailAddress, User};

/// The record key [`SessionStore::load`] puts the session's account under (`null` when the
/// account is gone); removed before the record is written.
const ACCOUNT: &str = "account_loaded_with_session";

/// The session store the session layer and the clean-up task use.
#[derive(Clone, Debug)]
pub struct SessionStore {
    postgres: PostgresStore,
    db: PgPool,
}

impl SessionStore {
    /// Sessions in `tower_sessions.session` (created by the migrations, where `PostgresStore`
    /// looks by default).
    pub fn new(db: PgPool) -> Self {
        Self {
            postgres: PostgresStore::new(db.clone()),
            db,
        }
    }
}

/// The account a session's row names, as [`SessionStore::load`] found it with the session.
pub(super) enum LoadedAccount {
    /// The row names none: an anonymous session, or one last written before rows named their
    /// account.
    Unnamed,
    /// The account, or `None` when it no longer exists.
    Named(Option<User>),
}

/// The account loaded with `session` (see [`LoadedAccount`]).
pub(super) async fn account_loaded_with(
    session: &Session,
) -> Result<LoadedAccount, tower_sessions::session::Error> {
    Ok(match session.get::<Option<Account>>(ACCOUNT).await? {
        None => LoadedAccount::Unnamed,
        Some(account) => LoadedAccount::Named(account.map(Account::into_user)),
    })
}

/// A [`User`] as it travels inside the loaded record.
#[derive(Serialize, Deserialize)]
struct Account {
    id: Uuid,
    email: String,
    display_name: Option<String>,
    session_epoch: i32,
    email_verified: bool,
    #[serde(default)]
    role: Role,
    /// The organizations the account belongs to, loaded in the same statement.
    #[serde(default)]
    organizations: Vec<LoadedMembership>,
}

/// One of the account's memberships, as the load statement returns it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LoadedMembership {
    organization_id: Uuid,
    name: String,
    role: String,
}

/// The organizations the account loaded with `session` belongs to (`None` when the session's
/// row names no account, and they must be looked up).
pub async fn memberships_loaded_with(
    session: &Session,
) -> Result<Option<Vec<crate::organizations::Acting>>, tower_sessions::session::Error> {
    Ok(session
        .get::<Option<Account>>(ACCOUNT)
        .await?
        .flatten()
        .map(|account| {
            account
                .organizations
                .into_iter()
                .filter_map(|membership| {
                    Some(crate::organizations::Acting {
                        organization_id: membership.organization_id,
                        name: membership.name,
                        role: crate::organizations::OrgRole::parse(&membership.role)?,
                    })
                })
                .collect()
        }))
}

impl Account {
    fn into_user(self) -> User {
        User {
            id: self.id,
            email: EmailAddress::from_stored(self.email),
            display_name: self.display_name,
            session_epoch: self.session_epoch,
            email_verified: self.email_verified,
            role: self.role,
        }
    }
}

/// The row's `data` (as `PostgresStore` encodes it, without the loaded account) and `user_id`.
fn encode(record: &Record) -> session_store::Result<(Vec<u8>, Option<Uuid>)> {
    let record = if record.data.contains_key(ACCOUNT) {
        let mut stored = record.clone();
        stored.data.remove(ACCOUNT);
        Cow::Owned(stored)
    } else {
        Cow::Borrowed(record)
    };
    let data = rmp_serde::to_vec(record.as_ref())
        .map_err(|error| session_store::Error::Encode(error.to_string()))?;
    Ok((data, session::user_id_in(&record.data)))
}

fn backend_error(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait]
impl tower_sessions::SessionStore for SessionStore {
    /// Inserts the row, under a fresh id should the record's be taken.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let (data, user_id) = encode(record)?;
            let inserted = sqlx::query!(
                r#"
                INSERT INTO tower_sessions.session (id, data, expiry_date, user_id)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (id) DO NOTHING
                "#,
                record.id.to_string(),
                data,
                record.expiry_date,
                user_id,
            )
            .execute(&self.db)
            .await
            .map_err(backend_error)?
            .rows_affected();
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates the session's row if it is still there and unexpired. If not, the session ended
    /// while this request ran (signed out, id cycled, expired): it stays ended, and nothing is
    /// stored.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (data, user_id) = encode(record)?;
        let updated = sqlx::query!(
            r#"
            UPDATE tower_sessions.session
            SET data = $2, expiry_date = $3, user_id = $4
            WHERE id = $1 AND expiry_date > $5
            "#,
            record.id.to_string(),
            data,
            record.expiry_date,
            user_id,
            OffsetDateTime::now_utc(),
        )
        .execute(&self.db)
        .await
        .map_err(backend_error)?
        .rows_affected();
        if updated == 0 {
            tracing::info!("a session ended while a request using it ran; it stays ended");
        }
        Ok(())
    }

    /// The unexpired row and, if it names one, its account as it is now: one statement.
    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = sqlx::query!(
            r#"
            SELECT s.data, s.user_id, u.id AS "account_id?", u.email AS "email?",
                   u.display_name, u.session_epoch AS "session_epoch?",
                   u.email_verified_at IS NOT NULL AS "email_verified!", u.role AS "role?",
                   COALESCE((
                       SELECT json_agg(json_build_object(
                           'organization_id', o.id, 'name', o.name, 'role', m.role)
                           ORDER BY lower(o.name), o.id)
                       FROM memberships m JOIN organizations o ON o.id = m.organization_id
                       WHERE m.user_id = u.id
                   ), '[]') AS "organizations!: sqlx::types::Json<Vec<LoadedMembership>>"
            FROM tower_sessions.session s
            LEFT JOIN users u ON u.id = s.user_id
            WHERE s.id = $1 AND s.expiry_date > $2
            "#,
            session_id.to_string(),
            OffsetDateTime::now_utc(),
        )
        .fetch_optional(&self.db)
        .await
        .map_err(backend_error)?
        else {
            return Ok(None);
        };
        let mut record: Record = rmp_serde::from_slice(&row.data)
            .map_err(|error| session_store::Error::Decode(error.to_string()))?;
        if row.user_id.is_some() {
            let account = match (row.account_id, row.email, row.session_epoch) {
                (Some(id), Some(email), Some(session_epoch)) => Some(Account {
                    id,
                    email,
                    display_name: row.display_name,
                    session_epoch,
                    email_verified: row.email_verified,
                    role: row
                        .role
                        .as_deref()
                        .map(Role::from_stored)
                        .unwrap_or_default(),
                    organizations: row.organizations.0,
                }),
                _ => None,
            };
            let account = serde_json::to_value(account)
                .map_err(|error| session_store::Error::Encode(error.to_string()))?;
            record.data.insert(ACCOUNT.to_owned(), account);
        }
        Ok(Some(record))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.postgres.delete(session_id).await
    }
}

#[async_trait]
impl ExpiredDeletion for SessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.postgres.delete_expired().await
    }
}
