//! `cargo xtask dev`: set up what is missing, build, serve with live reload, and rebuild what an
//! edit touches.
//!
//! The server and the Stripe emulator are one cargo build, with the features and flags `cargo
//! xtask test` uses, so their dependencies compile once. The server starts before the browser bundle is
//! built (the pages work without it), and the open page reloads itself when the bundle is ready.
//! `cargo leptos watch` works too, for those who have cargo-leptos; this needs none of its
//! compile time.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    thread,
    time::{Duration, Instant, SystemTime},
};

use anyhow::{Context, Result};

use crate::{
    lint::Lint,
    live_reload::{LiveReload, Reload},
    postgres::Postgres,
    process::{wait_until_listening, wait_until_ready, Server},
    site::Site,
    step::{self, cargo, note, step},
    tools::{self, Needs},
    watch::{Rebuild, Watcher, EVERYTHING},
};

/// The database the dev server uses in the local cluster.
const DEV_DATABASE: &str = "tollgate";

/// How often the sources are looked at, and how long an edit is given to settle.
const POLL: Duration = Duration::from_millis(300);
const SETTLE: Duration = Duration::from_millis(150);

pub fn run(root: &Path) -> Result<()> {
    let started = Instant::now();
    tools::ensure(root, Needs::Dev)?;
    // Ctrl-C reaches our children and us alike; we finish the loop, then clean up.
    let stopping = Arc::new(AtomicBool::new(false));
    let flag = stopping.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .expect("installing the Ctrl-C handler");

    let site = Site::load(root)?;
    let database = DatabaseUrl::resolve(root)?;
    let stripe = Stripe::resolve(root)?;
    let mut dev = Dev {
        root: root.to_path_buf(),
        site,
        database_url: database.url.clone(),
        stripe,
        live: None,
        server: None,
        emulator: None,
        started,
    };
    let result = dev.serve(&stopping);
    drop(dev);
    database.stop();
    result
}

/// The running development setup.
struct Dev {
    root: PathBuf,
    site: Site,
    database_url: String,
    stripe: Stripe,
    live: Option<LiveReload>,
    server: Option<Running>,
    emulator: Option<Running>,
    started: Instant,
}

/// A child process and the build of its binary it runs.
struct Running {
    process: Server,
    built: Option<SystemTime>,
}

impl Dev {
    /// Builds everything, then rebuilds what each edit touches until Ctrl-C.
    fn serve(&mut self, stopping: &AtomicBool) -> Result<()> {
        let mut watcher = Watcher::new(&self.root);
        let mut pending = EVERYTHING;
        let mut first = true;
        while !stopping.load(Ordering::SeqCst) {
            if pending.any() {
                match self.rebuild(pending) {
                    Ok(()) => {
                        pending = Rebuild::default();
                        if first {
                            first = false;
                            println!(
                                "\n==> Ready in {}: open http://{} (Ctrl-C stops everything this started)",
                                minutes(self.started.elapsed()),
                                self.site.site_addr
                            );
                            note("edits rebuild what they touch and reload the page");
                            note("the first account you sign up is an admin: the operator console is at /admin");
                        }
                    }
                    Err(error) if stopping.load(Ordering::SeqCst) => {
                        note(format!("stopping ({error:#})"));
                        break;
                    }
                    Err(error) => {
                        eprintln!("\n    ✗ {error:#}");
                        note("fix it and save: the build runs again");
                    }
                }
            }
            thread::sleep(POLL);
            let mut changed = watcher.changes();
            if changed.any() {
                thread::sleep(SETTLE);
                changed.add(watcher.changes());
                pending.add(changed);
            }
            if let Some(server) = &mut self.server {
                if let Ok(Some(status)) = server.process.0.try_wait() {
                    note(format!(
                        "the server exited ({status}); it starts again after the next edit"
                    ));
                    self.server = None;
                }
            }
        }
        Ok(())
    }

    /// One round: build what `what` names, restart what was rebuilt, reload the open pages.
    fn rebuild(&mut self, what: Rebuild) -> Result<()> {
        if what.host {
            step("Building the server and the Stripe emulator", || {
                if self.server.is_none() {
                    note("the first build compiles every dependency once (about 3 minutes on 2 cores); later builds take seconds");
                }
                build_host(&self.root)
            })?;
            self.restart_emulator_if_rebuilt()?;
        }
        if what.style || what.assets {
            step("Stylesheet (sass) and static files", || {
                if what.style {
                    self.site.style()?;
                }
                if what.assets {
                    self.site.assets()?;
                }
                Ok(())
            })?;
        }
        let live = match &self.live {
            Some(live) => live.clone(),
            None => {
                let live = LiveReload::listen(self.site.reload_port)?;
                self.live = Some(live.clone());
                live
            }
        };
        // The first time, serve before the bundle is built: the pages work without it.
        if self.server.is_none() {
            self.restart_server()?;
            note(format!(
                "pages answer on http://{} after {}; the browser bundle follows and the page reloads itself",
                self.site.site_addr,
                minutes(self.started.elapsed())
            ));
        }
        if what.wasm {
            step("Building the browser bundle (WASM, wasm-bindgen)", || {
                self.site.compile_wasm(Lint::Off)?;
                self.site.bindgen()
            })?;
        }
        if what.host && self.server_is_stale() {
            self.restart_server()?;
        }
        if what.host || what.wasm || what.assets {
            live.send(Reload::Page);
        } else if what.style {
            live.send(Reload::Stylesheet(&self.site.css_href()));
        }
        Ok(())
    }

    fn server_is_stale(&self) -> bool {
        let binary = self.root.join("target/debug/server");
        self.server
            .as_ref()
            .is_none_or(|server| server.built != modified(&binary))
    }

    /// Stops the running server (if any) and starts the one just built.
    fn restart_server(&mut self) -> Result<()> {
        self.server = None;
        let binary = self.root.join("target/debug/server");
        let port = port_of(&self.site.site_addr)?;
        step(
            &format!("Starting the server on http://{}", self.site.site_addr),
            || {
                let mut command = Command::new(&binary);
                command
                    .arg("serve")
                    .current_dir(&self.root)
                    .envs(self.site.server_env(true))
                    .env("DATABASE_URL", &self.database_url)
                    // /dev/mailbox shows the mail the app would send (no SMTP server needed).
                    .env("DEV_MODE", "true")
                    // The first account to sign up opens the operator console at /admin.
                    .env("FIRST_ACCOUNT_ADMIN", "true")
                    // The partner program at /partners, with referral links.
                    .env("PARTNERS_ENABLED", "true");
                self.stripe.configure_server(&mut command);
                let child = command
                    .spawn()
                    .with_context(|| format!("starting {}", binary.display()))?;
                let built = modified(&binary);
                let mut process = Server(child);
                wait_until_ready(&mut process.0, port)?;
                self.server = Some(Running { process, built });
                Ok(())
            },
        )
    }

    /// Starts the emulator the first time, and again whenever its binary was rebuilt.
    fn restart_emulator_if_rebuilt(&mut self) -> Result<()> {
        let Stripe::Emulator { webhook_secret } = &self.stripe else {
            return Ok(());
        };
        let binary = self.root.join("target/debug/stripe-emulator");
        let built = modified(&binary);
        if self.emulator.as_ref().is_some_and(|e| e.built == built) {
            return Ok(());
        }
        self.emulator = None;
        let state = self.root.join("target/stripe-emulator/state.json");
        let child = step("Starting the Stripe emulator", || {
            let mut child = Command::new(&binary)
                .args(["--addr", EMULATOR_ADDR])
                .args([
                    "--webhook-url",
                    &format!("http://{}/webhooks/stripe", self.site.site_addr),
                ])
                .args(["--webhook-secret", webhook_secret])
                .args([
                    "--connect-webhook-url",
                    &format!("http://{}/webhooks/stripe/connect", self.site.site_addr),
                ])
                .args(["--connect-webhook-secret", &connect_secret(webhook_secret)])
                .arg("--state-file")
                .arg(&state)
                .spawn()
                .with_context(|| format!("starting {}", binary.display()))?;
            wait_until_listening(&mut child, port_of(EMULATOR_ADDR)?)?;
            note(format!(
                "API and hosted pages on http://{EMULATOR_ADDR} (state in target/stripe-emulator/)"
            ));
            note(format!("time travel: the \"Time travel\" buttons on http://{}/account move the emulator's clock a day, a week or a month", self.site.site_addr));
            note(format!("or from a shell: curl -X POST http://{EMULATOR_ADDR}/_emulator/clock/advance -d days=30"));
            Ok(child)
        })?;
        self.emulator = Some(Running {
            process: Server(child),
            built,
        });
        Ok(())
    }
}

/// The workspace's binaries (the server, the emulator, this tool) in one cargo build, so shared
/// dependencies compile once, with the same features and flags as `cargo xtask test`'s build
/// (the workspace's dev-dependencies add no features; see Cargo.toml).
fn build_host(root: &Path) -> Result<()> {
    step::run(cargo(root).args(["build", "--workspace", "--bins", "--locked"]))
}

/// When `path` was last written, if it exists.
fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The port of a `host:port` address.
fn port_of(addr: &str) -> Result<u16> {
    addr.rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .with_context(|| format!("no port in the address {addr}"))
}

/// `2 min 5 s` / `6.6 s`.
fn minutes(took: Duration) -> String {
    let seconds = took.as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        format!("{} min {} s", took.as_secs() / 60, took.as_secs() % 60)
    }
}

/// Where `cargo xtask dev` runs the Stripe emulator (stripe-mock's port).
const EMULATOR_ADDR: &str = "127.0.0.1:12111";

/// The API key the app uses with the emulator (which accepts any `sk_test_` key).
const EMULATOR_KEY: &str = "sk_test_tollgate_emulator";

/// Which Stripe the dev server talks to.
enum Stripe {
    /// `STRIPE_SECRET_KEY` is set (environment or `.env`): the server reads its own settings.
    Real,
    /// The emulator, with a webhook secret generated once and kept in `target/stripe-emulator/`.
    Emulator { webhook_secret: String },
}

impl Stripe {
    fn resolve(root: &Path) -> Result<Self> {
        if std::env::var_os("STRIPE_SECRET_KEY").is_some() || in_dotenv(root, "STRIPE_SECRET_KEY") {
            note("STRIPE_SECRET_KEY is set: using real Stripe, not the emulator");
            return Ok(Self::Real);
        }
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
        Ok(Self::Emulator { webhook_secret })
    }

    fn configure_server(&self, server: &mut Command) {
        if let Self::Emulator { webhook_secret } = self {
            server
                .env("STRIPE_API_BASE", format!("http://{EMULATOR_ADDR}"))
                .env("STRIPE_SECRET_KEY", EMULATOR_KEY)
                .env("STRIPE_WEBHOOK_SECRET", webhook_secret)
                .env(
                    "STRIPE_CONNECT_WEBHOOK_SECRET",
                    connect_secret(webhook_secret),
                )
                // A fresh machine shows a full pricing page: the server creates the demo catalog
                // in the emulator (if missing) and syncs it at start-up.
                .env("SEED_DEMO_CATALOG", "true");
        }
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

/// The Connect endpoint's secret in development: the platform endpoint's, told apart.
fn connect_secret(webhook_secret: &str) -> String {
    format!("{webhook_secret}_connect")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_seconds_then_minutes() {
        assert_eq!(minutes(Duration::from_millis(6_600)), "6.6 s");
        assert_eq!(minutes(Duration::from_secs(125)), "2 min 5 s");
    }

    #[test]
    fn the_port_is_read_from_an_address() {
        assert_eq!(port_of("127.0.0.1:3000").unwrap(), 3000);
        assert!(port_of("localhost").is_err());
    }
}
