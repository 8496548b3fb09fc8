//! Where a measurement comes from: the date, the machine and the commit, for the reports
//! `cargo xtask bench` and `cargo xtask soak` write.

use std::{fs, path::Path, process::Command};

use crate::step;

/// Now, in UTC, to the minute.
pub fn date() -> String {
    step::output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The machine: CPU model, cores, memory, kernel.
pub fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, model)| model.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory_gb = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let kernel = step::output(Command::new("uname").arg("-r")).unwrap_or_default();
    format!(
        "{model}, {cores} cores, {memory_gb:.0} GiB RAM, Linux {}",
        kernel.trim()
    )
}

/// The short hash of `HEAD`, marked when the tree has uncommitted changes.
pub fn commit(root: &Path) -> String {
    let hash = step::output(
        Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .current_dir(root),
    )
    .unwrap_or_default();
    let dirty = step::output(
        Command::new("git")
            .args(["status", "--porcelain"])
            .current_dir(root),
    )
    .is_some_and(|status| !status.trim().is_empty());
    format!(
        "{}{}",
        hash.trim(),
        if dirty {
            " (with uncommitted changes)"
        } else {
            ""
        }
    )
}
