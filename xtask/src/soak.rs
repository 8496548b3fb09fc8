//! `cargo xtask soak`: the reliability suite at full size (a 10,000-event storm across two
//! replicas, a longer database outage, a thousand concurrent checkouts, more users under Stripe
//! faults) with the emulator answering as slowly as Stripe does, then the fuzz targets for a
//! fixed number of runs each. Prints a summary table and writes it to `RELIABILITY.md` with the
//! date, the machine and the commit.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::Stdio,
};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::{
    fuzz,
    postgres::Postgres,
    provenance,
    step::{self, cargo, step},
    tools::{self, Needs},
};

/// The sizes `cargo xtask soak` runs the reliability tests at (`cargo xtask test` uses the small
/// defaults written in the tests).
const SIZES: [(&str, &str); 8] = [
    ("SOAK_STORM_EVENTS", "10000"),
    ("SOAK_STORM_SUBSCRIPTIONS", "500"),
    ("SOAK_OUTAGE_EVENTS", "3000"),
    ("SOAK_OUTAGE_SUBSCRIPTIONS", "150"),
    ("SOAK_OUTAGE_SECONDS", "6"),
    ("SOAK_CHECKOUT_CLICKS", "1000"),
    ("SOAK_FAULT_USERS", "40"),
    ("SOAK_SHUTDOWN_WORKERS", "32"),
];

/// Stripe's round trip, which the emulator of every reliability test imitates in the soak: each
/// API call answered after 150 ms ± 50 ms (`cargo xtask test` answers at once).
const STRIPE_LATENCY: [(&str, &str); 2] = [
    ("RELIABILITY_STRIPE_LATENCY_MS", "150"),
    ("RELIABILITY_STRIPE_JITTER_MS", "50"),
];

/// Inputs each fuzz target is given.
const FUZZ_RUNS: u64 = 200_000;

/// One test's name and whether it passed.
struct Outcome {
    test: String,
    passed: bool,
}

pub fn run(root: &Path) -> Result<()> {
    tools::ensure(root, Needs::Dev)?;
    let pg = step("Starting the local PostgreSQL cluster", || {
        Postgres::ensure(root)
    })?;
    let figures_file = root.join("target/soak/figures.jsonl");
    let outcomes = step("Reliability tests at soak size", || {
        reliability(root, &pg, &figures_file)
    });
    pg.stop_if_started_here();
    let outcomes = outcomes?;
    let scenarios = std::fs::read_to_string(&figures_file)
        .unwrap_or_default()
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<Vec<Value>, _>>()
        .context("reading the figures the tests wrote")?;
    let fuzzed = step("Fuzzing webhook signatures and event decoding", || {
        fuzz::run(root, FUZZ_RUNS)
    })?;
    write(root, &scenarios, &outcomes, &fuzzed)?;
    if outcomes.iter().any(|outcome| !outcome.passed) {
        bail!("a reliability test failed; see the table above");
    }
    if fuzzed.iter().any(|target| target.crashes > 0) {
        bail!("a fuzz target crashed; the input is kept under fuzz/artifacts/");
    }
    Ok(())
}

/// Runs `server`'s reliability tests one at a time at soak size with Stripe's latency, echoing
/// their output; each appends its figures to `figures_file`.
fn reliability(root: &Path, pg: &Postgres, figures_file: &Path) -> Result<Vec<Outcome>> {
    std::fs::create_dir_all(figures_file.parent().expect("a directory"))?;
    let _ = std::fs::remove_file(figures_file);
    let mut command = cargo(root);
    command
        .args(["test", "--package", "server", "--test", "api", "--locked"])
        .args(["--", "reliability::", "--test-threads=1"])
        .env("DATABASE_URL", pg.url("postgres"))
        .env("SOAK_FIGURES_FILE", figures_file)
        // The outage test stops and starts the real cluster through this (nothing else runs then).
        .env("SOAK_PG_OUTAGE", std::env::current_exe()?)
        .envs(SIZES)
        .envs(STRIPE_LATENCY)
        .stdout(Stdio::piped());
    let mut child = command
        .spawn()
        .with_context(|| format!("could not start `{}`", step::describe(&command)))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut outcomes = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some(outcome) = test_result(&line) {
            outcomes.push(outcome);
        }
    }
    let status = child.wait()?;
    if outcomes.is_empty() {
        bail!("no reliability test ran");
    }
    if !status.success() && outcomes.iter().all(|outcome| outcome.passed) {
        bail!("the reliability tests failed ({status}) without naming a failed test");
    }
    Ok(outcomes)
}

/// `test reliability::storm::name ... ok` (or `FAILED`).
fn test_result(line: &str) -> Option<Outcome> {
    let rest = line.strip_prefix("test ")?;
    let (test, result) = rest.rsplit_once(" ... ")?;
    let passed = match result.trim() {
        "ok" => true,
        "FAILED" => false,
        _ => return None,
    };
    Some(Outcome {
        test: test.to_owned(),
        passed,
    })
}

/// Prints the summary and writes `RELIABILITY.md`.
fn write(
    root: &Path,
    scenarios: &[Value],
    outcomes: &[Outcome],
    fuzzed: &[fuzz::Fuzzed],
) -> Result<()> {
    let mut table = String::from(
        "| scenario | load held | faults injected | checked | mismatches |\n|---|---|---|---|---|\n",
    );
    for scenario in scenarios {
        let figures = &scenario["figures"];
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            scenario["test"].as_str().unwrap_or("?"),
            load_held(figures),
            faults(figures),
            checked(figures),
            figures["mismatches"]
                .as_u64()
                .map_or("—".to_owned(), |n| n.to_string()),
        ));
    }
    for target in fuzzed {
        table.push_str(&format!(
            "| fuzz `{}` | {} inputs in {:.0} s | arbitrary bytes | panics and sanitizer errors | {} |\n",
            target.name, target.runs, target.seconds, target.crashes
        ));
    }
    let passed = outcomes.iter().filter(|outcome| outcome.passed).count();
    let mut tests = String::new();
    for outcome in outcomes {
        tests.push_str(&format!(
            "- {} `{}`\n",
            if outcome.passed {
                "passed"
            } else {
                "**FAILED**"
            },
            outcome.test
        ));
    }
    let sizes = SIZES
        .iter()
        .map(|(name, value)| format!("`{name}={value}`"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "\n{table}\n{passed} of {} reliability tests passed.",
        outcomes.len()
    );
    let markdown = format!(
        "# Reliability\n\n\
         Measured by `cargo xtask soak` on {date} at commit {commit}, on {machine}.\n\n\
         {table}\n\
         {passed} of {total} reliability tests passed at soak size ({sizes}), the emulator \
         answering every API call after {latency} ms ± {jitter} ms as Stripe does:\n\n{tests}\n\
         The same tests run in `cargo xtask test` at their smaller default sizes (the fuzz targets \
         only here). What each one does is in the \"Reliability\" section of ARCHITECTURE.md.\n",
        date = provenance::date(),
        commit = provenance::commit(root),
        machine = provenance::machine(),
        total = outcomes.len(),
        latency = STRIPE_LATENCY[0].1,
        jitter = STRIPE_LATENCY[1].1,
    );
    std::fs::write(root.join("RELIABILITY.md"), markdown)?;
    Ok(())
}

/// The load column: events and their rate, or clicks, or users.
fn load_held(figures: &Value) -> String {
    if let Some(events) = figures["events"].as_u64() {
        let deliveries = figures["deliveries"].as_u64().unwrap_or(0);
        let mut text = format!("{events} events, {deliveries} deliveries");
        if let Some(rate) = figures["events_per_second"].as_u64() {
            text.push_str(&format!(", {rate} events/s"));
        }
        if let Some(replicas) = figures["replicas"].as_u64() {
            text.push_str(&format!(", {replicas} replicas"));
        }
        return text;
    }
    if let Some(webhooks) = figures["webhooks_answered"].as_u64() {
        return format!(
            "{webhooks} webhooks and {} pages from {} workers",
            figures["pages_answered"].as_u64().unwrap_or(0),
            figures["workers"].as_u64().unwrap_or(0)
        );
    }
    if let Some(clicks) = figures["clicks"].as_u64() {
        return format!("{clicks} concurrent requests");
    }
    if let Some(users) = figures["users"].as_u64() {
        return format!("{users} users through checkout and portal");
    }
    "one request".to_owned()
}

/// The faults column.
fn faults(figures: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(injected) = figures["faults_injected"].as_object() {
        let total: u64 = injected.values().filter_map(Value::as_u64).sum();
        parts.push(format!("{total} Stripe API faults"));
    }
    if let Some(duplicates) = figures["answered_duplicate"].as_u64() {
        parts.push(format!("{duplicates} duplicate deliveries"));
    }
    let retried = figures["answered_5xx_then_retried"].as_u64().unwrap_or(0)
        + figures["unanswered_then_retried"].as_u64().unwrap_or(0);
    if retried > 0 {
        parts.push(format!(
            "{retried} deliveries failed ({} answered 5xx, {} unanswered) and were retried",
            figures["answered_5xx_then_retried"].as_u64().unwrap_or(0),
            figures["unanswered_then_retried"].as_u64().unwrap_or(0)
        ));
    }
    if let Some(seconds) = figures["outage_seconds"].as_u64() {
        parts.push(format!("database down {seconds} s"));
    }
    if figures["timeout_seconds"].is_u64() {
        parts.push("Stripe never answers".to_owned());
    }
    if figures["webhooks_answered"].is_u64() {
        parts.push("SIGTERM mid-load".to_owned());
    }
    if parts.is_empty() {
        "—".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The "checked" column.
fn checked(figures: &Value) -> String {
    if let Some(rows) = figures["subscriptions_compared"].as_u64() {
        return format!("{rows} subscriptions and every event against Stripe");
    }
    if let Some(customers) = figures["stripe_customers"].as_u64() {
        let count = |name: &str| figures[name].as_u64().unwrap_or(0);
        return format!(
            "{customers} Stripe customer(s) made; answers: {} sent to Checkout, {} told to try \
             again, {} told busy, {} other",
            count("sent_to_checkout"),
            count("told_to_try_again"),
            count("told_busy"),
            count("other_answers"),
        );
    }
    if figures["users"].is_u64() {
        return "one customer, subscription and charge per user".to_owned();
    }
    if figures["webhooks_answered"].is_u64() {
        return format!(
            "applied ⇔ answered 200; {} answers cut off",
            figures["cut_mid_request"].as_u64().unwrap_or(0)
        );
    }
    if let Some(seconds) = figures["checkout_gave_up_after_seconds"].as_f64() {
        return format!(
            "checkout gave up after {seconds} s ({} tries); pricing and /readyz up",
            figures["customer_attempts"].as_u64().unwrap_or(0)
        );
    }
    "—".to_owned()
}

#[cfg(test)]
mod tests {
    use super::test_result;

    #[test]
    fn reads_libtest_result_lines() {
        let ok = test_result("test reliability::storm::a_storm ... ok").unwrap();
        assert_eq!(
            (ok.test.as_str(), ok.passed),
            ("reliability::storm::a_storm", true)
        );
        assert!(
            !test_result("test reliability::x ... FAILED")
                .unwrap()
                .passed
        );
        assert!(test_result("running 4 tests").is_none());
        assert!(test_result("test result: ok. 4 passed").is_none());
    }
}
