//! The `STRIPE_*` configuration, part of [`crate::Config`]. Every variable is in `.env.example`.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::config::{parse_or, ConfigError};

/// How the app reaches Stripe (or the emulator) and checks what Stripe sends it.
#[derive(Clone, Debug)]
pub struct StripeConfig {
    /// `STRIPE_SECRET_KEY` (required): `sk_test_…`/`sk_live_…` (or a restricted `rk_…` key).
    /// `cargo xtask dev` sets one for the emulator.
    pub secret_key: SecretString,
    /// `STRIPE_API_BASE` (default `https://api.stripe.com`): where the API is; the emulator's URL
    /// in development and tests.
    pub api_base: Url,
    /// `STRIPE_FILES_BASE` (default `https://files.stripe.com` with Stripe's API base, else the
    /// API base): where file uploads go — Stripe takes them on a host of their own; the emulator
    /// on its one port.
    pub files_base: Url,
    /// `STRIPE_WEBHOOK_SECRET` (required): the endpoint's `whsec_…` signing secret. Several,
    /// comma-separated, while rotating: a signature made with any of them is accepted.
    pub webhook_secrets: Vec<SecretString>,
    /// `STRIPE_CONNECT_WEBHOOK_SECRET` (required with `PARTNERS_ENABLED=true`): the Connect
    /// endpoint's `whsec_…` secret — events from partners' connected accounts arrive at
    /// `/webhooks/stripe/connect`, signed with an endpoint secret of their own. Several,
    /// comma-separated, while rotating.
    pub connect_webhook_secrets: Vec<SecretString>,
    /// `STRIPE_TIMEOUT_SECONDS` (default 30): the longest one request to Stripe may take.
    pub timeout: Duration,
    /// `STRIPE_MAX_NETWORK_RETRIES` (default 2): retries after a network error, a 429, a 409
    /// from a key still in flight, or a 5xx — always with the same `Idempotency-Key`.
    pub max_network_retries: u32,
    /// `SEED_DEMO_CATALOG` (default `false`; `cargo xtask dev` turns it on): at start-up, create
    /// the demo catalog in Stripe if it is missing, then sync it. Development only.
    pub seed_demo_catalog: bool,
}

impl StripeConfig {
    /// Reads the `STRIPE_*` variables.
    pub(crate) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = Self::calls_only_from_lookup(get)?;
        config.webhook_secrets =
            webhook_secrets(get, "STRIPE_WEBHOOK_SECRET")?.ok_or(ConfigError::Missing {
                name: "STRIPE_WEBHOOK_SECRET",
                hint: "set it to your webhook endpoint's signing secret (whsec_…, shown in the \
                       Stripe dashboard or by `stripe listen`); `cargo xtask dev` sets it for you",
            })?;
        let partners = parse_or(get, "PARTNERS_ENABLED", || false)?;
        config.connect_webhook_secrets =
            match webhook_secrets(get, "STRIPE_CONNECT_WEBHOOK_SECRET")? {
                Some(secrets) => secrets,
                None if partners => {
                    return Err(ConfigError::Missing {
                        name: "STRIPE_CONNECT_WEBHOOK_SECRET",
                        hint: "the partner program receives its connected accounts' events at \
                               /webhooks/stripe/connect: create a Connect webhook endpoint and set \
                               its signing secret (whsec_…), or turn the program off with \
                               PARTNERS_ENABLED=false",
                    })
                }
                None => Vec::new(),
            };
        Ok(config)
    }

    /// What making calls needs, from `.env` (if present) and the environment: the key, the API
    /// base, timeouts and retries — not the webhook secret, nor a database. For `server stripe
    /// contract`, which calls Stripe and receives nothing; `webhook_secrets` is empty.
    pub fn calls_only_from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal, as for the whole configuration.
        let _ = dotenvy::dotenv();
        Self::calls_only_from_lookup(&|name| std::env::var(name).ok())
    }

    fn calls_only_from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let secret_key = get("STRIPE_SECRET_KEY")
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty())
            .ok_or(ConfigError::Missing {
                name: "STRIPE_SECRET_KEY",
                hint: "set it to your Stripe secret key (sk_test_…); `cargo xtask dev` runs the \
                       Stripe emulator and sets it for you",
            })?;
        if !["sk_", "rk_"]
            .iter()
            .any(|prefix| secret_key.starts_with(prefix))
        {
            return Err(ConfigError::Invalid {
                name: "STRIPE_SECRET_KEY",
                reason:
                    "expected a secret key starting with sk_ or rk_ (not a publishable pk_ key)"
                        .into(),
            });
        }
        let api_base = parse_or(get, "STRIPE_API_BASE", || {
            Url::parse("https://api.stripe.com").expect("valid default")
        })?;
        if !matches!(api_base.scheme(), "http" | "https") || api_base.cannot_be_a_base() {
            return Err(ConfigError::Invalid {
                name: "STRIPE_API_BASE",
                reason: "expected an http:// or https:// URL".into(),
            });
        }
        let files_base = parse_or(get, "STRIPE_FILES_BASE", || {
            if api_base.host_str() == Some("api.stripe.com") {
                Url::parse("https://files.stripe.com").expect("valid default")
            } else {
                api_base.clone()
            }
        })?;
        if !matches!(files_base.scheme(), "http" | "https") || files_base.cannot_be_a_base() {
            return Err(ConfigError::Invalid {
                name: "STRIPE_FILES_BASE",
                reason: "expected an http:// or https:// URL".into(),
            });
        }
        let seed_demo_catalog = parse_or(get, "SEED_DEMO_CATALOG", || false)?;
        if seed_demo_catalog && secret_key.starts_with("sk_live_") {
            return Err(ConfigError::Invalid {
                name: "SEED_DEMO_CATALOG",
                reason: "refused with a live key: it would put demo plans on sale".into(),
            });
        }
        let timeout: u64 = parse_or(get, "STRIPE_TIMEOUT_SECONDS", || 30)?;
        if timeout == 0 {
            return Err(ConfigError::Invalid {
                name: "STRIPE_TIMEOUT_SECONDS",
                reason: "must be at least 1 second".into(),
            });
        }
        Ok(Self {
            secret_key: secret_key.into(),
            api_base,
            files_base,
            webhook_secrets: Vec::new(),
            connect_webhook_secrets: Vec::new(),
            timeout: Duration::from_secs(timeout),
            max_network_retries: parse_or(get, "STRIPE_MAX_NETWORK_RETRIES", || 2)?,
            seed_demo_catalog,
        })
    }

    /// Whether this is Stripe itself rather than the emulator (or another stand-in).
    pub fn is_real_stripe(&self) -> bool {
        self.api_base.host_str() == Some("api.stripe.com")
    }

    /// Whether the key is a live-mode one: calls with it move real money.
    pub fn is_live(&self) -> bool {
        let key = self.secret_key.expose_secret();
        key.starts_with("sk_live_") || key.starts_with("rk_live_")
    }

    /// The origins of the hosted Checkout, portal and Connect onboarding pages users are sent
    /// to: Stripe's, or the emulator's own. Pages allow form submissions to redirect there (CSP `form-action`).
    pub fn hosted_pages_origins(&self) -> Vec<String> {
        if self.is_real_stripe() {
            vec![
                "https://checkout.stripe.com".to_owned(),
                "https://billing.stripe.com".to_owned(),
                "https://connect.stripe.com".to_owned(),
            ]
        } else {
            vec![self.api_base.origin().ascii_serialization()]
        }
    }
}

/// `name` (`STRIPE_WEBHOOK_SECRET`, `STRIPE_CONNECT_WEBHOOK_SECRET`): one or more `whsec_…`,
/// comma-separated; `None` when unset.
fn webhook_secrets(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<Vec<SecretString>>, ConfigError> {
    let secrets: Vec<SecretString> = get(name)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|secret| !secret.is_empty())
        .map(SecretString::from)
        .collect();
    if secrets.is_empty() {
        return Ok(None);
    }
    if let Some(bad) = secrets
        .iter()
        .position(|secret| !secret.expose_secret().starts_with("whsec_"))
    {
        return Err(ConfigError::Invalid {
            name,
            reason: format!("secret number {} does not start with whsec_", bad + 1),
        });
    }
    Ok(Some(secrets))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<StripeConfig, ConfigError> {
        let map: HashMap<&str, &str> = [
            ("STRIPE_SECRET_KEY", "sk_test_123"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_abc"),
        ]
        .into_iter()
        .chain(vars.iter().copied())
        .collect();
        StripeConfig::from_lookup(&|name| map.get(name).map(|v| v.to_string()))
    }

    #[test]
    fn defaults_point_at_real_stripe() {
        let config = load(&[]).unwrap();
        assert_eq!(config.api_base.as_str(), "https://api.stripe.com/");
        assert_eq!(config.files_base.as_str(), "https://files.stripe.com/");
        assert!(config.is_real_stripe());
        assert_eq!(config.timeout, Duration::from_secs(30));
        assert_eq!(config.max_network_retries, 2);
        assert_eq!(
            config.hosted_pages_origins(),
            [
                "https://checkout.stripe.com",
                "https://billing.stripe.com",
                "https://connect.stripe.com"
            ]
        );
    }

    #[test]
    fn the_emulator_serves_its_own_hosted_pages() {
        let config = load(&[("STRIPE_API_BASE", "http://127.0.0.1:12111")]).unwrap();
        assert!(!config.is_real_stripe());
        assert_eq!(config.hosted_pages_origins(), ["http://127.0.0.1:12111"]);
    }

    #[test]
    fn the_partner_program_needs_the_connect_endpoints_secret() {
        let err = load(&[("PARTNERS_ENABLED", "true")]).unwrap_err();
        assert!(
            err.to_string().contains("STRIPE_CONNECT_WEBHOOK_SECRET"),
            "{err}"
        );
        let config = load(&[
            ("PARTNERS_ENABLED", "true"),
            ("STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_connect"),
        ])
        .unwrap();
        assert_eq!(config.connect_webhook_secrets.len(), 1);
        assert!(load(&[]).unwrap().connect_webhook_secrets.is_empty());
    }

    #[test]
    fn several_webhook_secrets_are_accepted_for_rotation() {
        let config = load(&[("STRIPE_WEBHOOK_SECRET", "whsec_old, whsec_new")]).unwrap();
        let secrets: Vec<_> = config
            .webhook_secrets
            .iter()
            .map(|s| s.expose_secret().to_owned())
            .collect();
        assert_eq!(secrets, ["whsec_old", "whsec_new"]);
    }

    #[test]
    fn a_publishable_key_or_a_foreign_webhook_secret_is_refused_by_name() {
        let err = load(&[("STRIPE_SECRET_KEY", "pk_test_123")]).unwrap_err();
        assert!(
            err.to_string().starts_with("STRIPE_SECRET_KEY is invalid"),
            "{err}"
        );
        let err = load(&[("STRIPE_WEBHOOK_SECRET", "whsec_a,secret")]).unwrap_err();
        assert!(err.to_string().contains("number 2"), "{err}");
        let err = load(&[
            ("STRIPE_SECRET_KEY", "sk_live_123"),
            ("SEED_DEMO_CATALOG", "true"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().starts_with("SEED_DEMO_CATALOG is invalid"),
            "{err}"
        );
        let err = load(&[("STRIPE_WEBHOOK_SECRET", " ")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("STRIPE_WEBHOOK_SECRET is not set"),
            "{err}"
        );
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let config = load(&[]).unwrap();
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("sk_test_123") && !debug.contains("whsec_abc"),
            "{debug}"
        );
    }
}
