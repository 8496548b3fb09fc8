//! `cargo xtask bench`: release binaries against a fresh database and the emulator, loaded with
//! `wrk` and `pgbench`, each figure next to the ceiling it is measured against in the same run.
//! Writes `BENCHMARKS.md` (the table, the machine, the commit) and `BENCHMARKS.json`. Fails only
//! when it cannot run; the goals are reported, never asserted.
//!
//! - [`load`]: the wrk and pgbench runs.
//! - [`mail_sink`]: the SMTP server the benchmark server's mail goes to.
//! - [`report`]: the table, the Markdown and the JSON.
//! - [`statements`]: the signed-in pages' statements from `.sqlx/`, for pgbench.
//! - [`webhooks`]: Stripe's latency for the webhook runs, and the workers' apply figures.

mod load;
mod mail_sink;
mod report;
mod statements;
mod webhooks;

use std::{
    fs,
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::{
    postgres::Postgres,
    process::{wait_until_listening, Server},
    release,
    step::{self, cargo, step},
    tools::{self, Needs},
};
use load::{Load, Pgbench, Wrk};
use report::Results;
use webhooks::{STRIPE_JITTER_MS, STRIPE_LATENCY_MS};

/// The database the benchmark server uses, recreated for each run.
const DATABASE: &str = "tollgate_bench";
/// The webhook secret shared by the benchmark emulator and server.
const WEBHOOK_SECRET: &str = "whsec_tollgate_bench";
/// Subscriptions the webhook load is about.
const SUBSCRIPTIONS: u32 = 500;
/// Signed events written per webhook run: more than a run sends, so no event is sent twice
/// except the file's own duplicates.
const EVENTS: u32 = 100_000;

pub fn run(root: &Path) -> Result<()> {
    let chromium = tools::ensure(root, Needs::Bench)?.expect("Needs::Bench yields a browser");
    load::ensure_wrk()?;
    step("Release build (server, WASM, emulator)", || {
        release::build(root)?;
        step::run(
            cargo(root)
                .args([
                    "build",
                    "--release",
                    "--locked",
                    "--package",
                    "stripe-emulator",
                ])
                .args(["--bins", "--examples"])
                .env_remove("RUSTFLAGS"),
        )
    })?;
    let pg = step("Starting the local PostgreSQL cluster", || {
        Postgres::ensure(root)
    })?;
    let measured = measure(root, &pg, &chromium);
    pg.stop_if_started_here();
    let results = measured?;
    report::write(root, &results)
}

/// Where the run keeps its files (events, logs, the ceiling page).
fn work_dir(root: &Path) -> PathBuf {
    root.join("target/bench")
}

fn measure(root: &Path, pg: &Postgres, chromium: &Path) -> Result<Results> {
    let dir = work_dir(root);
    fs::create_dir_all(&dir)?;
    let lua = root.join("xtask/bench");
    let mut results = Results::default();
    pg.recreate_database(DATABASE)?;
    let database_url = pg.url(DATABASE);
    let port = free_port()?;
    let base_url = format!("http://127.0.0.1:{port}");
    let emulator_port = free_port()?;
    let emulator_url = format!("http://127.0.0.1:{emulator_port}");

    let _emulator = step(&format!("Starting the emulator on {emulator_url}"), || {
        let child = Command::new(root.join("target/release/stripe-emulator"))
            .args(["--addr", &format!("127.0.0.1:{emulator_port}")])
            .args(["--webhook-url", &format!("{base_url}/webhooks/stripe")])
            .args(["--webhook-secret", WEBHOOK_SECRET])
            // Stripe's delivery timeout and live-mode retries; its latency is switched on for
            // the webhook runs only (the setup would take minutes with it).
            .args(["--webhook-timeout", "10s", "--webhook-retries", "stripe"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting target/release/stripe-emulator")?;
        let mut emulator = Server(child);
        wait_until_listening(&mut emulator.0, emulator_port)?;
        Ok(emulator)
    })?;
    let smtp_url = mail_sink::start()?;
    let app = App {
        root,
        port,
        database_url: &database_url,
        emulator_url: &emulator_url,
        smtp_url: &smtp_url,
        log: dir.join("server.log"),
    };

    // 5. Start-up: a fresh database (migrations run first), then the seeded catalog.
    let server = step("Starting the server (fresh database)", || {
        let (server, started) = app.start(None)?;
        results.startup_fresh_ms = started.as_secs_f64() * 1000.0;
        wait_for(port, "/pricing", "Hobby")?;
        Ok(server)
    })?;
    thread::sleep(Duration::from_secs(2));
    results.rss_idle_mb = rss_mb(&server, "VmRSS")?;

    // 3. Webhooks, right after the setup (the events' signatures last five minutes), with Stripe
    // answering the workers' fetches as slowly as it does live.
    let setup = step(
        "Subscribers, subscriptions and signed events (Node)",
        || setup(root, &base_url, &emulator_url, &dir),
    )?;
    step(
        &format!("Stripe latency {STRIPE_LATENCY_MS} ms ± {STRIPE_JITTER_MS} ms from here on"),
        || webhooks::set_stripe_latency(emulator_port, STRIPE_LATENCY_MS, STRIPE_JITTER_MS),
    )?;
    step("Webhook accept: signed events the workers apply", || {
        results.webhooks = Some(
            Wrk {
                load: Load::Events(&dir.join("webhooks.tsv")),
                ..Wrk::get(format!("{base_url}/webhooks/stripe"), 32)
            }
            .run(&lua)?,
        );
        Ok(())
    })?;
    step("Webhook accept: a type recorded as applied", || {
        results.webhooks_recorded = Some(
            Wrk {
                load: Load::Events(&dir.join("recorded.tsv")),
                ..Wrk::get(format!("{base_url}/webhooks/stripe"), 32)
            }
            .run(&lua)?,
        );
        Ok(())
    })?;
    step("Webhook apply: the workers catching up", || {
        results.apply = Some(webhooks::wait_and_measure(pg, DATABASE, "evt_bench")?);
        webhooks::set_stripe_latency(emulator_port, 0, 0)
    })?;
    let distinct = |prefix: &str| -> Result<u64> {
        Ok(pg
            .query(
                DATABASE,
                &format!("SELECT count(*) FROM stripe_events WHERE id LIKE '{prefix}\\_%'"),
            )?
            .trim()
            .parse()
            .unwrap_or(0))
    };
    results.webhook_events_new = distinct("evt_bench")?;
    results.recorded_events_new = distinct("evt_rec")?;

    // 1. The pricing page next to the same bytes from a plain handler: restart with the ceiling.
    let pricing = http_get(port, "/pricing", None)?;
    let ceiling_file = dir.join("pricing.html");
    fs::write(&ceiling_file, &pricing)?;
    results.pricing_bytes = pricing.len();
    drop(server);
    // With the server stopped, so no worker takes up the events it records.
    step("pgbench: the same insert", || {
        results.pgbench = Some(
            Pgbench {
                url: &database_url,
                clients: 32,
                variables: vec![
                    ("customer", setup.ingest_customer.clone()),
                    ("subscriptions", SUBSCRIPTIONS.to_string()),
                ],
            }
            .run(&lua.join("ingest.sql"), &dir)?,
        );
        pg.query(
            DATABASE,
            "DELETE FROM stripe_events WHERE id LIKE 'evt\\_pgbench\\_%'",
        )
        .map(drop)
    })?;
    let server = step("Restarting the server with the ceiling route", || {
        let (server, started) = app.start(Some(&ceiling_file))?;
        results.startup_warm_ms = started.as_secs_f64() * 1000.0;
        wait_for(port, "/pricing", "Hobby")?;
        Ok(server)
    })?;
    for (connections, pricing, ceiling) in [
        (32, &mut results.pricing_32, &mut results.ceiling_32),
        (256, &mut results.pricing_256, &mut results.ceiling_256),
    ] {
        step(&format!("Pricing page, {connections} connections"), || {
            warm_up(&lua, &format!("{base_url}/pricing"), &[])?;
            *pricing = Some(Wrk::get(format!("{base_url}/pricing"), connections).run(&lua)?);
            Ok(())
        })?;
        step(&format!("Ceiling, {connections} connections"), || {
            *ceiling = Some(Wrk::get(format!("{base_url}/bench/ceiling"), connections).run(&lua)?);
            Ok(())
        })?;
    }
    results.rss_peak_mb = rss_mb(&server, "VmHWM")?;
    step(
        "Pricing page rendered (a cookie bypasses the page cache), 32 connections",
        || {
            results.pricing_rendered_32 = Some(
                Wrk {
                    headers: vec!["Cookie: bench=1".to_owned()],
                    ..Wrk::get(format!("{base_url}/pricing"), 32)
                }
                .run(&lua)?,
            );
            Ok(())
        },
    )?;

    // 2. Signed-in pages. The webhook load's subscriptions all belong to one other account, a
    // skew no real database has (Postgres would plan every user's `WHERE account_id = $1` as a scan
    // of all of them): that account is deleted first (its rows go with it) and the tables
    // analysed, leaving the subscriber's.
    let session_id = setup
        .cookie
        .split_once('=')
        .map(|(_, id)| id.to_owned())
        .context("the setup's cookie has no value")?;
    let user_id = pg
        .query(
            DATABASE,
            &format!("SELECT user_id FROM tower_sessions.session WHERE id = '{session_id}'"),
        )?
        .trim()
        .to_owned();
    pg.query(
        DATABASE,
        &format!("DELETE FROM users WHERE id <> '{user_id}'; ANALYZE"),
    )?;
    let cookie = format!("Cookie: {}", setup.cookie);
    for (path, kept, rendered) in [
        (
            "/account",
            &mut results.account,
            &mut results.account_rendered,
        ),
        (
            "/dashboard",
            &mut results.dashboard,
            &mut results.dashboard_rendered,
        ),
    ] {
        step(
            &format!("{path} signed in, reloaded, 32 connections"),
            || {
                let status = http_status(port, path, Some(&setup.cookie))?;
                if status != 200 {
                    bail!("{path} answered {status} to the signed-in subscriber");
                }
                warm_up(
                    &lua,
                    &format!("{base_url}{path}"),
                    std::slice::from_ref(&cookie),
                )?;
                *kept = Some(
                    Wrk {
                        headers: vec![cookie.clone()],
                        ..Wrk::get(format!("{base_url}{path}"), 32)
                    }
                    .run(&lua)?,
                );
                Ok(())
            },
        )?;
        step(
            &format!("{path} signed in, rendered on every request, 32 connections"),
            || {
                *rendered = Some(
                    Wrk {
                        load: Load::Rendered(&setup.cookie),
                        ..Wrk::get(format!("{base_url}{path}"), 32)
                    }
                    .run(&lua)?,
                );
                Ok(())
            },
        )?;
    }

    // The same pages' statements alone, in pgbench with as many clients (the server idle).
    for (page, statements, slot) in [
        (
            "account",
            [statements::SESSION, statements::ACCOUNT],
            &mut results.account_statements,
        ),
        (
            "dashboard",
            [statements::SESSION, statements::STANDING],
            &mut results.dashboard_statements,
        ),
    ] {
        step(&format!("pgbench: the /{page} statements"), || {
            let script = dir.join(format!("{page}.sql"));
            statements::script(root, &statements, &script)?;
            *slot = Some(
                Pgbench {
                    url: &database_url,
                    clients: 32,
                    variables: vec![
                        ("session", session_id.clone()),
                        ("user", user_id.clone()),
                        // Postgres reads the text `now` as the current time.
                        ("now", "now".to_owned()),
                        // The statuses that hold a plan (`SubscriptionStatus::holds_plan`).
                        (
                            "holding",
                            "{trialing,active,past_due,unpaid,paused}".to_owned(),
                        ),
                    ],
                }
                .run(&script, &dir)?,
            );
            Ok(())
        })?;
    }

    // 4. First load of /pricing in Chromium.
    step("First load of /pricing in Chromium", || {
        let path = tools::path_with_npm_bins(root)?;
        let out = Command::new("node")
            .arg(root.join("end2end/measure/first-load.mjs"))
            .arg("5")
            .current_dir(root.join("end2end"))
            .env("BASE_URL", &base_url)
            .env("PAGE_PATH", "/pricing")
            .env("CHROMIUM_PATH", chromium)
            .env("PATH", path)
            .output()
            .context("running end2end/measure/first-load.mjs")?;
        results.first_load = Some(json_line(&out, "first-load.mjs")?);
        Ok(())
    })?;

    // 7. A metered call next to the same call unmetered: the reports API as the subscriber, then
    // again once their plan meters it (no limit, so every call is counted). Last, as the
    // reporter then keeps sending the counted uses to the emulator.
    let reports = |slot: &mut Option<load::Run>| -> Result<()> {
        let (status, body) = http_request(port, "/api/reports", Some(&setup.cookie))?;
        if status != 200 {
            bail!("/api/reports answered {status} to the subscriber: {body}");
        }
        warm_up(
            &lua,
            &format!("{base_url}/api/reports"),
            std::slice::from_ref(&cookie),
        )?;
        *slot = Some(
            Wrk {
                headers: vec![cookie.clone()],
                ..Wrk::get(format!("{base_url}/api/reports"), 32)
            }
            .run(&lua)?,
        );
        Ok(())
    };
    step(
        "GET /api/reports on a plan that does not meter it, 32 connections",
        || reports(&mut results.reports_unmetered),
    )?;
    step("Pro meters the reports API from here on", || {
        webhooks::emulator_post(
            emulator_port,
            "/v1/products/prod_tollgate_pro",
            "metadata[metered]=reports_generated",
        )?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while pg
            .query(
                DATABASE,
                "SELECT metadata->>'metered' FROM stripe_products WHERE id = 'prod_tollgate_pro'",
            )?
            .trim()
            != "reports_generated"
        {
            if Instant::now() > deadline {
                bail!("the product's webhook did not reach the mirror within 30 s");
            }
            thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    })?;
    step("GET /api/reports metered, 32 connections", || {
        reports(&mut results.reports_metered)?;
        let counted = pg.query(DATABASE, "SELECT count(*) FROM usage_events")?;
        if counted.trim().parse::<u64>().unwrap_or(0) == 0 {
            bail!("no call was counted: the plan does not meter the reports API");
        }
        Ok(())
    })?;
    drop(server);

    // 6. The emulator's own latency, in-process.
    step("Emulator API latency (in-process)", || {
        let out = Command::new(root.join("target/release/examples/latency"))
            .arg("2000")
            .output()
            .context("running the emulator's latency example")?;
        results.emulator = Some(json_line(&out, "the latency example")?);
        Ok(())
    })?;
    Ok(results)
}

/// How the benchmark server is started.
struct App<'a> {
    root: &'a Path,
    port: u16,
    database_url: &'a str,
    emulator_url: &'a str,
    smtp_url: &'a str,
    log: PathBuf,
}

impl App<'_> {
    /// Starts `target/release/server serve`; returns it and the time to its first `/readyz` 200.
    fn start(&self, ceiling: Option<&Path>) -> Result<(Server, Duration)> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut command = Command::new(self.root.join("target/release/server"));
        command
            .arg("serve")
            .current_dir(self.root)
            .env("DATABASE_URL", self.database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("LEPTOS_HASH_FILES", "true")
            .env("BASE_URL", format!("http://127.0.0.1:{}", self.port))
            .env("STRIPE_API_BASE", self.emulator_url)
            .env("STRIPE_SECRET_KEY", "sk_test_bench")
            .env("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .env("SMTP_URL", self.smtp_url)
            .env(
                "TRIAL_LEDGER_KEY",
                "tollgate-bench-trial-ledger-key-0123456789",
            )
            .env("SEED_DEMO_CATALOG", "true")
            // Every load comes from one address: the limits (tested elsewhere) must not trip.
            .env("RATE_LIMIT_PER_IP_PER_MINUTE", "1000000")
            .env("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", "1000000")
            .env("RATE_LIMIT_BILLING_PER_MINUTE", "1000000")
            .env("DATABASE_MAX_CONNECTIONS", "32")
            .env("WEBHOOK_WORKERS", webhooks::WORKERS.to_string())
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some(file) = ceiling {
            command.env("BENCH_CEILING_FILE", file);
        }
        let started = Instant::now();
        let mut server = Server(command.spawn().context("starting target/release/server")?);
        let deadline = started + Duration::from_secs(60);
        loop {
            if let Some(status) = server.0.try_wait()? {
                bail!("the server exited ({status}); see {}", self.log.display());
            }
            if http_status(self.port, "/readyz", None).is_ok_and(|s| s == 200) {
                return Ok((server, started.elapsed()));
            }
            if Instant::now() > deadline {
                bail!("the server was not ready within 60 s");
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

/// What the Node setup made.
#[derive(Deserialize)]
struct Setup {
    cookie: String,
    ingest_customer: String,
}

fn setup(root: &Path, base_url: &str, emulator_url: &str, dir: &Path) -> Result<Setup> {
    let out = Command::new("node")
        .arg(root.join("end2end/measure/bench-setup.mjs"))
        .env("BASE_URL", base_url)
        .env("EMULATOR_URL", emulator_url)
        .env("WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("OUT_DIR", dir)
        .env("SUBSCRIPTIONS", SUBSCRIPTIONS.to_string())
        .env("EVENTS", EVENTS.to_string())
        .output()
        .context("running end2end/measure/bench-setup.mjs")?;
    if !out.status.success() {
        bail!(
            "the setup failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().context("the setup printed nothing")?;
    serde_json::from_str(line).context("reading the setup's answer")
}

/// The `json: {…}` line a measuring script printed last.
fn json_line(out: &std::process::Output, what: &str) -> Result<serde_json::Value> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "{what} failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("json: "))
        .with_context(|| format!("{what} printed no figures: {stdout}"))?;
    serde_json::from_str(line).with_context(|| format!("reading {what}'s figures"))
}

/// Two seconds of load, unmeasured, sending `headers`: connections open, caches warm.
fn warm_up(lua: &Path, url: &str, headers: &[String]) -> Result<()> {
    Wrk {
        duration: Duration::from_secs(2),
        headers: headers.to_vec(),
        ..Wrk::get(url.to_owned(), 32)
    }
    .run(lua)
    .map(drop)
}

/// Polls `path` until its body contains `text` (the catalog is seeded in the background).
fn wait_for(port: u16, path: &str, text: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if http_get(port, path, None).is_ok_and(|body| body.contains(text)) {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(200));
    }
    bail!("{path} did not show {text:?} within 60 s")
}

/// A process's memory figure from `/proc` (`VmRSS` now, `VmHWM` the peak), in MB.
fn rss_mb(server: &Server, field: &str) -> Result<f64> {
    let status = fs::read_to_string(format!("/proc/{}/status", server.0.id()))?;
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no {field} in /proc/…/status"))?;
    Ok(kb / 1024.0)
}

/// A bare HTTP/1.1 GET on localhost: the status and the body.
fn http_request(port: u16, path: &str, cookie: Option<&str>) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{cookie}Connection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no HTTP status")?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .unwrap_or_default();
    Ok((status, dechunk(body)))
}

fn http_status(port: u16, path: &str, cookie: Option<&str>) -> Result<u16> {
    http_request(port, path, cookie).map(|(status, _)| status)
}

fn http_get(port: u16, path: &str, cookie: Option<&str>) -> Result<String> {
    let (status, body) = http_request(port, path, cookie)?;
    if status != 200 {
        bail!("GET {path} answered {status}");
    }
    Ok(body)
}

/// The body of a `Transfer-Encoding: chunked` answer (Leptos streams its pages), or `body` as
/// it is when it is not chunked.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    loop {
        let Some((size, after)) = rest.split_once("\r\n") else {
            return body.to_owned();
        };
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            return body.to_owned();
        };
        if size == 0 {
            return out;
        }
        let Some(chunk) = after.get(..size) else {
            return body.to_owned();
        };
        out.push_str(chunk);
        rest = after.get(size + 2..).unwrap_or_default();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}
