//! The state every handler and server function receives.

use std::sync::Arc;

use sqlx::PgPool;

use crate::Config;

/// Shared application state: cheap to clone, passed explicitly (never a global).
#[derive(Clone, Debug)]
pub struct AppState {
    /// The Postgres connection pool.
    pub db: PgPool,
    /// The configuration read at start-up.
    pub config: Arc<Config>,
}
