//! The Postgres pool, the migrations embedded from `migrations/`, and health probes.

use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::{postgres::PgPoolOptions, PgPool};

use crate::{Config, Error};

/// The SQL migrations in `/migrations`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Builds the connection pool. Connections are opened lazily, so start-up does not wait on
/// the database; [`ping`] is what tells whether it is reachable.
pub fn pool(config: &Config) -> Result<PgPool, Error> {
    Ok(PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy(config.database_url.expose_secret())?)
}

/// Applies every pending migration.
pub async fn migrate(pool: &PgPool) -> Result<(), Error> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Checks that the database answers a trivial query.
pub async fn ping(pool: &PgPool) -> Result<(), Error> {
    sqlx::query_scalar!(r#"SELECT 1 AS "one!""#)
        .fetch_one(pool)
        .await?;
    Ok(())
}
