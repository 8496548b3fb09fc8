//! The backend's error enum. The HTTP layer maps each variant to a status; see the variant docs.

/// Everything the backend can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database could not be reached or a query failed. HTTP 503 on health checks, else 500.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Applying migrations failed. Only seen at start-up and by `server migrate`.
    #[error("could not apply database migrations")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
