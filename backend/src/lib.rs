//! Tollgate's server-only domain layer. Nothing here is ever compiled for the browser.
//!
//! - [`config`]: the typed configuration, read once from the environment.
//! - [`db`]: the Postgres pool, the embedded migrations and health probes.
//! - [`state`]: [`AppState`], handed to every handler and server function.
//! - [`error`]: this layer's error enum.

pub mod config;
pub mod db;
pub mod error;
pub mod state;

pub use config::Config;
pub use error::Error;
pub use state::AppState;
