//! The end-to-end run: build the WASM bundle and stylesheet with cargo-leptos, precompress them,
//! start the real server on a free port against a fresh database, and run the Playwright suite in
//! headless Chromium.
//!
//! The server binary is the one `cargo test --workspace` just built (it builds the package's
//! binaries for the integration tests): building it again through cargo-leptos would compile
//! tokio, axum, sqlx and leptos a second time with a different feature set.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

use crate::{
    compress,
    postgres::Postgres,
    step::{self, cargo, note, step, Tally},
    tools,
};

/// The database the end-to-end server runs against, recreated for each run.
const E2E_DATABASE: &str = "tollgate_e2e";

/// The webhook signing secret shared by the end-to-end emulator and server.
const E2E_WEBHOOK_SECRET: &str = "whsec_tollgate_e2e";

pub fn run(root: &Path, pg: &Postgres, chromium: &Path, tally: &mut Tally) -> Result<()> {
    let path = tools::path_with_npm_bins(root)?;
    let server_bin = root.join("target/debug/server");
    if !server_bin.exists() {
        bail!(
            "{} is missing: `cargo test --workspace` builds it",
            server_bin.display()
        );
    }
    step(
        "cargo leptos build --frontend-only (WASM bundle + CSS)",
        || {
            step::run(
                cargo(root)
                    .args(["leptos", "build", "--frontend-only"])
                    // cargo-leptos sets its own RUSTFLAGS for the wasm build.
                    .env_remove("RUSTFLAGS")
                    // Hashed names, as in production (`hash-files` is off for `watch`).
                    .env("LEPTOS_HASH_FILES", "true")
                    .env("PATH", &path),
            )?;
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

    let server = step(&format!("Starting the server on {base_url}"), || {
        let child = Command::new(&server_bin)
            .arg("serve")
            .current_dir(root)
            .env("DATABASE_URL", pg.url(E2E_DATABASE))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("BASE_URL", &base_url)
            // The journeys read reset links from /dev/mailbox, and the workers all sign in
            // from 127.0.0.1: the rate limits (tested in `cargo test`) must not trip here.
            .env("DEV_MODE", "true")
            .env("RATE_LIMIT_PER_IP_PER_MINUTE", "10000")
            .env("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", "10000")
            .env("STRIPE_API_BASE", &emulator_url)
            .env("STRIPE_SECRET_KEY", "sk_test_tollgate_e2e")
            .env("STRIPE_WEBHOOK_SECRET", E2E_WEBHOOK_SECRET)
            // The pricing journey starts from the demo catalog, as `cargo xtask dev` does.
            .env("SEED_DEMO_CATALOG", "true")
            .env("RUST_LOG", "warn")
            .spawn()
            .context("starting target/debug/server")?;
        let mut server = Server(child);
        wait_until_ready(&mut server.0, port)?;
        Ok(server)
    })?;

    let result = step("Playwright (headless Chromium)", || {
        tally.run(
            Command::new(root.join("end2end/node_modules/.bin/playwright"))
                .arg("test")
                .current_dir(root.join("end2end"))
                .env("BASE_URL", &base_url)
                .env("STRIPE_EMULATOR_URL", &emulator_url)
                .env("CHROMIUM_PATH", chromium)
                .env("PATH", &path),
            step::playwright_counts,
        )
    });
    drop(server);
    drop(emulator);
    result
}

/// A child process (the server, the emulator); stopped (SIGTERM, then SIGKILL) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `GET /readyz` until it answers 200, the process exits, or 60 s pass.
fn wait_until_ready(child: &mut Child, port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the server exited before it was ready ({status})");
        }
        if readyz(port).is_ok_and(|ok| ok) {
            note("ready");
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the server did not become ready within 60 s");
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until something accepts connections on `port` (the emulator binds before it serves).
fn wait_until_listening(child: &mut Child, port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the process exited before it listened ({status})");
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("nothing listened on port {port} within 30 s");
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn readyz(port: u16) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    Ok(head.starts_with(b"HTTP/1.1 200"))
}
