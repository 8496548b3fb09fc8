//! Where sessions are kept: tower-sessions' `PostgresStore` (table `tower_sessions.session`),
//! except that saving a session never brings back a row that is gone.
//!
//! tower-sessions calls `create` for a session without a stored row (new, or its id just
//! cycled) and `save` for one the request loaded from its row. `PostgresStore::save` is an
//! upsert: a request that loaded the session before a sign-out elsewhere, and renews it after
//! ([`super::session`]'s keep-alive), would insert the deleted row again, and the signed-out
//! cookie would work again. Here `save` only updates a row that still exists and has not
//! expired; `create`, `load` and `delete` are `PostgresStore`'s.

use async_trait::async_trait;
use sqlx::PgPool;
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store, ExpiredDeletion,
};
use tower_sessions_sqlx_store::PostgresStore;

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

#[async_trait]
impl tower_sessions::SessionStore for SessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.postgres.create(record).await
    }

    /// Updates the session's row if it is still there and unexpired. If not, the session ended
    /// while this request ran (signed out, id cycled, expired): it stays ended, and nothing is
    /// stored.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // As `PostgresStore` encodes it, so that its `load` reads it.
        let data = rmp_serde::to_vec(record)
            .map_err(|error| session_store::Error::Encode(error.to_string()))?;
        let updated = sqlx::query(
            r#"
            UPDATE tower_sessions.session
            SET data = $2, expiry_date = $3
            WHERE id = $1 AND expiry_date > $4
            "#,
        )
        .bind(record.id.to_string())
        .bind(data)
        .bind(record.expiry_date)
        .bind(OffsetDateTime::now_utc())
        .execute(&self.db)
        .await
        .map_err(|error| session_store::Error::Backend(error.to_string()))?
        .rows_affected();
        if updated == 0 {
            tracing::info!("a session ended while a request using it ran; it stays ended");
        }
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        self.postgres.load(session_id).await
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
