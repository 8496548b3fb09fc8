//! `cargo xtask dev`: set up what is missing, then serve the app with live reload.

use std::{
    fs,
    path::Path,
    process::{Child, Command},
};

use anyhow::{Context, Result};

use crate::{
    postgres::Postgres,
    step::{self, cargo, note, step},
    tools::{self, Needs},
};

/// The database the dev server uses in the local cluster.
const DEV_DATABASE: &str = "tollgate";

pub fn run(root: &Path) -> Result<()> {
    tools::ensure(root, Needs::Build)?;
    // Ctrl-C reaches cargo-leptos and us alike; we wait for it to exit, then clean up.
    ctrlc::set_handler(|| {}).expect("installing the Ctrl-C handler");

    let database = DatabaseUrl::resolve(root)?;
    let emulator = Emulator::start_unless_real_stripe(root)?;
    let path = tools::path_with_npm_bins(root)?;
    println!("\n==> Serving on http://127.0.0.1:3000 (Ctrl-C stops everything this started)");
    note("the first build takes about 10 minutes on 2 cores; later rebuilds a few seconds");
    let mut watch = Command::new("cargo");
    watch
        .args(["leptos", "watch"])
        .current_dir(root)
        .env("PATH", path)
        .env("DATABASE_URL", &database.url)
        // Queries are checked against the committed `.sqlx/` (the dev database is migrated only
        // when the server starts, after the build); `cargo xtask prepare` refreshes it.
        .env("SQLX_OFFLINE", "true")
        // /dev/mailbox shows the mail the app would send (no SMTP server needed).
        .env("DEV_MODE", "true");
    if let Some(emulator) = &emulator {
        watch
            .env("STRIPE_API_BASE", EMULATOR_URL)
            .env("STRIPE_SECRET_KEY", EMULATOR_KEY)
            .env("STRIPE_WEBHOOK_SECRET", &emulator.webhook_secret)
            // A fresh machine shows a full pricing page: the server creates the demo catalog in
            // the emulator (if missing) and syncs it at start-up.
            .env("SEED_DEMO_CATALOG", "true");
    }
    let result = step::run(&mut watch);
    drop(emulator);
    database.stop();
    // cargo-leptos exits non-zero when interrupted; that is how dev normally ends.
    if let Err(error) = result {
        note(format!("cargo leptos watch ended: {error:#}"));
    }
    Ok(())
}

/// Where `cargo xtask dev` runs the Stripe emulator (stripe-mock's port).
const EMULATOR_URL: &str = "http://127.0.0.1:12111";

/// The API key the app uses with the emulator (which accepts any `sk_test_` key).
const EMULATOR_KEY: &str = "sk_test_tollgate_emulator";

/// The Stripe emulator for development: state kept in `target/stripe-emulator/`, webhooks sent to
/// the dev server with a secret generated once. Stopped when dropped.
struct Emulator {
    child: Child,
    webhook_secret: String,
}

impl Emulator {
    fn start_unless_real_stripe(root: &Path) -> Result<Option<Self>> {
        if std::env::var_os("STRIPE_SECRET_KEY").is_some() || in_dotenv(root, "STRIPE_SECRET_KEY") {
            note("STRIPE_SECRET_KEY is set: using real Stripe, not the emulator");
            return Ok(None);
        }
        step("Starting the Stripe emulator", || {
            step::run(cargo(root).args(["build", "--package", "stripe-emulator"]))?;
            let dir = root.join("target/stripe-emulator");
            fs::create_dir_all(&dir).context("creating target/stripe-emulator")?;
            let secret_path = dir.join("webhook-secret");
            let webhook_secret = match fs::read_to_string(&secret_path) {
                Ok(secret) if secret.starts_with("whsec_") => secret.trim().to_owned(),
                _ => {
                    let secret = format!("whsec_dev{:032x}", random_u128());
                    fs::write(&secret_path, &secret).context("saving the webhook secret")?;
                    secret
                }
            };
            let child = Command::new(root.join("target/debug/stripe-emulator"))
                .args(["--addr", "127.0.0.1:12111"])
                .args(["--webhook-url", "http://127.0.0.1:3000/webhooks/stripe"])
                .args(["--webhook-secret", &webhook_secret])
                .arg("--state-file")
                .arg(dir.join("state.json"))
                .spawn()
                .context("starting target/debug/stripe-emulator")?;
            note(format!(
                "API and hosted pages on {EMULATOR_URL} (state in target/stripe-emulator/)"
            ));
            note("time travel: the \"Time travel\" buttons on http://127.0.0.1:3000/account move the emulator's clock a day, a week or a month");
            note(format!(
                "or from a shell: curl -X POST {EMULATOR_URL}/_emulator/clock/advance -d days=30 (GET {EMULATOR_URL}/_emulator/clock shows it)"
            ));
            Ok(Self {
                child,
                webhook_secret,
            })
        })
        .map(Some)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `.env` sets `name`.
fn in_dotenv(root: &Path, name: &str) -> bool {
    dotenvy::from_path_iter(root.join(".env"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|(key, value)| key == name && !value.trim().is_empty())
}

/// Random bits for a development secret, from the OS.
fn random_u128() -> u128 {
    let mut bytes = [0u8; 16];
    if let Ok(mut urandom) = fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut urandom, &mut bytes);
    }
    u128::from_le_bytes(bytes)
}

/// The dev database: `DATABASE_URL` from the environment or `.env` if set, else the local cluster.
struct DatabaseUrl {
    url: String,
    local: Option<Postgres>,
}

impl DatabaseUrl {
    fn resolve(root: &Path) -> Result<Self> {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            note("using DATABASE_URL from the environment");
            return Ok(Self { url, local: None });
        }
        let from_dotenv = dotenvy::from_path_iter(root.join(".env"))
            .into_iter()
            .flatten()
            .flatten()
            .find_map(|(key, value)| (key == "DATABASE_URL").then_some(value));
        if let Some(url) = from_dotenv {
            note("using DATABASE_URL from .env");
            return Ok(Self { url, local: None });
        }
        step("Starting the local PostgreSQL cluster", || {
            let pg = Postgres::ensure(root)?;
            pg.create_database(DEV_DATABASE)?;
            note(format!("DATABASE_URL={}", pg.url(DEV_DATABASE)));
            Ok(Self {
                url: pg.url(DEV_DATABASE),
                local: Some(pg),
            })
        })
    }

    fn stop(&self) {
        if let Some(pg) = &self.local {
            pg.stop_if_started_here();
        }
    }
}
