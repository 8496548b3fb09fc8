//! The axum server around the Leptos app.
//!
//! - [`cli`]: the subcommands (`serve`, `migrate`).
//! - [`startup`]: builds the router and binds it; tests call it with port 0.
//! - [`telemetry`]: logging and request spans.
//! - [`health`]: `/healthz` and `/readyz`.
//! - [`assets`]: the compiled WASM/JS/CSS, precompressed and cached for a year.

pub mod assets;
pub mod cli;
pub mod health;
pub mod startup;
pub mod telemetry;
