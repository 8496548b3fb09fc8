//! The fuzz targets in `fuzz/` (the webhook signature check and the event decoder), run with
//! cargo-fuzz on the nightly toolchain for a fixed number of inputs each by `cargo xtask soak`.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
    time::Instant,
};

use anyhow::{bail, Context, Result};

use crate::{
    step::{self, note},
    tools,
};

/// The targets, as named in `fuzz/Cargo.toml`.
const TARGETS: [&str; 2] = ["webhook_signature", "event_decoder"];

/// One target's run.
pub struct Fuzzed {
    pub name: &'static str,
    /// Inputs tried.
    pub runs: u64,
    pub seconds: f64,
    /// Inputs that crashed it (kept under `fuzz/artifacts/`).
    pub crashes: u64,
}

/// Runs every target for `runs` inputs. A crash is counted (the table shows it, and the soak
/// fails after writing it); a target that could not be built or started is an error.
pub fn run(root: &Path, runs: u64) -> Result<Vec<Fuzzed>> {
    tools::ensure_cargo_fuzz()?;
    // Built first in the open (the backend crate with sanitizers: minutes the first time).
    note("building the fuzz targets with nightly (a few minutes the first time)");
    step::run(&mut fuzz_command(root, "build"))?;
    let mut results = Vec::new();
    for name in TARGETS {
        note(format!("fuzzing {name} for {runs} inputs"));
        let started = Instant::now();
        let mut child = fuzz_command(root, "run")
            .arg(name)
            .args(["--", &format!("-runs={runs}"), "-max_len=8192"])
            .stderr(Stdio::piped())
            .spawn()
            .context("could not start `cargo +nightly fuzz run`")?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let (mut done, mut crashed) = (None, false);
        for line in BufReader::new(stderr).lines() {
            let line = line?;
            // libFuzzer's last word: "Done 200000 runs in 14 second(s)".
            if let Some(count) = line
                .strip_prefix("Done ")
                .and_then(|rest| rest.split_whitespace().next())
            {
                done = count.parse().ok();
            }
            // A sanitizer report, a deadly signal or a panic; libFuzzer saves the input.
            if line.starts_with("==") || line.contains("panicked") || line.contains("deadly signal")
            {
                crashed = true;
            }
            if crashed || line.starts_with("Done ") || line.starts_with("error") {
                eprintln!("{line}");
            }
        }
        let status = child.wait()?;
        if done.is_none() && !crashed {
            bail!("fuzzing {name} did not run ({status}); see the output above");
        }
        results.push(Fuzzed {
            name,
            runs: done.unwrap_or(0),
            seconds: started.elapsed().as_secs_f64(),
            crashes: u64::from(crashed || !status.success()),
        });
    }
    Ok(results)
}

/// `cargo +nightly fuzz VERB` for `fuzz/`, built under `target/fuzz`; cargo-fuzz sets its own
/// flags, and the sqlx queries compile from the committed offline data.
fn fuzz_command(root: &Path, verb: &str) -> Command {
    let mut command = Command::new("cargo");
    command
        .args(["+nightly", "fuzz", verb, "--target-dir"])
        .arg(root.join("target/fuzz"))
        .current_dir(root.join("fuzz"))
        .env_remove("RUSTFLAGS")
        .env("SQLX_OFFLINE", "true")
        .env("SQLX_OFFLINE_DIR", root.join(".sqlx"));
    command
}
