//! `cargo xtask contract`: `server stripe contract` — the check that Stripe behaves as Tollgate
//! expects — against the emulator on a free port, or against real Stripe when `STRIPE_SECRET_KEY`
//! in the environment holds a test-mode key (`sk_test_…`; `STRIPE_API_BASE` defaults to
//! `https://api.stripe.com`). `cargo xtask test` runs it too, after its build.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{bail, Context, Result};

use crate::{
    process::{wait_until_listening, Server},
    step::{self, cargo, note, step, Tally},
};

/// The key the server uses with the emulator (which accepts any `sk_test_` key).
const EMULATOR_KEY: &str = "sk_test_tollgate_contract";

/// Said whenever the real-Stripe run does not happen.
const SKIPPED: &str =
    "contract against real Stripe: skipped (set STRIPE_SECRET_KEY=sk_test_… to run it)";

/// `cargo xtask contract`: builds the server and the emulator, then runs the contract against
/// real Stripe if a test key is given, else against the emulator.
pub fn run(root: &Path) -> Result<()> {
    let real = real_stripe_key()?;
    step("cargo build (the server and the Stripe emulator)", || {
        step::run(cargo(root).args([
            "build",
            "--package",
            "server",
            "--package",
            "stripe-emulator",
            "--bins",
        ]))
    })?;
    let mut tally = Tally::default();
    let result = match real {
        Some(key) => against_real_stripe(root, &key, &mut tally),
        None => {
            let result = against_emulator(root, &mut tally);
            println!("\n{SKIPPED}");
            result
        }
    };
    println!(
        "\ncontract steps: {} passed, {} failed",
        tally.passed, tally.failed
    );
    result
}

/// The steps of `cargo xtask test` (the binaries are built): the emulator always, real Stripe
/// when a test key is given.
pub fn checks(root: &Path, tally: &mut Tally) -> Result<()> {
    let real = real_stripe_key()?;
    against_emulator(root, tally)?;
    match real {
        Some(key) => against_real_stripe(root, &key, tally),
        None => {
            note(SKIPPED);
            Ok(())
        }
    }
}

/// `STRIPE_SECRET_KEY` from the environment, if it is set: a test key, or a clear refusal.
fn real_stripe_key() -> Result<Option<String>> {
    let Some(key) = std::env::var("STRIPE_SECRET_KEY")
        .ok()
        .map(|key| key.trim().to_owned())
        .filter(|key| !key.is_empty())
    else {
        return Ok(None);
    };
    if key.starts_with("sk_live_") || key.starts_with("rk_live_") {
        bail!(
            "STRIPE_SECRET_KEY is a live-mode key: the contract creates customers and charges \
             cards, which with a live key is real money. Set a test-mode key (sk_test_…), or \
             unset it to run against the emulator"
        );
    }
    if !key.starts_with("sk_test_") {
        bail!("STRIPE_SECRET_KEY must be a test-mode secret key (sk_test_…) to run the contract against real Stripe, or unset to run it against the emulator");
    }
    Ok(Some(key))
}

fn against_emulator(root: &Path, tally: &mut Tally) -> Result<()> {
    let port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
    let url = format!("http://127.0.0.1:{port}");
    let emulator = step(&format!("Starting the Stripe emulator on {url}"), || {
        let bin = binary(root, "stripe-emulator");
        let child = Command::new(&bin)
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut emulator = Server(child);
        wait_until_listening(&mut emulator.0, port)?;
        Ok(emulator)
    })?;
    let result = step("Stripe contract against the emulator", || {
        contract(root, tally, &url, EMULATOR_KEY)
    });
    drop(emulator);
    result
}

fn against_real_stripe(root: &Path, key: &str, tally: &mut Tally) -> Result<()> {
    let api_base =
        std::env::var("STRIPE_API_BASE").unwrap_or_else(|_| "https://api.stripe.com".to_owned());
    step(&format!("Stripe contract against {api_base}"), || {
        contract(root, tally, &api_base, key)
    })
}

/// `server stripe contract` against `api_base`, each step's line echoed and counted.
fn contract(root: &Path, tally: &mut Tally, api_base: &str, key: &str) -> Result<()> {
    tally.run(
        Command::new(binary(root, "server"))
            .args(["stripe", "contract"])
            .current_dir(root)
            .env("STRIPE_API_BASE", api_base)
            .env("STRIPE_SECRET_KEY", key)
            .env("RUST_LOG", "warn"),
        step_counts,
    )
}

/// `ok   …` passed, `FAIL …` failed (the contract's step lines).
fn step_counts(line: &str) -> Option<(u64, u64)> {
    if line.starts_with("ok   ") {
        Some((1, 0))
    } else if line.starts_with("FAIL ") {
        Some((0, 1))
    } else {
        None
    }
}

/// A debug binary of the workspace, in `CARGO_TARGET_DIR` when that is set.
fn binary(root: &Path, name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| root.join("target"));
    target.join("debug").join(name)
}

#[cfg(test)]
mod tests {
    use super::step_counts;

    #[test]
    fn the_contracts_step_lines_are_counted_and_the_rest_is_not() {
        assert_eq!(step_counts("ok   seed a catalog"), Some((1, 0)));
        assert_eq!(
            step_counts("FAIL resume a paused trial: Stripe answered 400"),
            Some((0, 1))
        );
        assert_eq!(step_counts("Checking that the Stripe account…"), None);
    }
}
