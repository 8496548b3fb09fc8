//! The backend's infrastructure error enum. The HTTP layer maps each variant to a status; see the
//! variant docs. Account operations have their own enum, [`crate::auth::AuthError`].

/// Everything the backend's plumbing can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database could not be reached or a query failed. HTTP 503 on health checks, else 500.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Applying migrations failed. Only seen at start-up and by `server migrate`.
    #[error("could not apply database migrations")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The mailer could not be set up (a malformed `SMTP_URL`). Start-up only.
    #[error("could not set up outgoing mail")]
    Mail(#[from] crate::mail::MailError),
}
