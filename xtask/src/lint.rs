//! Clippy inside the real build. `cargo clippy` is `cargo check` with clippy-driver as the rustc
//! of the workspace's own crates; running the test and WASM builds that way lints every crate
//! they compile while compiling it, so the dependencies are compiled once (for the build) instead
//! of twice (once more in check mode, which cannot share the build's artifacts).

use std::{path::PathBuf, process::Command};

use anyhow::{Context, Result};

use crate::step;

/// Whether a build also runs clippy on the workspace's crates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lint {
    /// A plain build (`cargo xtask dev`).
    Off,
    /// Clippy's lints on every crate the command names, warnings refused (`cargo xtask test`).
    DenyWarnings,
}

/// Separates arguments in `CLIPPY_ARGS` (what `cargo clippy -- …` passes to clippy-driver).
const CLIPPY_ARGS_SEPARATOR: &str = "__CLIPPY_HACKERY__";

impl Lint {
    /// Adds clippy-driver to `command` (a cargo build) when linting.
    pub fn apply(self, command: &mut Command) -> Result<&mut Command> {
        if self == Self::Off {
            return Ok(command);
        }
        let args: String = ["-D", "warnings"]
            .iter()
            .map(|arg| format!("{arg}{CLIPPY_ARGS_SEPARATOR}"))
            .collect();
        Ok(command
            .env("RUSTC_WORKSPACE_WRAPPER", clippy_driver()?)
            .env("CLIPPY_ARGS", args))
    }
}

/// The toolchain's clippy-driver (beside `cargo-clippy`, from rustup's clippy component).
fn clippy_driver() -> Result<PathBuf> {
    let path = step::output(Command::new("rustup").args(["which", "clippy-driver"]))
        .map(|out| PathBuf::from(out.trim()))
        .filter(|path| path.exists())
        .context("clippy-driver not found: `rustup component add clippy`")?;
    Ok(path)
}
