//! Progress output and small process helpers shared by the tasks.

use std::{
    process::{Command, ExitStatus},
    time::Instant,
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
