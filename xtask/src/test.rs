//! `cargo xtask test` (every check CI runs), `cargo xtask prepare` (refresh `.sqlx/`),
//! `cargo xtask screenshots` (refresh the screenshot baselines) and `cargo xtask e2e SPEC…` (a
//! few Playwright journeys on their own).

use std::{path::Path, process::Command};

use anyhow::Result;

use crate::{
    contract, deploy, e2e,
    lint::Lint,
    postgres::Postgres,
    sqlx_check::SqlxCheck,
    step::{self, cargo, note, step, Tally},
    tools::{self, Needs},
};

/// The migrated database the offline query data is made and checked against.
const SQLX_DATABASE: &str = "tollgate_sqlx";
/// Integration tests create one database each, named with this prefix
/// (`server/tests/api/helpers.rs`) and drop it when the test passes; a failed test's is kept
/// to look at until the next run drops it.
const TEST_DATABASE_PREFIX: &str = "test_";

/// What a clean run of every check needs on the disk `target/` is on, with room to spare: one
/// peaked at 3.3 GB (the builds, the site, the Postgres cluster with the few test databases
/// alive at once — each is dropped as its test passes).
const DISK_NEEDED_GB: u64 = 6;

pub fn run(root: &Path) -> Result<()> {
    warn_if_disk_is_short(root);
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
    step(
        "Deployment files: Kubernetes 1.31 (strict), compose.yaml, Caddyfile, systemd unit",
        || deploy::check_deploy_files(root),
    )?;
    step("cargo fmt --check", || {
        step::run(cargo(root).args(["fmt", "--all", "--", "--check"]))
    })?;
    step(
        "cargo test, with clippy and the .sqlx/ check on every workspace crate it compiles (one build)",
        || {
            let dropped = pg.drop_databases_like(TEST_DATABASE_PREFIX)?;
            if dropped > 0 {
                note(format!(
                    "dropped {dropped} database(s) left by earlier runs"
                ));
            }
            migrated_database(root, pg)?;
            let sqlx = SqlxCheck::start(root, pg.url(SQLX_DATABASE))?;
            let mut test = cargo(root);
            test.args(["test", "--workspace", "--all-targets", "--locked"]);
            sqlx.apply(&mut test);
            tally.run(Lint::DenyWarnings.apply(&mut test)?, step::libtest_counts)?;
            sqlx.verify()?;
            // Only a failed run's databases are worth keeping (to look at); the rest is disk.
            pg.drop_databases_like(TEST_DATABASE_PREFIX)?;
            Ok(())
        },
    )?;
    contract::checks(root, tally)?;
    step(
        "Stripe emulator conformance (official stripe npm SDK)",
        || {
            // Each file starts its own emulator and mostly waits on it; node's default runs one
            // file at a time on a 2-core machine.
            tally.run(
                Command::new("node")
                    .args([
                        "--test",
                        "--test-concurrency=4",
                        "--test-reporter=tap",
                        "tests/",
                    ])
                    .current_dir(root.join("stripe-emulator/conformance"))
                    .env(
                        "STRIPE_EMULATOR_BIN",
                        root.join("target/debug/stripe-emulator"),
                    ),
                step::node_test_counts,
            )
        },
    )?;
    step("Stripe CLI triggers against the emulator", || {
        tally.run(
            Command::new("node")
                .arg("triggers.mjs")
                .current_dir(root.join("stripe-emulator/conformance"))
                .env(
                    "STRIPE_EMULATOR_BIN",
                    root.join("target/debug/stripe-emulator"),
                ),
            step::summary_counts,
        )
    })?;
    e2e::run(root, pg, chromium, e2e::Suite::Everything, tally)
}

/// `cargo xtask screenshots [--check]`: builds the server, then takes every page's screenshots
/// again and writes those that changed over the committed baselines in `end2end/screenshots/`
/// (look at them with `git diff`, commit them with the change that made them); with `check`,
/// compares instead, as `cargo xtask test` does, leaving the diff images in `test-results/`.
pub fn screenshots(root: &Path, check: bool) -> Result<()> {
    build_then_run(
        root,
        e2e::Suite::Screenshots { update: !check },
        "screenshots",
    )
}

/// `cargo xtask e2e SPEC…`: builds the server, then runs only the Playwright spec files whose
/// names match (`console`), without the journeys a full run puts before them.
pub fn journeys(root: &Path, specs: Vec<String>) -> Result<()> {
    build_then_run(root, e2e::Suite::Only(specs), "journeys")
}

/// Builds the workspace's binaries with the test build's features and lints (after a test run
/// nothing is compiled again), then runs `suite` against them and prints what it counted.
fn build_then_run(root: &Path, suite: e2e::Suite, counted: &str) -> Result<()> {
    let chromium = tools::ensure(root, Needs::Test)?.expect("Needs::Test yields a browser");
    let pg = step("Starting the local PostgreSQL cluster", || {
        Postgres::ensure(root)
    })?;
    let mut tally = Tally::default();
    let result = step("Building the server and the Stripe emulator", || {
        let mut build = cargo(root);
        build.args(["build", "--workspace", "--bins", "--locked"]);
        step::run(Lint::DenyWarnings.apply(&mut build)?)
    })
    .and_then(|()| e2e::run(root, &pg, &chromium, suite, &mut tally));
    pg.stop_if_started_here();
    println!(
        "\n{counted}: {} passed, {} failed",
        tally.passed, tally.failed
    );
    result
}

/// Says so up front when the disk is nearly full, instead of failing half an hour later with
/// "No space left on device" in the middle of a build.
fn warn_if_disk_is_short(root: &Path) {
    let Some(free_gb) = step::output(Command::new("df").args(["-Pk"]).arg(root))
        .and_then(|df| free_kb(&df))
        .map(|kb| kb / (1024 * 1024))
    else {
        return;
    };
    if free_gb < DISK_NEEDED_GB {
        note(format!(
            "warning: only {free_gb} GB free on the disk holding {}; a clean build needs about \
             {DISK_NEEDED_GB} GB (`cargo clean` or removing old clones frees space)",
            root.display()
        ));
    }
}

/// The "Available" column of `df -Pk`'s only data line.
fn free_kb(df: &str) -> Option<u64> {
    df.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()
}

/// Creates (fresh) and migrates the database the query macros describe their queries against.
/// sqlx-cli applies the migrations, so this works before the server compiles (its queries need
/// this very schema).
fn migrated_database(root: &Path, pg: &Postgres) -> Result<()> {
    pg.recreate_database(SQLX_DATABASE)?;
    step::run(
        cargo(root)
            .args(["sqlx", "migrate", "run", "--source", "migrations"])
            .env("DATABASE_URL", pg.url(SQLX_DATABASE)),
    )
}

#[cfg(test)]
mod tests {
    use super::free_kb;

    #[test]
    fn reads_the_available_column_of_df() {
        let df = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n\
                  /dev/vda        264137692 69206720  27254016      72% /\n";
        assert_eq!(free_kb(df), Some(27_254_016));
        assert_eq!(free_kb("Filesystem\n"), None);
    }
}
