//! `cargo xtask test` (every check CI runs) and `cargo xtask prepare` (refresh `.sqlx/`).

use std::{path::Path, process::Command};

use anyhow::Result;

use crate::{
    e2e,
    postgres::Postgres,
    step::{self, cargo, note, step, Tally},
    tools::{self, Needs},
};

/// The migrated database sqlx-cli checks the offline data against.
const SQLX_DATABASE: &str = "tollgate_sqlx";
/// Integration tests create one database each, named with this prefix
/// (`server/tests/api/helpers.rs`); leftovers are dropped before each run.
const TEST_DATABASE_PREFIX: &str = "test_";

pub fn run(root: &Path) -> Result<()> {
    let chromium = tools::ensure(root, Needs::Test)?.expect("Needs::Test yields a browser");
    let pg = step("Starting the local PostgreSQL cluster", || {
        Postgres::ensure(root)
    })?;
    let mut tally = Tally::default();
    let result = checks(root, &pg, &chromium, &mut tally);
    pg.stop_if_started_here();
    println!("\ntests: {} passed, {} failed", tally.passed, tally.failed);
    result?;
    println!("All checks passed.");
    Ok(())
}

pub fn prepare(root: &Path) -> Result<()> {
    tools::ensure(root, Needs::Sqlx)?;
    let pg = step("Starting the local PostgreSQL cluster", || {
        Postgres::ensure(root)
    })?;
    let result = step("Regenerating .sqlx/ (commit the result)", || {
        migrated_database(root, &pg)?;
        step::run(
            cargo(root)
                .args(["sqlx", "prepare", "--workspace"])
                .env("DATABASE_URL", pg.url(SQLX_DATABASE))
                .env_remove("SQLX_OFFLINE"),
        )
    });
    pg.stop_if_started_here();
    result
}

fn checks(root: &Path, pg: &Postgres, chromium: &Path, tally: &mut Tally) -> Result<()> {
    step("cargo fmt --check", || {
        step::run(cargo(root).args(["fmt", "--all", "--", "--check"]))
    })?;
    step("cargo clippy (server side, all targets)", || {
        step::run(cargo(root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("cargo clippy (browser side, wasm32)", || {
        step::run(cargo(root).args([
            "clippy",
            "--package",
            "frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("sqlx offline data (.sqlx/) is current", || {
        migrated_database(root, pg)?;
        step::run(
            cargo(root)
                .args(["sqlx", "prepare", "--workspace", "--check"])
                .env("DATABASE_URL", pg.url(SQLX_DATABASE))
                .env_remove("SQLX_OFFLINE"),
        )
    })?;
    step("cargo test (against the local PostgreSQL)", || {
        let dropped = pg.drop_databases_like(TEST_DATABASE_PREFIX)?;
        if dropped > 0 {
            note(format!(
                "dropped {dropped} database(s) left by earlier runs"
            ));
        }
        tally.run(
            cargo(root)
                .args(["test", "--workspace", "--all-targets", "--locked"])
                .env("DATABASE_URL", pg.url("postgres")),
            step::libtest_counts,
        )
    })?;
    step(
        "Stripe emulator conformance (official stripe npm SDK)",
        || {
            tally.run(
                Command::new("node")
                    .args(["--test", "--test-reporter=tap", "tests/"])
                    .current_dir(root.join("stripe-emulator/conformance"))
                    .env(
                        "STRIPE_EMULATOR_BIN",
                        root.join("target/debug/stripe-emulator"),
                    ),
                step::node_test_counts,
            )
        },
    )?;
    e2e::run(root, pg, chromium, tally)
}

/// Creates (fresh) and migrates the database sqlx-cli checks against. sqlx-cli applies the
/// migrations, so this works before the server compiles (its queries need this very schema).
fn migrated_database(root: &Path, pg: &Postgres) -> Result<()> {
    pg.recreate_database(SQLX_DATABASE)?;
    step::run(
        cargo(root)
            .args(["sqlx", "migrate", "run", "--source", "migrations"])
            .env("DATABASE_URL", pg.url(SQLX_DATABASE)),
    )
}
