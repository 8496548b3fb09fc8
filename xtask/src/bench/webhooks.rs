//! The webhook rows' Stripe and workers: the emulator's API latency, switched on for the
//! webhook runs as Stripe's round trip, and what the workers made of the accepted events — waited
//! for, then measured in SQL from `stripe_events` (accept to applied).

use std::{
    io::{Read, Write},
    net::TcpStream,
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::{postgres::Postgres, step::note};

/// Stripe's round trip as the apply measurement imitates it: every API call waits this long…
pub const STRIPE_LATENCY_MS: u64 = 150;
/// …give or take up to this much.
pub const STRIPE_JITTER_MS: u64 = 50;
/// Webhook workers in the benchmark server (`WEBHOOK_WORKERS`; the app's default).
pub const WORKERS: u32 = 8;
/// How long the workers get to apply what the accept runs queued.
const APPLY_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Sets the emulator's API latency from now on (`POST /_emulator/latency`); zeros switch it off.
pub fn set_stripe_latency(emulator_port: u16, latency_ms: u64, jitter_ms: u64) -> Result<()> {
    emulator_post(
        emulator_port,
        "/_emulator/latency",
        &format!("latency={latency_ms}ms&jitter={jitter_ms}ms"),
    )
}

/// Posts a form to the emulator (with the benchmark's secret key); fails unless it answers 200.
pub fn emulator_post(emulator_port: u16, path: &str, body: &str) -> Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", emulator_port))
        .with_context(|| format!("connecting to the emulator for {path}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk_test_bench\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .with_context(|| format!("reading the emulator's answer to {path}"))?;
    if !response.starts_with("HTTP/1.1 200") {
        bail!("the emulator refused {path} {body}: {response}");
    }
    Ok(())
}

/// What the workers made of the events one accept run queued.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Apply {
    /// Events of the run applied.
    pub events: u64,
    /// Events applied per second, from the first received to the last applied.
    pub per_second: f64,
    /// From accepted (`received_at`) to applied (`applied_at`), milliseconds.
    pub lag_p50_ms: f64,
    pub lag_p99_ms: f64,
    /// Events still due or claimed when the wait gave up (0: the queue emptied).
    pub left: u64,
    /// How long the wait after the accept runs lasted, seconds.
    pub waited_s: f64,
}

/// Waits until no event is due or claimed (or [`APPLY_LIMIT`] has passed), then measures the
/// applied events whose ids start with `prefix`.
pub fn wait_and_measure(pg: &Postgres, database: &str, prefix: &str) -> Result<Apply> {
    let started = Instant::now();
    let mut noted = started;
    let left = loop {
        let left: u64 = pg
            .query(
                database,
                "SELECT count(*) FROM stripe_events \
                 WHERE applied_at IS NULL AND next_attempt_at IS NOT NULL",
            )?
            .trim()
            .parse()
            .context("counting the events left to apply")?;
        if left == 0 || started.elapsed() > APPLY_LIMIT {
            break left;
        }
        if noted.elapsed() >= Duration::from_secs(30) {
            note(format!(
                "{left} events left to apply after {:.0} s",
                started.elapsed().as_secs_f64()
            ));
            noted = Instant::now();
        }
        thread::sleep(Duration::from_secs(1));
    };
    let waited_s = started.elapsed().as_secs_f64();
    let row = pg.query(
        database,
        &format!(
            "SELECT count(*), \
                    coalesce(extract(epoch FROM max(applied_at) - min(received_at)), 0), \
                    coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms), 0), \
                    coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms), 0) \
             FROM (SELECT applied_at, received_at, \
                          extract(epoch FROM applied_at - received_at) * 1000 AS lag_ms \
                   FROM stripe_events \
                   WHERE id LIKE '{prefix}\\_%' AND applied_at IS NOT NULL) applied"
        ),
    )?;
    let figures: Vec<f64> = row
        .trim()
        .split('|')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading the apply figures from {row:?}"))?;
    let [events, seconds, lag_p50_ms, lag_p99_ms] = figures[..] else {
        bail!("expected four apply figures, got {row:?}");
    };
    Ok(Apply {
        events: events as u64,
        per_second: if seconds > 0.0 { events / seconds } else { 0.0 },
        lag_p50_ms,
        lag_p99_ms,
        left,
        waited_s,
    })
}
