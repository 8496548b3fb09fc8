//! Progress output and small process helpers shared by the tasks.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

/// Runs `f` as a named step: announces it, times it, and names it if it fails.
pub fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("\n==> {name}");
    let started = Instant::now();
    let result = f().with_context(|| format!("step failed: {name}"));
    let took = started.elapsed().as_secs_f64();
    match &result {
        Ok(_) => println!("    ✓ {name} ({took:.1} s)"),
        Err(_) => println!("    ✗ {name} ({took:.1} s)"),
    }
    result
}

/// Prints a line of detail under the current step.
pub fn note(message: impl AsRef<str>) {
    println!("    {}", message.as_ref());
}

/// Runs a command to completion, failing unless it exits successfully.
pub fn run(command: &mut Command) -> Result<()> {
    let status = status(command)?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(command));
    }
    Ok(())
}

/// How a command run with a time limit ended.
#[derive(Debug)]
pub enum Finished {
    Succeeded,
    Failed(ExitStatus),
    /// It ran past the limit and was killed.
    TimedOut,
}

/// Runs a command, killing it if it is still running after `limit`.
pub fn run_within(command: &mut Command, limit: Duration) -> Result<Finished> {
    let mut child = command
        .spawn()
        .with_context(|| format!("could not start `{}`", describe(command)))?;
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(if status.success() {
                Finished::Succeeded
            } else {
                Finished::Failed(status)
            });
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Finished::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs a command to completion and returns its exit status.
pub fn status(command: &mut Command) -> Result<ExitStatus> {
    command
        .status()
        .with_context(|| format!("could not start `{}`", describe(command)))
}

/// Runs a command and returns its standard output, or `None` if it cannot start or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `cargo metadata` for the workspace's own packages (no dependencies), as JSON text.
pub fn workspace_metadata(root: &Path) -> Result<String> {
    output(
        Command::new("cargo")
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(root),
    )
    .context("`cargo metadata` failed")
}

/// `program arg arg…`, for messages.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether this process runs as root (Postgres refuses to; apt needs it).
pub fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0")
}

/// `cargo` in the workspace, building offline against `.sqlx/` so builds never need a database,
/// with the flags `cargo leptos build` (dev) uses, so clippy, the tests and the end-to-end server
/// share one set of compiled dependencies instead of rebuilding them for each.
pub fn cargo(root: &Path) -> Command {
    let mut command = Command::new("cargo");
    command
        .current_dir(root)
        .env("SQLX_OFFLINE", "true")
        // cargo-leptos compiles dev builds with this flag (LEPTOS_OUTPUT_NAME, which it also
        // sets, comes from .cargo/config.toml).
        .env("RUSTFLAGS", "--cfg erase_components");
    command
}

/// Tests counted from the runners' own summary lines, for the closing `N passed, N failed`.
#[derive(Debug, Default)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
}

impl Tally {
    /// Runs `command`, echoing its standard output while `parse` picks `(passed, failed)` counts
    /// out of each line; fails unless the command succeeds.
    pub fn run(
        &mut self,
        command: &mut Command,
        parse: fn(&str) -> Option<(u64, u64)>,
    ) -> Result<()> {
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("could not start `{}`", describe(command)))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            if let Some((passed, failed)) = parse(&line) {
                self.passed += passed;
                self.failed += failed;
            }
        }
        let status = child.wait()?;
        if !status.success() {
            bail!("`{}` failed ({status})", describe(command));
        }
        Ok(())
    }
}

/// `test result: ok. 9 passed; 0 failed; …` (libtest).
pub fn libtest_counts(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    Some((
        count_before(rest, " passed")?,
        count_before(rest, " failed")?,
    ))
}

/// `  5 passed (4.5s)` / `  1 failed` (Playwright's list reporter).
pub fn playwright_counts(line: &str) -> Option<(u64, u64)> {
    let mut words = line.split_whitespace();
    let n = words.next()?.parse().ok()?;
    match words.next()? {
        "passed" => Some((n, 0)),
        "failed" => Some((0, n)),
        _ => None,
    }
}

/// `triggers: 36 passed, 0 failed` (a plain closing line, one word and a colon before it).
pub fn summary_counts(line: &str) -> Option<(u64, u64)> {
    let (_, rest) = line.trim().split_once(": ")?;
    let (passed, failed) = rest.split_once(", ")?;
    Some((
        passed.strip_suffix(" passed")?.parse().ok()?,
        failed.strip_suffix(" failed")?.parse().ok()?,
    ))
}

/// The number just before `label` in `text`.
/// Reads node's test runner summary (`# pass 12`, `# fail 1`).
pub fn node_test_counts(line: &str) -> Option<(u64, u64)> {
    let mut words = line.split_whitespace();
    if words.next()? != "#" {
        return None;
    }
    let label = words.next()?;
    let n = words.next()?.parse().ok()?;
    match label {
        "pass" => Some((n, 0)),
        "fail" => Some((0, n)),
        _ => None,
    }
}

fn count_before(text: &str, label: &str) -> Option<u64> {
    let before = &text[..text.find(label)?];
    before
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_past_its_limit_is_stopped_and_one_within_it_reports_how_it_ended() {
        let slow = run_within(Command::new("sleep").arg("30"), Duration::from_millis(300)).unwrap();
        assert!(matches!(slow, Finished::TimedOut));

        assert!(matches!(
            run_within(&mut Command::new("true"), Duration::from_secs(30)).unwrap(),
            Finished::Succeeded
        ));
        assert!(matches!(
            run_within(&mut Command::new("false"), Duration::from_secs(30)).unwrap(),
            Finished::Failed(_)
        ));
    }

    #[test]
    fn libtest_summaries_are_counted() {
        assert_eq!(
            libtest_counts("test result: ok. 9 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.30s"),
            Some((9, 0))
        );
        assert_eq!(
            libtest_counts("test result: FAILED. 7 passed; 1 failed; 0 ignored"),
            Some((7, 1))
        );
        assert_eq!(libtest_counts("test config::tests::a ... ok"), None);
    }

    #[test]
    fn node_test_summaries_are_counted() {
        assert_eq!(node_test_counts("# pass 12"), Some((12, 0)));
        assert_eq!(node_test_counts("# fail 1"), Some((0, 1)));
        assert_eq!(node_test_counts("# todo 2"), None);
        assert_eq!(node_test_counts("ok 1 - pass 3"), None);
    }

    #[test]
    fn plain_summaries_are_counted() {
        assert_eq!(
            summary_counts("triggers: 36 passed, 0 failed"),
            Some((36, 0))
        );
        assert_eq!(summary_counts("triggers: 3 passed, 2 failed"), Some((3, 2)));
        assert_eq!(summary_counts("ok   invoice.paid (1.2 s)"), None);
        assert_eq!(
            summary_counts("FAIL invoice.paid: Trigger failed: 3 passed, 2 failed"),
            None
        );
    }

    #[test]
    fn playwright_summaries_are_counted() {
        assert_eq!(playwright_counts("  5 passed (4.5s)"), Some((5, 0)));
        assert_eq!(playwright_counts("  2 failed"), Some((0, 2)));
        assert_eq!(
            playwright_counts("  ✘  2 [chromium] › tests/home.spec.ts:8:3"),
            None
        );
    }
}
