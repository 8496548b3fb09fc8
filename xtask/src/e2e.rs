//! The end-to-end run: build the browser half ([`crate::site`], with the hashed names production
//! uses, linting the frontend crate as it compiles), precompress it, start the real server on a
//! free port against a fresh database, and run the Playwright suite in headless Chromium, shown
//! only the pinned fonts (`end2end/fonts.conf`) so its screenshots repeat.
//!
//! The server binary is the one `cargo test --workspace` just built (it builds the package's
//! binaries for the integration tests), so nothing on the server side is compiled twice.
//!
//! Playwright is given the server's binary (`TOLLGATE_SERVER_BIN`) and the server's own
//! environment ([`server_env`]), so a journey can run another `server` command against the same
//! database and emulator — `server admin grant EMAIL` makes its operator an admin.

use std::{net::TcpListener, path::Path, process::Command};

use anyhow::{bail, Context, Result};

use crate::{
    compress,
    lint::Lint,
    postgres::Postgres,
    process::{wait_until_listening, wait_until_ready, Server},
    site::Site,
    step::{self, step, Tally},
    tools,
};

/// The database the end-to-end server runs against, recreated for each run.
const E2E_DATABASE: &str = "tollgate_e2e";

/// The webhook signing secret shared by the end-to-end emulator and server.
const E2E_WEBHOOK_SECRET: &str = "whsec_tollgate_e2e";
/// The Connect endpoint's secret in the journeys.
const E2E_CONNECT_WEBHOOK_SECRET: &str = "whsec_tollgate_e2e_connect";

/// What Playwright is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Suite {
    /// Every journey, comparing screenshots with the committed baselines.
    Everything,
    /// Only the screenshots and the accessibility scan; with `update`, writing the baselines
    /// that changed instead of failing on them.
    Screenshots { update: bool },
    /// Only the spec files whose names match these filters (`console`, `billing.spec.ts`),
    /// without the projects they wait for in a full run.
    Only(Vec<String>),
}

/// The environment the end-to-end server runs with; Playwright gets it too.
fn server_env(
    database_url: String,
    port: u16,
    base_url: &str,
    emulator_url: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database_url),
        ("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}")),
        ("LEPTOS_SITE_ROOT", "target/site".into()),
        ("BASE_URL", base_url.into()),
        // The journeys read reset links from /dev/mailbox, and the workers all sign in from
        // 127.0.0.1: the rate limits (tested in `cargo test`) must not trip here.
        ("DEV_MODE", "true".into()),
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "10000".into()),
        ("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", "10000".into()),
        ("STRIPE_API_BASE", emulator_url.into()),
        ("STRIPE_SECRET_KEY", "sk_test_tollgate_e2e".into()),
        ("STRIPE_WEBHOOK_SECRET", E2E_WEBHOOK_SECRET.into()),
        (
            "STRIPE_CONNECT_WEBHOOK_SECRET",
            E2E_CONNECT_WEBHOOK_SECRET.into(),
        ),
        // The partner journey: partners, their connected accounts, the pay run (run by hand).
        ("PARTNERS_ENABLED", "true".into()),
        ("PARTNER_PAY_RUN_DAILY", "false".into()),
        // The teams journey: seats follow a removed member within a second, not a minute.
        ("SEAT_SYNC_DELAY_SECONDS", "1".into()),
        // The pricing journey starts from the demo catalog, as `cargo xtask dev` does.
        ("SEED_DEMO_CATALOG", "true".into()),
        ("RUST_LOG", "warn".into()),
    ]
}

pub fn run(
    root: &Path,
    pg: &Postgres,
    chromium: &Path,
    suite: Suite,
    tally: &mut Tally,
) -> Result<()> {
    let path = tools::path_with_npm_bins(root)?;
    let server_bin = root.join("target/debug/server");
    if !server_bin.exists() {
        bail!(
            "{} is missing: `cargo test --workspace` builds it",
            server_bin.display()
        );
    }
    step(
        "Browser bundle (WASM, clippy on the frontend crate), stylesheet, hashed names",
        || {
            Site::load(root)?.build_hashed(Lint::DenyWarnings)?;
            compress::precompress(&root.join("target/site/pkg"))
        },
    )?;

    pg.recreate_database(E2E_DATABASE)?;
    let port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
    let base_url = format!("http://127.0.0.1:{port}");
    let emulator_port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
    let emulator_url = format!("http://127.0.0.1:{emulator_port}");

    // The emulator first: the server talks to it from start-up (it seeds the demo catalog), and
    // the emulator delivers webhooks to the server's address (retrying until it is up).
    let emulator = step(
        &format!("Starting the Stripe emulator on {emulator_url}"),
        || {
            let child = Command::new(root.join("target/debug/stripe-emulator"))
                .args([
                    "--addr",
                    &format!("127.0.0.1:{emulator_port}"),
                    "--seed",
                    "1",
                    "--webhook-url",
                    &format!("{base_url}/webhooks/stripe"),
                    "--webhook-secret",
                    E2E_WEBHOOK_SECRET,
                    "--connect-webhook-url",
                    &format!("{base_url}/webhooks/stripe/connect"),
                    "--connect-webhook-secret",
                    E2E_CONNECT_WEBHOOK_SECRET,
                ])
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .spawn()
                .context(
                    "starting target/debug/stripe-emulator (built by `cargo test --workspace`)",
                )?;
            let mut emulator = Server(child);
            wait_until_listening(&mut emulator.0, emulator_port)?;
            Ok(emulator)
        },
    )?;

    let server_env = server_env(pg.url(E2E_DATABASE), port, &base_url, &emulator_url);
    let server = step(&format!("Starting the server on {base_url}"), || {
        let child = Command::new(&server_bin)
            .arg("serve")
            .current_dir(root)
            .envs(server_env.iter().cloned())
            .spawn()
            .context("starting target/debug/server")?;
        let mut server = Server(child);
        wait_until_ready(&mut server.0, port)?;
        Ok(server)
    })?;

    // The screenshots and the accessibility scan first, on their own: before any journey adds
    // products to the catalog or moves the emulator's clock. The journeys run whatever they
    // found, so one changed pixel never hides a broken journey.
    const LOOKS: (&str, &[&str]) = (
        "Playwright: screenshots and accessibility",
        &["--project", "looks"],
    );
    let only: Vec<&str> = match &suite {
        Suite::Only(filters) => ["--no-deps"]
            .into_iter()
            .chain(filters.iter().map(String::as_str))
            .collect(),
        _ => Vec::new(),
    };
    let runs: &[(&str, &[&str])] = match &suite {
        Suite::Everything => &[
            LOOKS,
            (
                "Playwright: journeys",
                &[
                    "--project",
                    "chromium",
                    "--project",
                    "lifecycle",
                    "--project",
                    "over-time",
                    "--project",
                    "console",
                    "--project",
                    "partners",
                    "--project",
                    "teams",
                ],
            ),
        ],
        Suite::Screenshots { update: true } => &[(
            "Playwright: screenshots (writing those that changed)",
            &["--project", "looks", "--update-snapshots=changed"],
        )],
        Suite::Screenshots { update: false } => &[LOOKS],
        Suite::Only(_) => &[("Playwright: the chosen journeys", only.as_slice())],
    };
    let mut result = Ok(());
    for (title, args) in runs {
        let run = step(title, || {
            tally.run(
                Command::new(root.join("end2end/node_modules/.bin/playwright"))
                    .arg("test")
                    .args(*args)
                    .current_dir(root.join("end2end"))
                    .env("FONTCONFIG_FILE", root.join("end2end/fonts.conf"))
                    .envs(server_env.iter().cloned())
                    .env("TOLLGATE_SERVER_BIN", &server_bin)
                    .env("STRIPE_EMULATOR_URL", &emulator_url)
                    .env("CHROMIUM_PATH", chromium)
                    .env("PATH", &path),
                step::playwright_counts,
            )
        });
        result = result.and(run);
    }
    drop(server);
    drop(emulator);
    result
}
