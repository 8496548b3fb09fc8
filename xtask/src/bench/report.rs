//! The benchmark's results: the table printed at the end, `BENCHMARKS.md` (the table with the
//! machine, the date, the commit and the command) and `BENCHMARKS.json`.

use std::{fs, path::Path};

use anyhow::Result;
use serde::Serialize;
use serde_json::{json, Value};

use super::{load::Run, webhooks::Apply};
use crate::provenance;

/// Everything one run measured.
#[derive(Debug, Default, Serialize)]
pub struct Results {
    pub startup_fresh_ms: f64,
    pub startup_warm_ms: f64,
    pub rss_idle_mb: f64,
    pub rss_peak_mb: f64,
    pub pricing_bytes: usize,
    pub pricing_32: Option<Run>,
    pub ceiling_32: Option<Run>,
    pub pricing_256: Option<Run>,
    pub ceiling_256: Option<Run>,
    pub pricing_rendered_32: Option<Run>,
    /// The signed-in pages as a user reloading gets them (the page kept for their session).
    pub account: Option<Run>,
    pub dashboard: Option<Run>,
    /// The same pages rendered on every request (a cookie differing per request).
    pub account_rendered: Option<Run>,
    pub dashboard_rendered: Option<Run>,
    /// pgbench running each signed-in page's statements (the database alone).
    pub account_statements: Option<Run>,
    pub dashboard_statements: Option<Run>,
    /// The reports API as the subscriber, before and after their plan meters it.
    pub reports_unmetered: Option<Run>,
    pub reports_metered: Option<Run>,
    pub webhooks: Option<Run>,
    pub webhooks_recorded: Option<Run>,
    pub pgbench: Option<Run>,
    /// What the workers made of the events `webhooks` queued, with Stripe's latency.
    pub apply: Option<Apply>,
    /// Distinct events each webhook run delivered (the rest of its requests were duplicates).
    pub webhook_events_new: u64,
    pub recorded_events_new: u64,
    pub first_load: Option<Value>,
    pub emulator: Option<Value>,
}

/// One table row: what, the figure, the ceiling, their ratio, the goal and whether it is met.
struct Row {
    what: String,
    figure: String,
    ceiling: String,
    ratio: String,
    goal: String,
    met: Option<bool>,
}

impl Row {
    fn new(what: &str, figure: String) -> Self {
        Self {
            what: what.to_owned(),
            figure,
            ceiling: String::new(),
            ratio: String::new(),
            goal: String::new(),
            met: None,
        }
    }
}

fn load(run: &Run) -> String {
    let errors = run.non_2xx + run.socket_errors;
    let errors = if errors > 0 {
        format!(", {errors} errors")
    } else {
        String::new()
    };
    format!(
        "{:.0}/s · p50 {:.2} ms · p99 {:.2} ms{errors}",
        run.rps, run.p50_ms, run.p99_ms
    )
}

fn rows(results: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
    let versus =
        |what: &str, run: &Option<Run>, ceiling: &Option<Run>, goal: f64, p99: Option<f64>| {
            let (Some(run), Some(ceiling)) = (run, ceiling) else {
                return Row::new(what, "not measured".to_owned());
            };
            let ratio = run.rps / ceiling.rps;
            let p99_met = p99.is_none_or(|limit| run.p99_ms < limit);
            Row {
                what: what.to_owned(),
                figure: load(run),
                ceiling: load(ceiling),
                ratio: format!("{ratio:.2}×"),
                goal: match p99 {
                    Some(limit) => format!("≥ {goal}× and p99 < {limit} ms"),
                    None => format!("≥ {goal}×"),
                },
                met: Some(ratio >= goal && p99_met),
            }
        };
    rows.push(versus(
        "/pricing as anonymous visitors get it (page cache), 32 connections (vs the same bytes from a plain axum handler)",
        &results.pricing_32,
        &results.ceiling_32,
        0.5,
        Some(10.0),
    ));
    rows.push(versus(
        "/pricing as anonymous visitors get it, 256 connections (vs the same)",
        &results.pricing_256,
        &results.ceiling_256,
        0.5,
        None,
    ));
    rows.push(versus(
        "/pricing rendered by Leptos on every request (a cookie bypasses the cache), 32 connections (vs the same)",
        &results.pricing_rendered_32,
        &results.ceiling_32,
        0.5,
        None,
    ));
    rows.push(versus(
        "/account signed in, reloaded (the page kept for the session), 32 connections (vs the same plain handler)",
        &results.account,
        &results.ceiling_32,
        0.15,
        None,
    ));
    rows.push(versus(
        "/dashboard signed in (Pro), reloaded (kept), 32 connections (vs the same)",
        &results.dashboard,
        &results.ceiling_32,
        0.25,
        None,
    ));
    for (what, page, statements) in [
        (
            "/account signed in, rendered on every request (vs pgbench running its two statements: the database alone)",
            &results.account_rendered,
            &results.account_statements,
        ),
        (
            "/dashboard signed in, rendered on every request (vs the same)",
            &results.dashboard_rendered,
            &results.dashboard_statements,
        ),
    ] {
        rows.push(match (page, statements) {
            (Some(page), Some(statements)) => Row {
                ceiling: load(statements),
                ratio: format!("{:.2}×", page.rps / statements.rps),
                ..Row::new(what, load(page))
            },
            _ => Row::new(what, "not measured".to_owned()),
        });
    }
    rows.push(versus(
        "GET /api/reports metered (each call counted in Postgres before it runs), 32 connections (vs the same call on a plan that does not meter it)",
        &results.reports_metered,
        &results.reports_unmetered,
        0.5,
        None,
    ));
    let repeated = |run: &Option<Run>, new: u64| {
        run.as_ref()
            .filter(|run| run.requests > 0)
            .map_or(0.0, |run| {
                100.0 * run.requests.saturating_sub(new) as f64 / run.requests as f64
            })
    };
    rows.push(versus(
        &format!(
            "Webhook accept: signed `customer.subscription.updated` events, verified and recorded in the inbox, 32 connections, {:.0} % of requests repeating an event (vs pgbench: the same insert)",
            repeated(&results.webhooks, results.webhook_events_new)
        ),
        &results.webhooks,
        &results.pgbench,
        0.7,
        None,
    ));
    rows.push(versus(
        &format!(
            "Webhook accept: a type recorded as applied (nothing for the workers), 32 connections, {:.0} % repeating (vs pgbench: the same insert)",
            repeated(&results.webhooks_recorded, results.recorded_events_new)
        ),
        &results.webhooks_recorded,
        &results.pgbench,
        0.7,
        None,
    ));
    rows.push(apply_row(results.apply.as_ref()));
    if let Some(first) = &results.first_load {
        let files = first["files"].as_object().cloned().unwrap_or_default();
        let sum = |encoding: &str| -> u64 {
            files
                .values()
                .filter_map(|file| file[encoding].as_u64())
                .sum()
        };
        let br = sum("br");
        let wasm_files = files.keys().filter(|path| path.ends_with(".wasm")).count();
        rows.push(Row {
            goal: "≤ 15 KB brotli, no WASM".to_owned(),
            met: Some(br <= 15 * 1024 && wasm_files == 0),
            ..Row::new(
                "/pricing first load: every file",
                format!(
                    "{:.1} KB raw · {:.1} KB gzip · {:.1} KB brotli ({} files, {wasm_files} of them WASM)",
                    kb(sum("raw")),
                    kb(sum("gzip")),
                    kb(br),
                    files.len()
                ),
            )
        });
        for (profile, numbers) in first["profiles"].as_object().into_iter().flatten() {
            let shift = numbers["layout_shift"].as_f64().unwrap_or(f64::NAN);
            rows.push(Row {
                goal: "layout shift 0".to_owned(),
                met: Some(shift == 0.0),
                ..Row::new(
                    &format!("/pricing time to interactive in Chromium, phone width ({profile})"),
                    format!(
                        "{:.0} ms median of {} cold loads · layout shift {shift} at most",
                        numbers["interactive_ms"].as_f64().unwrap_or_default(),
                        first["runs"]
                    ),
                )
            });
        }
    }
    rows.push(Row::new(
        "Server memory (RSS): idle · peak under the /pricing loads",
        format!(
            "{:.1} MB · {:.1} MB",
            results.rss_idle_mb, results.rss_peak_mb
        ),
    ));
    rows.push(Row::new(
        "Start-up to first /readyz 200: fresh database (migrations) · again",
        format!(
            "{:.0} ms · {:.0} ms",
            results.startup_fresh_ms, results.startup_warm_ms
        ),
    ));
    if let Some(emulator) = &results.emulator {
        rows.push(Row::new(
            "Emulator API call, in-process over HTTP keep-alive",
            format!(
                "median {:.0} µs · p99 {:.0} µs ({} calls)",
                emulator["median_us"].as_f64().unwrap_or_default(),
                emulator["p99_us"].as_f64().unwrap_or_default(),
                emulator["calls"]
            ),
        ));
    }
    rows
}

/// The workers' row: throughput with Stripe's latency, its lag, and its bound (every worker
/// waiting on Stripe all the time).
fn apply_row(apply: Option<&Apply>) -> Row {
    let what = format!(
        "Webhook apply with {} ms ± {} ms Stripe latency: the events accepted above, {} workers, lag from accept to applied",
        super::webhooks::STRIPE_LATENCY_MS,
        super::webhooks::STRIPE_JITTER_MS,
        super::webhooks::WORKERS,
    );
    let Some(apply) = apply else {
        return Row::new(&what, "not measured".to_owned());
    };
    let bound =
        f64::from(super::webhooks::WORKERS) * 1000.0 / super::webhooks::STRIPE_LATENCY_MS as f64;
    let left = if apply.left > 0 {
        format!(
            " · **{} not applied** after {:.0} s",
            apply.left, apply.waited_s
        )
    } else {
        String::new()
    };
    Row {
        ceiling: format!("{bound:.0}/s (each worker waiting on one Stripe call at a time)"),
        ratio: format!("{:.2}×", apply.per_second / bound),
        ..Row::new(
            &what,
            format!(
                "{:.0}/s ({} events) · lag p50 {:.0} ms · p99 {:.0} ms{left}",
                apply.per_second, apply.events, apply.lag_p50_ms, apply.lag_p99_ms
            ),
        )
    }
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| measure | result | ceiling (same run) | ratio | goal | met |\n|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.what, row.figure, row.ceiling, row.ratio, row.goal, met
        ));
    }
    out
}

/// Prints the table and writes `BENCHMARKS.md` and `BENCHMARKS.json` at the workspace root.
pub fn write(root: &Path, results: &Results) -> Result<()> {
    let rows = rows(results);
    let table = table(&rows);
    let (date, machine, commit) = (
        provenance::date(),
        provenance::machine(),
        provenance::commit(root),
    );
    println!("\n{table}");
    let met = rows.iter().filter(|row| row.met == Some(true)).count();
    let goals = rows.iter().filter(|row| row.met.is_some()).count();
    println!("{met} of {goals} goals met. Written to BENCHMARKS.md and BENCHMARKS.json.");
    let markdown = format!(
        "# Benchmarks\n\n\
         Measured by `cargo xtask bench` on {date} at commit {commit}, on {machine}.\n\n\
         Release binaries (server at `opt-level = 3`, the size-optimised WASM), a fresh database \
         in the project's local PostgreSQL cluster (`fsync=off`, as in development and tests), \
         the Stripe emulator, and Debian's `wrk` (2 threads, {secs} s per run, after a 2 s warm-up \
         for the pages) on the same 2 cores as the server. Absolute numbers drift on shared \
         machines; each figure stands next to its ceiling from the same run.\n\n\
         {table}\n\
         {met} of {goals} goals met. The pricing page is {bytes} bytes of HTML.\n\n\
         ## What each line measures\n\n\
         - **/pricing**: what an anonymous visitor gets — the page rendered once per catalog \
           change and served from memory (`server/src/page_cache.rs`) with a fresh CSP nonce, \
           through the outer middleware (tracing, compression, security headers, the CSP). \
           \"Rendered on every request\": the same page with a cookie, which the cache leaves to \
           Leptos (session layer, user lookup, the full render from the in-memory catalog). The \
           ceiling is `GET /bench/ceiling`, a plain axum handler in the same binary behind the \
           same outer layers (enabled only by `BENCH_CEILING_FILE`) answering the same bytes. \
           wrk asks for no compression, so every answer here is uncompressed.\n\
         - **Signed-in pages**: a Pro subscriber's session cookie, after a 2 s warm-up, once the \
           webhook load's account (all {subs} of its subscriptions: a skew no real database has, \
           which would make Postgres scan them for every user) is deleted. \"Reloaded\": the \
           same request again and again, as a user reloading gets it — the page the server \
           kept for that session (`SIGNED_IN_PAGE_CACHE_SECONDS`, default 10 s) until a change \
           to the account is announced, with a fresh nonce. \"Rendered on every request\": a \
           cookie that differs per request (`xtask/bench/rendered.lua`) keeps the page cache out: \
           two round trips to Postgres (the session with its account; what the page shows) and \
           the Leptos render, what the first view after any change costs. The ceilings: the \
           plain handler's 32-connection run above, and `pgbench` running the page's two \
           statements — the \
           session with its account, then the page's own — taken from sqlx's query cache \
           (`.sqlx/`) with the subscriber's ids, 32 clients: what the database alone allows on \
           the same cores.\n\
         - **Metered call**: `GET /api/reports` with the Pro subscriber's cookie, after a 2 s \
           warm-up, first as Pro is (the API included, not metered: the session, the \
           entitlement, the answer), then once Pro's product says `metered=reports_generated` \
           with no limit (set in the emulator, mirrored by its webhook): the same call plus the \
           usage terms read and the use counted — check, reserve and record in one statement \
           (`usage_meter`) under the period's counter row, which the 32 connections' calls take \
           in turns (on the replica, then in Postgres), as one customer's calls do. The \
           background reporter sends the counted uses to the emulator meanwhile.\n\
         - **Webhook accept**: what `POST /webhooks/stripe` does — verify the signature, then \
           one statement recording the event with its body in the inbox (`stripe_events`) and \
           announcing it to the workers — for signed `customer.subscription.updated` events \
           about {subs} subscriptions (the file repeats a fifth of its events; the row says the \
           share of requests that were repeats), and for a type the app records as applied \
           without queueing it. The ceiling is `pgbench` running the same insert and \
           `pg_notify` with a body of the same size (`xtask/bench/ingest.sql`), with as many \
           clients on the same database and the server stopped.\n\
         - **Webhook apply**: from the accept runs on, the emulator answers every API call after \
           {latency} ms ± {jitter} ms, as Stripe's round trip does (`POST /_emulator/latency`; the \
           setup before and the rows after run without it). The benchmark waits until the workers have applied every queued event (each \
           re-fetches its subscription from the emulator holding no connection, then stores \
           it), then reads from `stripe_events`: events applied ÷ (last `applied_at` − first \
           `received_at`), and the p50/p99 of `applied_at − received_at` — the lag of a burst \
           accepted in {secs} s, so it grows with the burst. The bound is every worker waiting \
           on one Stripe call at a time. The emulator delivers with Stripe's 10 s timeout and \
           live-mode retries.\n\
         - **First load**: `end2end/measure/first-load.mjs` — every file of a cold `/pricing` load \
           fetched as identity, gzip and brotli; over 5 cold loads at 390 px, unthrottled and on a \
           simulated slow phone, the median time until the load event has finished (no page \
           loads a script, so nothing is left to run) and the largest cumulative layout shift \
           (a `layout-shift` PerformanceObserver registered before the first byte, read a \
           second after load).\n\
         - **Memory**: `/proc/<pid>/status` `VmRSS` two seconds after start-up, and `VmHWM` after \
           the /pricing loads.\n\
         - **Start-up**: from spawning `server serve` to the first `/readyz` 200.\n\
         - **Emulator**: `cargo run --release -p stripe-emulator --example latency`.\n\n\
         Reproduce: `cargo xtask bench` (it builds the release binaries first).\n",
        secs = super::load::DURATION.as_secs(),
        bytes = results.pricing_bytes,
        subs = super::SUBSCRIPTIONS,
        latency = super::webhooks::STRIPE_LATENCY_MS,
        jitter = super::webhooks::STRIPE_JITTER_MS,
    );
    fs::write(root.join("BENCHMARKS.md"), markdown)?;
    let document = json!({
        "date": date,
        "commit": commit,
        "machine": machine,
        "results": results,
    });
    fs::write(
        root.join("BENCHMARKS.json"),
        serde_json::to_string_pretty(&document)? + "\n",
    )?;
    Ok(())
}

/// Bytes as kilobytes (1024), for sizes small enough that a tenth matters.
fn kb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}
