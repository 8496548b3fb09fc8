//! Typed configuration, read once at start-up from the environment (and `.env`, if present).
//!
//! Every variable is documented in `.env.example`. A missing or malformed required variable
//! stops start-up with a [`ConfigError`] that names it.

use std::{
    env, fmt,
    num::{NonZeroU32, NonZeroUsize},
    str::FromStr,
    time::Duration,
};

use lettre::message::Mailbox;
use secrecy::SecretString;
use url::Url;

use crate::stripe::StripeConfig;

/// The application's configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL` (required): the Postgres connection string. Holds a password.
    pub database_url: SecretString,
    /// `DATABASE_MAX_CONNECTIONS` (default 10): the pool's size.
    pub database_max_connections: u32,
    /// `BASE_URL` (default `http://127.0.0.1:3000`): the public origin users reach us at,
    /// used to build absolute links and to check request origins.
    pub base_url: Url,
    /// `LOG_FORMAT` (`pretty` or `json`, default `pretty`).
    pub log_format: LogFormat,
    /// `DEV_MODE` (default `false`): development helpers such as `/dev/mailbox`. Never in production.
    pub dev_mode: bool,
    /// `FIRST_ACCOUNT_ADMIN` (default `false`; `cargo xtask dev` turns it on), honoured only with
    /// `DEV_MODE=true`: the first account to sign up, while no account is an admin, becomes one.
    pub first_account_admin: bool,
    /// `LEPTOS_WATCH` (set by `cargo leptos watch`), honoured only with `DEV_MODE=true`: the pages'
    /// Content-Security-Policy lets them reach the live-reload WebSocket.
    pub live_reload: bool,
    /// `SMTP_URL` (required unless `DEV_MODE=true`): send mail through this SMTP server; unset
    /// (development only), mail goes to the development outbox. May hold a password.
    pub smtp_url: Option<SecretString>,
    /// `MAIL_FROM` (default `Tollgate <no-reply@localhost>`): the sender of our mail.
    pub mail_from: Mailbox,
    /// `SESSION_IDLE_TIMEOUT_SECONDS` (default 86400, a day): a session unused this long ends.
    pub session_idle_timeout: time::Duration,
    /// `SESSION_ABSOLUTE_TIMEOUT_SECONDS` (default 604800, a week): a session this old ends, used
    /// or not, and the password must be entered again. At least the idle timeout.
    pub session_absolute_timeout: time::Duration,
    /// `PARTNERS_ENABLED` (default `false`; `cargo xtask dev` turns it on): the partner program —
    /// `/partners`, referral links and who referred whom. Off, `/partners` is not found and a
    /// `?ref=` link is ignored.
    pub partners_enabled: bool,
    /// `PARTNER_COMMISSION_PERCENT` (default 20, 1–100), `PARTNER_COMMISSION_MONTHS` (default
    /// 12) and `PARTNER_HOLD_DAYS` (default 30): a partner earns that share of every paid
    /// invoice of an account they referred, for that many months after it first subscribed,
    /// payable once the hold (the refund window) has passed.
    pub partner_commission: crate::partners::commissions::Terms,
    /// `PARTNER_ONBOARDING` (`hosted`, the default, or `platform`): how partners connect the
    /// Stripe account they are paid to — Stripe's hosted onboarding, or the app's own form (a
    /// custom account; the platform is then responsible for what it collects).
    pub partner_onboarding: crate::partners::accounts::Onboarding,
    /// `PARTNER_PAY_RUN_DAILY` (default `true`): with the program on, every replica checks each
    /// hour whether today's pay run has happened, and one of them runs it (`server partners
    /// pay` runs it by hand).
    pub partner_pay_run_daily: bool,
    /// `ADMIN_PASSWORD_WINDOW_SECONDS` (default 900, 15 minutes; 0 asks every time): how long
    /// after an admin last entered their password the console lets money move (refund, payout,
    /// submitting or accepting a dispute) without asking for it again.
    pub admin_password_window: time::Duration,
    /// `METRICS_TOKEN` (default unset: no `/metrics`): the bearer token a Prometheus scraper sends
    /// to `GET /metrics` (`Authorization: Bearer …`); at least 32 characters. A secret.
    pub metrics_token: Option<SecretString>,
    /// `SESSION_CLEANUP_INTERVAL_SECONDS` (default 600): how often expired sessions are deleted.
    pub session_cleanup_interval: Duration,
    /// `RATE_LIMIT_PER_IP_PER_MINUTE` (default 30): attempts at the endpoints that check a password
    /// or a token (sign-in, sign-up, forgot and reset password, password and email change,
    /// deletion) one client may make a minute: one IPv4 address, or one IPv6 /64.
    pub rate_limit_per_ip: NonZeroU32,
    /// `RATE_LIMIT_PER_ACCOUNT_PER_MINUTE` (default 5): failed password checks on one account (the
    /// email the sign-in form names, or the signed-in account's) from one client a minute.
    pub rate_limit_per_account: NonZeroU32,
    /// `RATE_LIMIT_ACCOUNT_FAILURES_PER_HOUR` (default 30): failed password checks on one account
    /// from anywhere an hour; past it, clients that failed on it wait, others still get an answer.
    pub rate_limit_account_failures_per_hour: NonZeroU32,
    /// `RATE_LIMIT_RESET_MAILS_PER_HOUR` (default 3): password reset mails to one address asked for
    /// from one client an hour (further requests get the same answer and send nothing).
    pub rate_limit_reset_mails_per_hour: NonZeroU32,
    /// `PASSWORD_HASH_CONCURRENCY` (default: the number of CPUs): password hashes and checks run
    /// at once (argon2 holds 19 MiB each); the rest wait their turn.
    pub password_hash_concurrency: NonZeroUsize,
    /// `WEBHOOK_WORKERS` (default 8): how many Stripe events this replica applies at once. They
    /// hold no database connection while they wait for Stripe. 0: this replica only records
    /// events, and others apply them.
    pub webhook_workers: usize,
    /// `SIGNED_IN_PAGE_CACHE_SECONDS` (default 10; 0 turns it off): how long this replica may
    /// answer a signed-in user's page (`/account`, `/dashboard`) with the copy it rendered for
    /// the same session, provided no change to the account has been announced since
    /// (`account_changes`). It bounds only how stale a date relative to now may get; never
    /// longer than half the idle timeout, so a session kept alive by renders is never outlived.
    pub signed_in_page_cache: Option<Duration>,
    /// `TRUSTED_PROXY_HOPS` (default 0): how many reverse proxies in front of us append to
    /// `X-Forwarded-For`. With 0 the TCP peer is the client (the header, which anyone can send,
    /// is ignored); with N the client is the N-th address from the right of the header.
    pub trusted_proxy_hops: usize,
    /// `RATE_LIMIT_BILLING_PER_MINUTE` (default 30): calls that reach Stripe (starting Checkout,
    /// opening the portal, the Checkout success page) one signed-in user may make a minute.
    pub rate_limit_billing: NonZeroU32,
    /// `BILLING_GRACE_PERIOD_DAYS` (default 7): how long a subscription whose renewal payment
    /// failed (`past_due`) keeps its features while Stripe retries the card.
    pub billing_grace_period: time::Duration,
    /// `BILLING_TRIAL_REQUIRES_CARD` (default `false`): whether Checkout asks for a card to
    /// start a free trial. Without one the trial starts at once, and if no card is added by its
    /// end Stripe pauses the plan until one is.
    pub billing_trial_requires_card: bool,
    /// `PORTAL_CANCEL_MODE` (`at_period_end`, the default, or `immediately`): how the customer
    /// portal `server stripe setup` configures cancels a subscription.
    pub portal_cancel_mode: crate::billing::portal::CancelMode,
    /// `CHECKOUT_PROMOTION_CODES` (default `true`): whether Checkout shows Stripe's promotion
    /// code field (`allow_promotion_codes`).
    pub checkout_promotion_codes: bool,
    /// `STRIPE_AUTOMATIC_TAX` (default `false`): Stripe Tax computes the tax on Checkout and on
    /// plan changes (`automatic_tax[enabled]`), from the billing address Checkout collects, and
    /// Checkout collects tax ids. Needs Stripe Tax set up (origin address, registrations).
    pub automatic_tax: bool,
    /// `SEAT_SYNC_DELAY_SECONDS` (default 60): how long after a change of membership the seats
    /// of a per-seat plan follow; changes within it are billed as one.
    pub seat_sync_delay: Duration,
    /// `SEAT_PRORATION` (`create_prorations`, the default; `always_invoice`; `none`): how a seat
    /// change is billed for the rest of the period.
    pub seat_proration: crate::organizations::seats::SeatProration,
    /// `SEAT_RECONCILE_NIGHTLY` (default `true`): each night one replica compares every per-seat
    /// subscription with its organization's members and fixes any drift (`server seats
    /// reconcile` runs it by hand).
    pub seat_reconcile_nightly: bool,
    /// `USAGE_RECONCILE_NIGHTLY` (default `true`): each night one replica compares every
    /// account's usage reported in the last 30 days with Stripe's meter event summaries and
    /// records the differences for the console (`server usage reconcile` runs it by hand).
    pub usage_reconcile_nightly: bool,
    /// `TRIAL_LEDGER_KEY` (required unless `DEV_MODE=true`, at least 32 characters): the HMAC key
    /// under which the trial ledger remembers which addresses and cards had a free trial (so
    /// deleting an account never earns a second one). Changing it forgets them all.
    pub trial_ledger_key: SecretString,
    /// `BENCH_CEILING_FILE` (optional, benchmarks only): serve this file's bytes, read once at
    /// start-up, at `GET /bench/ceiling` — the plain-axum ceiling `cargo xtask bench` measures
    /// the pricing page against. Never set in production.
    pub bench_ceiling_file: Option<std::path::PathBuf>,
    /// `STRIPE_*`: how we reach Stripe and check its webhooks.
    pub stripe: StripeConfig,
}

impl Config {
    /// Whether the site is served over https (`BASE_URL`): then cookies are `Secure` with
    /// `__Host-` names and responses carry `Strict-Transport-Security`.
    pub fn served_over_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}

/// The refusal to start without a way to send mail outside development: the outbox would keep
/// password-reset links in a database table, in plain text, and nobody would receive them.
const SMTP_REQUIRED: ConfigError = ConfigError::Missing {
    name: "SMTP_URL",
    hint: "without it mail (password-reset links included) would be written to the database's \
           dev_outbox table instead of sent; set it to your SMTP server \
           (e.g. smtps://user:password@smtp.example.com), or DEV_MODE=true in development",
};

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, coloured lines (development).
    Pretty,
    /// One JSON object per line (production log shippers).
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "pretty" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            other => Err(format!("expected `pretty` or `json`, got `{other}`")),
        }
    }
}

/// A configuration variable was missing or could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{name} is not set; {hint}")]
    Missing {
        /// The variable's name.
        name: &'static str,
        /// What to set it to.
        hint: &'static str,
    },
    /// A variable is set to something we cannot use.
    #[error("{name} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        name: &'static str,
        /// Why it was rejected (never contains the value of a secret).
        reason: String,
    },
}

impl Config {
    /// Reads `.env` (if present, without overriding the real environment), then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is not, but dotenvy reports it on use.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| env::var(name).ok())
    }

    /// Builds the configuration from any variable source (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url = get("DATABASE_URL")
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::Missing {
            name: "DATABASE_URL",
            hint:
                "set it to a Postgres URL such as postgres://user:password@127.0.0.1:5432/tollgate \
                       (`cargo xtask dev` starts a local database and sets it for you)",
        })?;
        let parsed = Url::parse(&database_url).map_err(|e| ConfigError::Invalid {
            name: "DATABASE_URL",
            reason: format!("not a URL ({e})"),
        })?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                reason: format!(
                    "expected a postgres:// URL, got scheme `{}`",
                    parsed.scheme()
                ),
            });
        }

        let base_url = base_url(&get)?;

        let seconds = |name, default| -> Result<Duration, ConfigError> {
            let value: u64 = parse_or(&get, name, || default)?;
            if value == 0 {
                return Err(ConfigError::Invalid {
                    name,
                    reason: "must be at least 1 second".into(),
                });
            }
            Ok(Duration::from_secs(value))
        };
        // The session timeouts are `time::Duration`s, what the session layer and the per-request
        // check use; converting here means a value too large is refused at start-up.
        let session_seconds = |name, default| -> Result<time::Duration, ConfigError> {
            time::Duration::try_from(seconds(name, default)?).map_err(|_| ConfigError::Invalid {
                name,
                reason: "too large".into(),
            })
        };
        let session_idle_timeout = session_seconds("SESSION_IDLE_TIMEOUT_SECONDS", 86_400)?;
        let session_absolute_timeout =
            session_seconds("SESSION_ABSOLUTE_TIMEOUT_SECONDS", 604_800)?;
        if session_absolute_timeout < session_idle_timeout {
            return Err(ConfigError::Invalid {
                name: "SESSION_ABSOLUTE_TIMEOUT_SECONDS",
                reason: "must be at least SESSION_IDLE_TIMEOUT_SECONDS".into(),
            });
        }

        let dev_mode = parse_or(&get, "DEV_MODE", || false)?;
        let config = Self {
            database_url: database_url.into(),
            database_max_connections: parse_or(&get, "DATABASE_MAX_CONNECTIONS", || 10)?,
            base_url,
            log_format: parse_or(&get, "LOG_FORMAT", || LogFormat::Pretty)?,
            dev_mode,
            first_account_admin: dev_mode && parse_or(&get, "FIRST_ACCOUNT_ADMIN", || false)?,
            live_reload: dev_mode && get("LEPTOS_WATCH").is_some(),
            smtp_url: get("SMTP_URL")
                .filter(|v| !v.trim().is_empty())
                .map(SecretString::from),
            mail_from: parse_or(&get, "MAIL_FROM", || {
                "Tollgate <no-reply@localhost>"
                    .parse()
                    .expect("valid default")
            })?,
            session_idle_timeout,
            session_absolute_timeout,
            partners_enabled: parse_or(&get, "PARTNERS_ENABLED", || false)?,
            partner_commission: crate::partners::commissions::Terms {
                percent: match parse_or(&get, "PARTNER_COMMISSION_PERCENT", || 20_i32)? {
                    percent @ 1..=100 => percent,
                    _ => {
                        return Err(ConfigError::Invalid {
                            name: "PARTNER_COMMISSION_PERCENT",
                            reason: "must be from 1 to 100".into(),
                        })
                    }
                },
                months: parse_or(&get, "PARTNER_COMMISSION_MONTHS", || 12_i32)?,
                hold_days: parse_or(&get, "PARTNER_HOLD_DAYS", || 30_i32)?,
            },
            partner_onboarding: parse_or(&get, "PARTNER_ONBOARDING", || {
                crate::partners::accounts::Onboarding::Hosted
            })?,
            partner_pay_run_daily: parse_or(&get, "PARTNER_PAY_RUN_DAILY", || true)?,
            admin_password_window: time::Duration::seconds(
                parse_or(&get, "ADMIN_PASSWORD_WINDOW_SECONDS", || 900_u32)?.into(),
            ),
            metrics_token: metrics_token(&get)?,
            session_cleanup_interval: seconds("SESSION_CLEANUP_INTERVAL_SECONDS", 600)?,
            rate_limit_per_ip: parse_or(&get, "RATE_LIMIT_PER_IP_PER_MINUTE", || {
                NonZeroU32::new(30).expect("non-zero")
            })?,
            rate_limit_per_account: parse_or(&get, "RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", || {
                NonZeroU32::new(5).expect("non-zero")
            })?,
            rate_limit_account_failures_per_hour: parse_or(
                &get,
                "RATE_LIMIT_ACCOUNT_FAILURES_PER_HOUR",
                || NonZeroU32::new(30).expect("non-zero"),
            )?,
            rate_limit_reset_mails_per_hour: parse_or(
                &get,
                "RATE_LIMIT_RESET_MAILS_PER_HOUR",
                || NonZeroU32::new(3).expect("non-zero"),
            )?,
            password_hash_concurrency: parse_or(&get, "PASSWORD_HASH_CONCURRENCY", || {
                std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
            })?,
            webhook_workers: parse_or(&get, "WEBHOOK_WORKERS", || 8)?,
            signed_in_page_cache: match parse_or(&get, "SIGNED_IN_PAGE_CACHE_SECONDS", || 10_u64)? {
                0 => None,
                seconds => {
                    Some(Duration::from_secs(seconds).min(
                        Duration::try_from(session_idle_timeout / 2).unwrap_or(Duration::ZERO),
                    ))
                }
            },
            trusted_proxy_hops: parse_or(&get, "TRUSTED_PROXY_HOPS", || 0)?,
            rate_limit_billing: parse_or(&get, "RATE_LIMIT_BILLING_PER_MINUTE", || {
                NonZeroU32::new(30).expect("non-zero")
            })?,
            billing_grace_period: time::Duration::days(
                parse_or(&get, "BILLING_GRACE_PERIOD_DAYS", || 7_u16)?.into(),
            ),
            billing_trial_requires_card: parse_or(&get, "BILLING_TRIAL_REQUIRES_CARD", || false)?,
            portal_cancel_mode: parse_or(&get, "PORTAL_CANCEL_MODE", Default::default)?,
            checkout_promotion_codes: parse_or(&get, "CHECKOUT_PROMOTION_CODES", || true)?,
            automatic_tax: parse_or(&get, "STRIPE_AUTOMATIC_TAX", || false)?,
            seat_sync_delay: seconds("SEAT_SYNC_DELAY_SECONDS", 60)?,
            seat_proration: parse_or(&get, "SEAT_PRORATION", Default::default)?,
            seat_reconcile_nightly: parse_or(&get, "SEAT_RECONCILE_NIGHTLY", || true)?,
            usage_reconcile_nightly: parse_or(&get, "USAGE_RECONCILE_NIGHTLY", || true)?,
            trial_ledger_key: trial_ledger_key(&get)?,
            bench_ceiling_file: get("BENCH_CEILING_FILE")
                .filter(|path| !path.trim().is_empty())
                .map(std::path::PathBuf::from),
            stripe: StripeConfig::from_lookup(&get)?,
        };
        if config.smtp_url.is_none() && !config.dev_mode {
            return Err(SMTP_REQUIRED);
        }
        Ok(config)
    }
}

/// `BASE_URL` (default `http://127.0.0.1:3000`): an http or https URL.
pub(crate) fn base_url(get: &impl Fn(&str) -> Option<String>) -> Result<Url, ConfigError> {
    let base_url = parse_or(get, "BASE_URL", || {
        Url::parse("http://127.0.0.1:3000").expect("valid default")
    })?;
    if !matches!(base_url.scheme(), "http" | "https") {
        return Err(ConfigError::Invalid {
            name: "BASE_URL",
            reason: "expected an http:// or https:// URL".into(),
        });
    }
    Ok(base_url)
}

/// `METRICS_TOKEN`, if set: at least 32 characters.
fn metrics_token(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<SecretString>, ConfigError> {
    match get("METRICS_TOKEN").filter(|v| !v.trim().is_empty()) {
        Some(token) if token.trim().len() < 32 => Err(ConfigError::Invalid {
            name: "METRICS_TOKEN",
            reason: "use at least 32 characters (`openssl rand -hex 32` makes one)".into(),
        }),
        Some(token) => Ok(Some(SecretString::from(token.trim()))),
        None => Ok(None),
    }
}

/// `TRIAL_LEDGER_KEY`; in development, when unset, a fixed key (the ledger of a development
/// database protects nobody's address).
fn trial_ledger_key(get: &impl Fn(&str) -> Option<String>) -> Result<SecretString, ConfigError> {
    let dev_mode = parse_or(get, "DEV_MODE", || false)?;
    match get("TRIAL_LEDGER_KEY").filter(|v| !v.trim().is_empty()) {
        Some(key) if key.trim().len() < 32 => Err(ConfigError::Invalid {
            name: "TRIAL_LEDGER_KEY",
            reason: "use at least 32 characters (`openssl rand -hex 32` makes one)".into(),
        }),
        Some(key) => Ok(SecretString::from(key.trim())),
        None if dev_mode => Ok(SecretString::from("tollgate-development-trial-ledger-key")),
        None => Err(ConfigError::Missing {
            name: "TRIAL_LEDGER_KEY",
            hint: "set it to a random secret of at least 32 characters (`openssl rand -hex 32`) \
                   and keep it: the trial ledger's entries are keyed with it",
        }),
    }
}

/// Parses an optional variable, falling back to `default` when it is unset or empty.
pub(crate) fn parse_or<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: impl FnOnce() -> T,
) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    match get(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(default()),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid {
                name,
                reason: e.to_string(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    /// A production configuration (`SMTP_URL` set) with `vars` on top.
    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let stripe = [
            ("STRIPE_SECRET_KEY", "sk_test_123"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_abc"),
            ("SMTP_URL", "smtp://127.0.0.1:25"),
            ("TRIAL_LEDGER_KEY", "a-trial-ledger-key-of-32-characters"),
        ];
        let map: HashMap<String, String> = stripe
            .iter()
            .chain(vars)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn a_missing_database_url_is_named_in_the_error() {
        let err = load(&[]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing {
                name: "DATABASE_URL",
                ..
            }
        ));
        assert!(err.to_string().starts_with("DATABASE_URL is not set"));
    }

    #[test]
    fn a_database_url_that_is_not_postgres_is_rejected() {
        let err = load(&[("DATABASE_URL", "mysql://x@localhost/db")]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "DATABASE_URL",
                ..
            }
        ));
    }

    #[test]
    fn a_malformed_optional_variable_is_named_in_the_error() {
        let err = load(&[
            ("DATABASE_URL", "postgres://localhost/db"),
            ("DATABASE_MAX_CONNECTIONS", "many"),
        ])
        .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("DATABASE_MAX_CONNECTIONS is invalid"));

        let err = load(&[
            ("DATABASE_URL", "postgres://localhost/db"),
            ("LOG_FORMAT", "xml"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("LOG_FORMAT"));
    }

    #[test]
    fn defaults_apply_when_only_the_database_is_set() {
        let config = load(&[("DATABASE_URL", "postgres://u:p@localhost/db")]).unwrap();
        assert_eq!(
            config.database_url.expose_secret(),
            "postgres://u:p@localhost/db"
        );
        assert_eq!(config.database_max_connections, 10);
        assert_eq!(config.base_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(config.log_format, LogFormat::Pretty);
        assert!(!config.dev_mode);
        assert!(!config.live_reload);
        assert!(!config.served_over_https());
        assert_eq!(config.session_idle_timeout, time::Duration::days(1));
        assert_eq!(config.session_absolute_timeout, time::Duration::weeks(1));
        assert_eq!(config.billing_grace_period, time::Duration::days(7));
        assert!(!config.billing_trial_requires_card);
        assert_eq!(config.bench_ceiling_file, None);
    }

    #[test]
    fn production_without_an_smtp_server_refuses_to_start_and_names_smtp_url() {
        let err = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("SMTP_URL", ""),
        ])
        .unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Missing {
                    name: "SMTP_URL",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().starts_with("SMTP_URL is not set"), "{err}");
    }

    #[test]
    fn development_without_an_smtp_server_writes_mail_to_the_outbox() {
        let config = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("SMTP_URL", ""),
            ("DEV_MODE", "true"),
        ])
        .unwrap();
        assert!(config.smtp_url.is_none());
    }

    #[test]
    fn the_live_reload_allowance_needs_dev_mode() {
        let watched = [
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("LEPTOS_WATCH", "ON"),
        ];
        assert!(!load(&watched).unwrap().live_reload);
        let dev = load(&[watched[0], watched[1], ("DEV_MODE", "true")]).unwrap();
        assert!(dev.live_reload);
    }

    #[test]
    fn the_trial_ledger_key_is_required_outside_development_and_never_printed() {
        let config = load(&[("DATABASE_URL", "postgres://u:p@localhost/db")]).unwrap();
        assert!(!format!("{config:?}").contains("a-trial-ledger-key"));
        let err = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("TRIAL_LEDGER_KEY", ""),
        ])
        .unwrap_err();
        assert!(
            err.to_string().starts_with("TRIAL_LEDGER_KEY is not set"),
            "{err}"
        );
        let err = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("TRIAL_LEDGER_KEY", "short"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().starts_with("TRIAL_LEDGER_KEY is invalid"),
            "{err}"
        );
        let development = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("TRIAL_LEDGER_KEY", ""),
            ("DEV_MODE", "true"),
        ]);
        assert!(development.is_ok());
    }

    #[test]
    fn trials_may_be_told_to_require_a_card() {
        let config = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("BILLING_TRIAL_REQUIRES_CARD", "true"),
        ])
        .unwrap();
        assert!(config.billing_trial_requires_card);
        let err = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("BILLING_TRIAL_REQUIRES_CARD", "sometimes"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("BILLING_TRIAL_REQUIRES_CARD"),
            "{err}"
        );
    }

    #[test]
    fn the_grace_period_is_read_in_days_and_may_be_zero() {
        let config = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("BILLING_GRACE_PERIOD_DAYS", "0"),
        ])
        .unwrap();
        assert_eq!(config.billing_grace_period, time::Duration::ZERO);
        let err = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("BILLING_GRACE_PERIOD_DAYS", "-1"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("BILLING_GRACE_PERIOD_DAYS"),
            "{err}"
        );
    }

    #[test]
    fn a_session_timeout_too_large_for_a_duration_is_named_in_the_error() {
        let err = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "18446744073709551615"),
        ])
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("SESSION_ABSOLUTE_TIMEOUT_SECONDS"),
            "{err}"
        );
    }

    #[test]
    fn an_absolute_timeout_shorter_than_the_idle_timeout_is_refused() {
        let err = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("SESSION_IDLE_TIMEOUT_SECONDS", "3600"),
            ("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "60"),
        ])
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("SESSION_ABSOLUTE_TIMEOUT_SECONDS"),
            "{err}"
        );
    }

    #[test]
    fn an_https_base_url_means_the_site_is_served_over_https() {
        let config = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("BASE_URL", "https://app.example.com"),
        ])
        .unwrap();
        assert!(config.served_over_https());
    }

    #[test]
    fn the_smtp_password_never_appears_in_debug_output() {
        let config = load(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("SMTP_URL", "smtps://mailer:hunter2@smtp.example.com"),
        ])
        .unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn a_zero_rate_limit_or_timeout_is_refused() {
        for name in [
            "RATE_LIMIT_PER_IP_PER_MINUTE",
            "RATE_LIMIT_RESET_MAILS_PER_HOUR",
            "PASSWORD_HASH_CONCURRENCY",
            "SESSION_IDLE_TIMEOUT_SECONDS",
        ] {
            let err =
                load(&[("DATABASE_URL", "postgres://u:p@localhost/db"), (name, "0")]).unwrap_err();
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }

    #[test]
    fn the_database_password_never_appears_in_debug_output() {
        let config = load(&[("DATABASE_URL", "postgres://u:hunter2@localhost/db")]).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
