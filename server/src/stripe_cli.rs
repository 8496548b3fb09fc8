//! `server stripe sync`, `server stripe seed [FILE]`, `server stripe replay --since WHEN`,
//! `server stripe failing`, `server stripe retry`, `server stripe verify`,
//! `server stripe contract` (in [`crate::stripe_contract`]) and `server stripe setup` (in
//! [`crate::stripe_setup`]): talk to
//! the configured Stripe (or the emulator) from the command line, printing each step.

use std::path::PathBuf;

use anyhow::Context;
use backend::{billing, AppState, Config};
use clap::Subcommand;

/// Stripe operations.
#[derive(Debug, Subcommand)]
pub enum StripeCommand {
    /// Make the database match Stripe: every product and price (removing what Stripe no longer
    /// has), every customer's subscriptions and invoices, and the console's charges, refunds,
    /// disputes, payouts, balance transactions and balance.
    Sync,
    /// Apply Stripe's events since a moment, oldest first (after a webhook outage). Events
    /// applied before are re-applied harmlessly; no email is sent twice. Stripe keeps 30 days.
    Replay {
        /// `2026-11-20T00:00:00Z`, unix seconds, or an age such as `90m`, `12h`, `3d`.
        #[arg(long, value_parser = parse_since)]
        since: i64,
    },
    /// List the webhook events that failed and are not applied yet: retrying (with when) or
    /// given up after days of failures, each with its last error.
    Failing,
    /// Queue webhook events again at once: those named, or with `--all-failing` every one
    /// `server stripe failing` lists (after fixing what made them fail).
    Retry {
        /// `evt_…` ids.
        #[arg(
            required_unless_present = "all_failing",
            conflicts_with = "all_failing"
        )]
        events: Vec<String>,
        /// Every failing event.
        #[arg(long)]
        all_failing: bool,
    },
    /// Create a catalog in Stripe from a JSON file (the demo catalog when no file is given).
    /// Safe to run again: existing products are updated, existing prices kept.
    Seed {
        /// A catalog file in the format of `backend/seed/catalog.json`.
        file: Option<PathBuf>,
    },
    /// Compare the database with Stripe object by object (catalog, customers, subscriptions,
    /// invoices, charges, refunds, disputes, payouts): one line per difference with the command
    /// that repairs it; exits 1 when anything differs.
    Verify,
    /// Check that this Stripe account behaves as Tollgate expects: a catalog, a paid
    /// subscription, a trial paused for want of a card and resumed, a plan change, a
    /// cancellation undone, the portal, events — then remove what it made. Test-mode keys only.
    Contract,
    /// Make the Stripe account ready for this deployment, idempotently: the webhook endpoint at
    /// BASE_URL/webhooks/stripe (and with PARTNERS_ENABLED the Connect one) with exactly the
    /// events Tollgate acts on and its API version, and the customer portal's configuration;
    /// check the key's mode and the catalog. Prints new endpoints' signing secrets once.
    Setup {
        /// Print what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write new signing secrets to this env file (`NAME=value`, mode 0600; other lines
        /// kept) instead of printing them.
        #[arg(long, value_name = "FILE")]
        write_env: Option<PathBuf>,
    },
}

impl StripeCommand {
    /// Runs the command against the configured Stripe and database.
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        match self {
            // Calls Stripe only: no database to migrate.
            StripeCommand::Contract => return crate::stripe_contract::run(&config.stripe).await,
            StripeCommand::Setup { dry_run, write_env } => {
                let settings = backend::go_live::Settings::from_config(&config);
                return crate::stripe_setup::run(settings, dry_run, write_env).await;
            }
            _ => {}
        }
        let target = config.stripe.api_base.to_string();
        let state = crate::cli::migrated_state(config).await?;
        let progress = |line: &str| println!("  {line}");
        match self {
            StripeCommand::Sync => {
                println!("Syncing from Stripe at {target}");
                let report = billing::sync::run(&state, &progress)
                    .await
                    .context("syncing from Stripe")?;
                println!(
                    "Done: {} products, {} prices, {} subscriptions, {} invoices, {} charges, {} refunds, {} disputes, {} payouts, {} balance transactions; {} removed.",
                    report.products,
                    report.prices,
                    report.subscriptions,
                    report.invoices,
                    report.charges,
                    report.refunds,
                    report.disputes,
                    report.payouts,
                    report.balance_transactions,
                    report.removed
                );
            }
            StripeCommand::Replay { since } => {
                println!("Replaying the events of Stripe at {target} since {since} (unix seconds)");
                let report = billing::replay::run(&state, since, &progress)
                    .await
                    .context("replaying events")?;
                println!(
                    "Done: {} events listed; {} applied for the first time, {} again, {} ignored.",
                    report.listed, report.new, report.again, report.ignored
                );
                if report.failed > 0 {
                    anyhow::bail!(
                        "{} events could not be applied (each is named above; one never applied before also keeps its error in stripe_events); run the replay again once the cause is fixed",
                        report.failed
                    );
                }
            }
            StripeCommand::Failing => {
                let failing = billing::inbox::failing(&state)
                    .await
                    .context("listing failing events")?;
                for event in &failing {
                    let next = match event.next_attempt_at {
                        Some(at) => format!("retried at {at}"),
                        None => "given up".to_owned(),
                    };
                    println!(
                        "  {} {} — {} attempts, {next}: {}",
                        event.id,
                        event.kind,
                        event.attempts,
                        event.error.as_deref().unwrap_or("")
                    );
                }
                println!(
                    "{} failing events{}",
                    failing.len(),
                    if failing.is_empty() {
                        ""
                    } else {
                        "; `server stripe retry --all-failing` queues them again"
                    }
                );
            }
            StripeCommand::Retry {
                events,
                all_failing,
            } => {
                let named = (!all_failing).then_some(events.as_slice());
                let queued = billing::inbox::retry(&state, named)
                    .await
                    .context("queuing events again")?;
                println!("Queued {queued} events; the server's workers apply them now.");
                if let Some(named) = named {
                    if queued < named.len() as u64 {
                        anyhow::bail!(
                            "{} of the events named are unknown, applied already, or were recorded without their body (replay them with `server stripe replay`)",
                            named.len() as u64 - queued
                        );
                    }
                }
            }
            StripeCommand::Contract | StripeCommand::Setup { .. } => unreachable!("handled above"),
            StripeCommand::Verify => {
                println!("Comparing the database with Stripe at {target}");
                let report = billing::verify::run(&state)
                    .await
                    .context("comparing with Stripe")?;
                for difference in &report.differences {
                    println!("  {difference}");
                }
                let checked = &report.checked;
                println!(
                    "Compared {} products, {} prices, {} customers, {} subscriptions, {} invoices, {} charges, {} refunds, {} disputes, {} payouts: {}.",
                    checked.products,
                    checked.prices,
                    checked.customers,
                    checked.subscriptions,
                    checked.invoices,
                    checked.charges,
                    checked.refunds,
                    checked.disputes,
                    checked.payouts,
                    match report.differences.len() {
                        0 => "everything matches".to_owned(),
                        1 => "1 difference".to_owned(),
                        n => format!("{n} differences"),
                    }
                );
                if !report.matches() {
                    anyhow::bail!(
                        "the database does not match Stripe; run the repairs named above"
                    );
                }
            }
            StripeCommand::Seed { file } => {
                let text = match &file {
                    Some(path) => std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?,
                    None => billing::seed::DEMO_CATALOG.to_owned(),
                };
                let catalog = billing::seed::parse(&text)?;
                println!("Seeding the catalog into Stripe at {target}");
                billing::seed::run(&state.stripe, &catalog, &progress)
                    .await
                    .context("seeding the catalog")?;
                println!("Syncing it into the database");
                billing::sync::catalog_only(&state, &progress)
                    .await
                    .context("syncing the catalog")?;
                println!("Done.");
            }
        }
        Ok(())
    }
}

/// With `SEED_DEMO_CATALOG=true` (`cargo xtask dev`): seed the demo catalog and sync it in the
/// background at start-up, so a fresh machine shows a full pricing page.
pub async fn seed_demo_catalog(state: AppState) {
    let progress = |line: &str| tracing::info!("demo catalog: {line}");
    let result = async {
        let catalog = billing::seed::parse(billing::seed::DEMO_CATALOG)?;
        billing::seed::run(&state.stripe, &catalog, &progress).await?;
        billing::sync::catalog_only(&state, &progress).await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(error) = result {
        tracing::error!(error.cause_chain = ?error, "seeding the demo catalog failed; run `server stripe seed`");
    }
}

/// `--since`: an RFC 3339 moment, unix seconds, or an age (`90m`, `12h`, `3d`) before now.
fn parse_since(raw: &str) -> Result<i64, String> {
    let raw = raw.trim();
    if let Ok(seconds) = raw.parse::<i64>() {
        return Ok(seconds);
    }
    if let Ok(moment) =
        time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
    {
        return Ok(moment.unix_timestamp());
    }
    let unit = raw.chars().last().unwrap_or_default();
    let seconds_per = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => 0,
    };
    match raw[..raw.len() - unit.len_utf8().min(raw.len())].parse::<i64>() {
        Ok(count) if seconds_per > 0 && count >= 0 => {
            Ok(time::OffsetDateTime::now_utc().unix_timestamp() - count * seconds_per)
        }
        _ => Err(format!(
            "`{raw}` is not a moment: use 2026-11-20T00:00:00Z, unix seconds, or an age like 90m, 12h, 3d"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_since;

    #[test]
    fn since_takes_a_moment_unix_seconds_or_an_age() {
        assert_eq!(parse_since("2026-11-20T00:00:00Z"), Ok(1_795_132_800));
        assert_eq!(parse_since("1795132800"), Ok(1_795_132_800));
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let three_days = parse_since("3d").unwrap();
        assert!((now - 3 * 86_400 - three_days).abs() <= 2);
        assert!(parse_since("yesterday").is_err());
        assert!(parse_since("").is_err());
        assert!(parse_since("-5d").is_err());
    }
}
