//! `server doctor`: whether this deployment can take money — the database and its migrations,
//! the Stripe key and its mode, the webhook endpoints, the customer portal, the catalog, mail
//! and the clock — one [`Check`] each, with the fix in words when it fails.

use std::{collections::BTreeSet, time::Duration};

use secrecy::ExposeSecret;
use sqlx::migrate::Migrate;

use super::{catalog, setup, Mode, Settings};
use crate::{
    stripe::{setup::stripe_clock, StripeClient, StripeError, API_VERSION},
    Config,
};

/// How far our clock may be from Stripe's: webhook signatures older than this are refused.
const CLOCK_TOLERANCE_SECONDS: i64 = 300;

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Whether it passed.
    pub passed: bool,
    /// What was found, and when it failed, what to do.
    pub line: String,
}

fn pass(line: impl Into<String>) -> Check {
    Check {
        passed: true,
        line: line.into(),
    }
}

fn fail(line: impl Into<String>) -> Check {
    Check {
        passed: false,
        line: line.into(),
    }
}

/// Every check, in order.
pub async fn run(config: &Config) -> Vec<Check> {
    let mut checks = database(config).await;
    checks.extend(stripe(config).await);
    checks.push(mail(config).await);
    checks.push(clock(config).await);
    checks
}

/// The database answers, and its migrations are exactly the ones this binary embeds.
async fn database(config: &Config) -> Vec<Check> {
    let pool = match crate::db::pool(config) {
        Ok(pool) => pool,
        Err(error) => return vec![fail(format!("database: {error}: check DATABASE_URL"))],
    };
    let mut connection = match pool.acquire().await {
        Ok(connection) => connection,
        Err(error) => {
            return vec![fail(format!(
                "database: unreachable ({error}): check DATABASE_URL and that Postgres is up"
            ))]
        }
    };
    let applied = match connection.list_applied_migrations().await {
        Ok(applied) => applied,
        // 42P01: no migrations table yet, a database never migrated.
        Err(sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(error)))
            if error.code().as_deref() == Some("42P01") =>
        {
            Vec::new()
        }
        Err(error) => {
            return vec![
                pass("database: reachable"),
                fail(format!("migrations: could not be listed ({error})")),
            ]
        }
    };
    let embedded: BTreeSet<i64> = crate::db::MIGRATOR
        .iter()
        .filter(|migration| !migration.migration_type.is_down_migration())
        .map(|migration| migration.version)
        .collect();
    let applied_versions: BTreeSet<i64> = applied.iter().map(|m| m.version).collect();
    let pending: Vec<i64> = embedded.difference(&applied_versions).copied().collect();
    let unknown: Vec<i64> = applied_versions.difference(&embedded).copied().collect();
    let changed: Vec<i64> = applied
        .iter()
        .filter(|applied| {
            crate::db::MIGRATOR.iter().any(|migration| {
                migration.version == applied.version && migration.checksum != applied.checksum
            })
        })
        .map(|applied| applied.version)
        .collect();
    let migrations = if !unknown.is_empty() {
        fail(format!(
            "migrations: the database has {} this build does not know ({}): it was migrated by a newer build; deploy that one",
            unknown.len(),
            versions(&unknown)
        ))
    } else if !changed.is_empty() {
        fail(format!(
            "migrations: {} applied migrations differ from this build's ({}): a migration file was edited after it ran; restore it",
            changed.len(),
            versions(&changed)
        ))
    } else if !pending.is_empty() {
        fail(format!(
            "migrations: {} of {} pending ({}): run `server migrate` (`server serve` applies them at start-up)",
            pending.len(),
            embedded.len(),
            versions(&pending)
        ))
    } else {
        pass(format!("migrations: all {} applied", embedded.len()))
    };
    vec![pass("database: reachable"), migrations]
}

fn versions(versions: &[i64]) -> String {
    versions
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key, the endpoints, the portal and the catalog. Without a working key the others cannot
/// be checked and are not listed.
async fn stripe(config: &Config) -> Vec<Check> {
    let settings = Settings::from_config(config);
    let key = match settings.mode() {
        Ok(mode) if mode == Mode::Live && config.dev_mode => {
            return vec![fail(
                "Stripe key: a live key with DEV_MODE=true (development helpers in production): unset DEV_MODE",
            )]
        }
        Ok(mode) => mode,
        Err(error) => return vec![fail(format!("Stripe key: {error}"))],
    };
    let stripe = StripeClient::new(&settings.stripe).once_within(Duration::from_secs(15));
    let account = match stripe.own_account().await {
        Ok(account) => account,
        Err(error) => return vec![fail(key_refused(&settings, &error))],
    };
    let mut checks = vec![pass(format!(
        "Stripe key: works, {} (account {})",
        key.describe(),
        account.id
    ))];
    if key == Mode::Live && !account.charges_enabled {
        checks.push(fail(
            "Stripe account: cannot take card payments yet: finish activating it in the Dashboard",
        ));
    }
    checks.extend(endpoints(&settings, &stripe).await);
    checks.push(portal(&settings, &stripe).await);
    checks.push(match catalog::check(&stripe).await {
        Ok(report) if report.sellable() => pass(format!("catalog: {}", report.summary())),
        Ok(report) => fail(format!("catalog: {}", report.problems().join("; "))),
        Err(error) => fail(format!("catalog: could not be read ({})", chain(&error))),
    });
    checks
}

fn key_refused(settings: &Settings, error: &StripeError) -> String {
    match error {
        StripeError::Api { status: 401 | 403, .. } => format!(
            "Stripe key: refused ({error}): set STRIPE_SECRET_KEY to a secret key from Dashboard → Developers → API keys"
        ),
        _ => format!(
            "Stripe key: Stripe at {} did not answer ({error}): check STRIPE_API_BASE and the network",
            settings.stripe.api_base
        ),
    }
}

/// The webhook endpoints: there, on, with every event and our API version.
async fn endpoints(settings: &Settings, stripe: &StripeClient) -> Vec<Check> {
    let existing = match stripe.webhook_endpoints().await {
        Ok(existing) => existing,
        Err(error) => {
            return vec![fail(format!(
                "webhook endpoints: could not be listed ({error})"
            ))]
        }
    };
    let mut wanted = vec![false];
    if settings.partners_enabled {
        wanted.push(true);
    }
    wanted
        .into_iter()
        .map(|connect| {
            let url = settings.endpoint_url(connect);
            let label = if connect {
                format!("Connect webhook endpoint {url}")
            } else {
                format!("webhook endpoint {url}")
            };
            let Some(endpoint) = setup::endpoint_at(&existing, &url).0 else {
                return fail(format!("{label}: missing: run `server stripe setup`"));
            };
            let mut problems = Vec::new();
            if !endpoint.is_enabled() {
                problems.push("it is disabled".to_owned());
            }
            let has: BTreeSet<&str> = endpoint.enabled_events.iter().map(String::as_str).collect();
            let missing: Vec<&str> = setup::events(connect)
                .iter()
                .copied()
                .filter(|event| !has.contains(event) && !has.contains("*"))
                .collect();
            if !missing.is_empty() {
                let shown = missing
                    .iter()
                    .take(5)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
                problems.push(match missing.len() {
                    0..=5 => format!("it misses {shown}"),
                    n => format!("it misses {shown} and {} more", n - 5),
                });
            }
            if endpoint.api_version.as_deref() != Some(API_VERSION) {
                problems.push(format!(
                    "its API version is {}, not {API_VERSION}",
                    endpoint
                        .api_version
                        .as_deref()
                        .unwrap_or("the account's default")
                ));
            }
            if problems.is_empty() {
                pass(format!(
                    "{label}: {}, enabled, every event, API version {API_VERSION}",
                    endpoint.id
                ))
            } else {
                fail(format!(
                    "{label}: {} {}: run `server stripe setup`",
                    endpoint.id,
                    problems.join("; ")
                ))
            }
        })
        .collect()
}

/// Ours, active and as `server stripe setup` makes it.
async fn portal(settings: &Settings, stripe: &StripeClient) -> Check {
    let configurations = match stripe.portal_configurations().await {
        Ok(configurations) => configurations,
        Err(error) => {
            return fail(format!(
                "customer portal: configurations could not be listed ({error})"
            ))
        }
    };
    let account_url = settings.account_url();
    let spec = setup::portal_spec(settings, &account_url);
    match setup::ours(&configurations).0 {
        None => fail(
            "customer portal: no configuration made by `server stripe setup` (sessions would use the account's default, which may allow plan switching): run `server stripe setup`",
        ),
        Some(configuration) => {
            let differences = spec.differences(configuration);
            if differences.is_empty() {
                pass(format!(
                    "customer portal: {} (card updates, invoice history, cancelling {}, no plan switching)",
                    configuration.id,
                    spec.cancel_mode.replace('_', " ")
                ))
            } else {
                fail(format!(
                    "customer portal: {} differs ({}): run `server stripe setup`",
                    configuration.id,
                    differences.join(", ")
                ))
            }
        }
    }
}

/// The SMTP server answers (a connection and its greeting), or mail goes to the dev outbox.
async fn mail(config: &Config) -> Check {
    let Some(url) = &config.smtp_url else {
        return pass(
            "mail: the dev outbox (DEV_MODE=true without SMTP_URL): nothing is sent; /dev/mailbox shows what would be",
        );
    };
    let shown = url::Url::parse(url.expose_secret())
        .ok()
        .and_then(|parsed| {
            parsed.host_str().map(|host| match parsed.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            })
        })
        .unwrap_or_else(|| "SMTP_URL".to_owned());
    let transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor> =
        match lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url.expose_secret()) {
            Ok(builder) => builder
                .timeout(Some(Duration::from_secs(10)))
                .build::<lettre::Tokio1Executor>(),
            Err(error) => return fail(format!("mail: SMTP_URL is not usable ({error})")),
        };
    match transport.test_connection().await {
        Ok(true) => pass(format!("mail: the SMTP server {shown} answers")),
        Ok(false) => fail(format!(
            "mail: the SMTP server {shown} did not greet us: check SMTP_URL"
        )),
        Err(error) => fail(format!(
            "mail: the SMTP server {shown} is unreachable ({error}): check SMTP_URL and the network"
        )),
    }
}

/// Our clock against the `Date` of Stripe's answer.
async fn clock(config: &Config) -> Check {
    match stripe_clock(&config.stripe.api_base).await {
        Ok(stripe_now) => {
            let skew = (time::OffsetDateTime::now_utc() - stripe_now).whole_seconds();
            verdict(skew)
        }
        Err(error) => fail(format!("clock: not compared with Stripe's ({error})")),
    }
}

/// The clock check's verdict on `skew` seconds (ours minus Stripe's).
fn verdict(skew: i64) -> Check {
    if skew.abs() > CLOCK_TOLERANCE_SECONDS {
        fail(format!(
            "clock: {} s {} Stripe's: webhook signatures over {CLOCK_TOLERANCE_SECONDS} s old are refused, so every event would be; sync the clock (NTP)",
            skew.abs(),
            if skew > 0 { "ahead of" } else { "behind" }
        ))
    } else {
        pass(format!("clock: within {} s of Stripe's", skew.abs().max(1)))
    }
}

/// An error with its causes, `a: b: c`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::verdict;

    #[test]
    fn a_clock_over_five_minutes_off_fails_and_says_which_way() {
        assert!(verdict(0).passed);
        assert!(verdict(-300).passed);
        let ahead = verdict(301);
        assert!(!ahead.passed);
        assert!(ahead.line.contains("301 s ahead of"), "{}", ahead.line);
        assert!(verdict(-900).line.contains("behind"));
    }
}
