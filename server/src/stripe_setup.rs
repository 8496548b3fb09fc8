//! `server stripe setup [--dry-run] [--write-env FILE]`: makes the Stripe account ready for this
//! deployment ([`backend::go_live::setup`]) and prints one line per thing. New endpoints' signing
//! secrets are printed once, or written to `FILE` (mode 0600) as `NAME=value` lines.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::Context;
use backend::go_live::{setup, Settings};

/// Runs the setup and reports it.
pub async fn run(
    settings: Settings,
    dry_run: bool,
    write_env: Option<PathBuf>,
) -> anyhow::Result<()> {
    println!(
        "Setting up Stripe at {} for {}{}",
        settings.stripe.api_base,
        settings.base_url,
        if dry_run {
            " (dry run: nothing is changed)"
        } else {
            ""
        }
    );
    let report = setup::run(&settings, dry_run)
        .await
        .context("setting up Stripe")?;
    println!(
        "  Stripe key: {} (account {})",
        report.mode.describe(),
        report.account.id
    );
    for line in &report.lines {
        println!("  {line}");
    }
    if report.catalog.sellable() {
        println!("  catalog: ✓ {}", report.catalog.summary());
    }
    for problem in report.catalog.problems() {
        println!("  catalog: ✗ {problem}");
    }
    if !report.secrets.is_empty() {
        let pairs: Vec<(&str, &str)> = report
            .secrets
            .iter()
            .map(|new| (new.variable, new.secret.reveal()))
            .collect();
        match &write_env {
            Some(path) => {
                write_env_file(path, &pairs).with_context(|| {
                    format!("writing the signing secrets to {}", path.display())
                })?;
                for (name, _) in &pairs {
                    println!(
                        "  wrote {name} to {} (mode 0600): restart the server with it",
                        path.display()
                    );
                }
            }
            None => {
                println!("Stripe shows these signing secrets only now; set them in the server's environment:");
                for (name, value) in &pairs {
                    println!("  {name}={value}");
                }
            }
        }
    }
    if dry_run {
        println!("Dry run: nothing was changed.");
    }
    if !report.catalog.sellable() {
        anyhow::bail!("the catalog cannot be sold yet: fix what the ✗ lines say");
    }
    Ok(())
}

/// Sets `NAME=value` for each pair in the env file at `path`: an existing line for a name is
/// replaced (later duplicates dropped), other lines are kept, missing names are appended. The
/// file is written whole to a neighbour with mode 0600, then renamed over it.
pub fn write_env_file(path: &Path, pairs: &[(&str, &str)]) -> std::io::Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error),
    };
    let text = with_variables(&existing, pairs);
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "env".to_owned());
    let temporary = path.with_file_name(format!(".{file_name}.tollgate-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)
}

/// The env file's text with each pair set.
fn with_variables(existing: &str, pairs: &[(&str, &str)]) -> String {
    let name_of = |line: &str| -> Option<String> {
        let line = line.trim_start();
        let line = line.strip_prefix("export ").unwrap_or(line);
        line.split_once('=').map(|(name, _)| name.trim().to_owned())
    };
    let mut written = Vec::new();
    let mut lines = Vec::new();
    for line in existing.lines() {
        match name_of(line).and_then(|name| pairs.iter().find(|(wanted, _)| *wanted == name)) {
            Some((name, value)) => {
                if !written.contains(name) {
                    lines.push(format!("{name}={value}"));
                    written.push(*name);
                }
            }
            None => lines.push(line.to_owned()),
        }
    }
    for (name, value) in pairs {
        if !written.contains(name) {
            lines.push(format!("{name}={value}"));
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::with_variables;

    #[test]
    fn setting_variables_replaces_their_lines_and_keeps_the_rest() {
        let existing = "# Tollgate\nDATABASE_URL=postgres://x\nSTRIPE_WEBHOOK_SECRET=whsec_old\nexport STRIPE_WEBHOOK_SECRET=whsec_older\n";
        let text = with_variables(
            existing,
            &[
                ("STRIPE_WEBHOOK_SECRET", "whsec_new"),
                ("STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_connect"),
            ],
        );
        assert_eq!(
            text,
            "# Tollgate\nDATABASE_URL=postgres://x\nSTRIPE_WEBHOOK_SECRET=whsec_new\nSTRIPE_CONNECT_WEBHOOK_SECRET=whsec_connect\n"
        );
        assert_eq!(with_variables("", &[("A", "1")]), "A=1\n");
    }
}
