//! The load generators: `wrk` (Debian's) for HTTP, with the Lua scripts in `xtask/bench/`, and
//! `pgbench` for the storage ceiling. Each run's figures come back as a [`Run`].

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::step::{self, note};

/// How long each measured run lasts.
pub const DURATION: Duration = Duration::from_secs(8);

/// One load run's figures.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Run {
    /// Requests (or transactions) sent.
    #[serde(default)]
    pub requests: u64,
    /// Requests (or transactions) per second.
    pub rps: f64,
    /// Latency percentiles, milliseconds.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers other than 2xx/3xx, and socket errors (timeouts included).
    #[serde(default)]
    pub non_2xx: u64,
    #[serde(default)]
    pub socket_errors: u64,
}

/// Installs Debian's `wrk` if it is missing (as root), else says how.
pub fn ensure_wrk() -> Result<()> {
    // `wrk --version` exits non-zero; that it runs at all is enough.
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    if !step::is_root() {
        bail!("wrk is missing: `sudo apt-get install wrk`");
    }
    note("installing Debian's wrk with apt-get");
    step::run(Command::new("apt-get").args(["install", "-y", "-qq", "wrk"])).or_else(|_| {
        step::run(Command::new("apt-get").args(["update", "-qq"]))?;
        step::run(Command::new("apt-get").args(["install", "-y", "-qq", "wrk"]))
    })
}

/// What to load with wrk.
pub struct Wrk<'a> {
    pub url: String,
    pub connections: u32,
    pub duration: Duration,
    /// Extra headers (`Cookie: …`).
    pub headers: Vec<String>,
    /// What each request is.
    pub load: Load<'a>,
}

/// The requests a [`Wrk`] run sends.
pub enum Load<'a> {
    /// The same `GET` of the URL each time.
    Get,
    /// `GET`s with this session cookie plus one that differs every time (`rendered.lua`), so no
    /// answer comes from the page cache.
    Rendered(&'a str),
    /// `webhooks.lua`'s signed events from this file.
    Events(&'a Path),
}

impl Wrk<'_> {
    /// GETs `url` with `connections` for the standard duration.
    pub fn get(url: String, connections: u32) -> Self {
        Self {
            url,
            connections,
            duration: DURATION,
            headers: Vec::new(),
            load: Load::Get,
        }
    }

    /// Runs it; the figures from `report.lua`.
    pub fn run(&self, lua_dir: &Path) -> Result<Run> {
        let threads = 2;
        let mut command = Command::new("wrk");
        command
            .arg(format!("-t{threads}"))
            .arg(format!("-c{}", self.connections.max(threads)))
            .arg(format!("-d{}s", self.duration.as_secs()))
            .arg("--timeout")
            .arg("10s")
            .env("BENCH_LUA_DIR", lua_dir);
        for header in &self.headers {
            command.arg("-H").arg(header);
        }
        match self.load {
            Load::Events(file) => {
                command
                    .arg("-s")
                    .arg(lua_dir.join("webhooks.lua"))
                    .arg(&self.url)
                    .arg("--")
                    .arg(file)
                    .arg(threads.to_string());
            }
            Load::Rendered(cookie) => {
                command
                    .arg("-s")
                    .arg(lua_dir.join("rendered.lua"))
                    .arg(&self.url)
                    .arg("--")
                    .arg(cookie);
            }
            Load::Get => {
                command
                    .arg("-s")
                    .arg(lua_dir.join("report.lua"))
                    .arg(&self.url);
            }
        }
        let out = command.output().context("running wrk")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!(
                "wrk failed: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let line = stdout
            .lines()
            .find_map(|line| line.strip_prefix("BENCH_JSON "))
            .with_context(|| format!("wrk printed no figures: {stdout}"))?;
        serde_json::from_str(line).context("reading wrk's figures")
    }
}

/// What pgbench runs: `xtask/bench/ingest.sql` against `url` with these variables.
pub struct Pgbench<'a> {
    pub url: &'a str,
    pub clients: u32,
    pub variables: Vec<(&'a str, String)>,
}

impl Pgbench<'_> {
    /// Runs the script for the standard duration; throughput and latency percentiles from its
    /// per-transaction log.
    pub fn run(&self, script: &Path, log_dir: &Path) -> Result<Run> {
        std::fs::create_dir_all(log_dir)?;
        for entry in std::fs::read_dir(log_dir)? {
            let path = entry?.path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("pgbench"))
            {
                std::fs::remove_file(path)?;
            }
        }
        let mut command = Command::new("pgbench");
        command
            .args(["--no-vacuum", "--protocol", "prepared"])
            .arg(format!("--client={}", self.clients))
            .arg("--jobs=2")
            .arg(format!("--time={}", DURATION.as_secs()))
            .arg("--file")
            .arg(script)
            .arg("--log")
            .arg("--log-prefix")
            .arg(log_dir.join("pgbench"));
        for (name, value) in &self.variables {
            command.arg("--define").arg(format!("{name}={value}"));
        }
        command.arg(self.url);
        let started = Instant::now();
        let out = command.output().context("running pgbench")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!(
                "pgbench failed: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let tps = stdout
            .lines()
            .find_map(|line| {
                line.strip_prefix("tps = ")
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|n| n.parse::<f64>().ok())
            })
            .with_context(|| format!("pgbench printed no tps: {stdout}"))?;
        let mut latencies: Vec<f64> = Vec::new();
        for entry in std::fs::read_dir(log_dir)? {
            let path = entry?.path();
            if !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("pgbench"))
            {
                continue;
            }
            // `client transaction latency_us script epoch epoch_us`
            for line in std::fs::read_to_string(&path)?.lines() {
                if let Some(us) = line
                    .split_whitespace()
                    .nth(2)
                    .and_then(|n| n.parse::<f64>().ok())
                {
                    latencies.push(us / 1000.0);
                }
            }
        }
        if latencies.is_empty() {
            bail!(
                "pgbench logged no transactions in {:.0?}",
                started.elapsed()
            );
        }
        latencies.sort_by(f64::total_cmp);
        Ok(Run {
            requests: latencies.len() as u64,
            rps: tps,
            p50_ms: percentile(&latencies, 0.50),
            p99_ms: percentile(&latencies, 0.99),
            non_2xx: 0,
            socket_errors: 0,
        })
    }
}

fn percentile(sorted: &[f64], share: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * share).round() as usize]
}
