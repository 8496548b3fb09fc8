//! `cargo xtask release`: the production build — server at `opt-level = 3`, the WASM bundle with
//! the `wasm-release` size profile and `wasm-opt`, content-hashed asset names, and `.br`/`.gz`
//! copies of every asset.

use std::path::Path;

use anyhow::Result;

use crate::{
    step::{self, cargo, note, step},
    tools::{self, Needs},
};

pub fn run(root: &Path) -> Result<()> {
    tools::ensure(root, Needs::Release)?;
    build(root)?;
    note("ship target/release/server, target/release/hash.txt (beside it) and target/site/");
    Ok(())
}

/// The release build itself (the tools are there): `target/release/server` and `target/site/`.
pub fn build(root: &Path) -> Result<()> {
    let path = tools::path_with_npm_bins(root)?;
    step("cargo leptos build --release --precompress", || {
        step::run(
            cargo(root)
                .args([
                    "leptos",
                    "build",
                    "--release",
                    "--precompress",
                    "--cargo-locked",
                ])
                // Release builds use neither the dev flags nor a dev-only name override.
                .env_remove("RUSTFLAGS")
                .env("LEPTOS_HASH_FILES", "true")
                .env("PATH", path),
        )
    })
}
