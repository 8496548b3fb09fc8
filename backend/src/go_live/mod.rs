//! Going live: what `server stripe setup` makes in a Stripe account and what `server doctor`
//! checks before a deployment takes money.
//!
//! - [`setup`]: the plan (what differs from what Tollgate needs: webhook endpoints, the customer
//!   portal's configuration) and applying it.
//! - [`catalog`]: whether the catalog can be sold (features on every product, a recurring price).
//! - [`doctor`]: every check, one line each.

pub mod catalog;
pub mod doctor;
pub mod setup;

use url::Url;

use crate::{
    billing::portal::CancelMode,
    config::{base_url, parse_or, ConfigError},
    stripe::{StripeConfig, StripeError},
    Config,
};

/// Whether a key moves real money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `sk_test_…`, `rk_test_…`.
    Test,
    /// `sk_live_…`, `rk_live_…`.
    Live,
}

impl Mode {
    /// The mode of a secret or restricted key, by its prefix; `None` when it says neither.
    pub fn of_key(key: &str) -> Option<Self> {
        if key.starts_with("sk_test_") || key.starts_with("rk_test_") {
            Some(Self::Test)
        } else if key.starts_with("sk_live_") || key.starts_with("rk_live_") {
            Some(Self::Live)
        } else {
            None
        }
    }

    /// `test mode` or `live mode`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Test => "test mode",
            Self::Live => "live mode",
        }
    }
}

/// What setting up Stripe needs from the configuration: the key and API base, the public
/// origin, whether the partner program is on and how the portal cancels — and nothing that
/// only exists after it ran (the webhook secrets).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The key and where Stripe is.
    pub stripe: StripeConfig,
    /// `BASE_URL`.
    pub base_url: Url,
    /// `PARTNERS_ENABLED`: the Connect endpoint is wanted too.
    pub partners_enabled: bool,
    /// `PORTAL_CANCEL_MODE`.
    pub portal_cancel_mode: CancelMode,
}

impl Settings {
    /// From `.env` (if present) and the environment, without the webhook secrets or a database.
    pub fn from_env() -> Result<Self, ConfigError> {
        let stripe = StripeConfig::calls_only_from_env()?;
        let get = |name: &str| std::env::var(name).ok();
        Ok(Self {
            stripe,
            base_url: base_url(&get)?,
            partners_enabled: parse_or(&get, "PARTNERS_ENABLED", || false)?,
            portal_cancel_mode: parse_or(&get, "PORTAL_CANCEL_MODE", Default::default)?,
        })
    }

    /// From the whole configuration.
    pub fn from_config(config: &Config) -> Self {
        Self {
            stripe: config.stripe.clone(),
            base_url: config.base_url.clone(),
            partners_enabled: config.partners_enabled,
            portal_cancel_mode: config.portal_cancel_mode,
        }
    }

    /// The key's mode, or why it cannot be used for this `BASE_URL`.
    pub fn mode(&self) -> Result<Mode, GoLiveError> {
        use secrecy::ExposeSecret;
        let mode =
            Mode::of_key(self.stripe.secret_key.expose_secret()).ok_or(GoLiveError::UnknownMode)?;
        if mode == Mode::Live && self.base_url.scheme() != "https" {
            return Err(GoLiveError::LiveOverHttp(self.base_url.clone()));
        }
        Ok(mode)
    }

    /// `BASE_URL/webhooks/stripe`, or `…/connect` for the Connect endpoint.
    pub fn endpoint_url(&self, connect: bool) -> Url {
        let path = if connect {
            "/webhooks/stripe/connect"
        } else {
            "/webhooks/stripe"
        };
        self.base_url.join(path).expect("a path joins any http URL")
    }

    /// `BASE_URL/account`: where the portal returns to.
    pub fn account_url(&self) -> Url {
        self.base_url
            .join("/account")
            .expect("a path joins any http URL")
    }
}

/// Why setting up or checking could not go on.
#[derive(Debug, thiserror::Error)]
pub enum GoLiveError {
    /// The key is neither a test nor a live key (`sk_test_`, `sk_live_`, `rk_…`).
    #[error("STRIPE_SECRET_KEY says neither test (sk_test_, rk_test_) nor live (sk_live_, rk_live_) mode")]
    UnknownMode,
    /// A live key with a `BASE_URL` that is not https.
    #[error(
        "a live key with BASE_URL={0}: Stripe would deliver live events, and customers would \
         pay, over plain http; set BASE_URL to the https:// origin first"
    )]
    LiveOverHttp(Url),
    /// Stripe refused or could not be reached; `step` says which call.
    #[error("{step}")]
    Stripe {
        /// What was being done.
        step: &'static str,
        /// Stripe's answer (boxed: it is large).
        #[source]
        source: Box<StripeError>,
    },
}

/// `.step("…")` on a Stripe call: which one failed.
trait Step<T> {
    fn step(self, step: &'static str) -> Result<T, GoLiveError>;
}

impl<T> Step<T> for Result<T, StripeError> {
    fn step(self, step: &'static str) -> Result<T, GoLiveError> {
        self.map_err(|source| GoLiveError::Stripe {
            step,
            source: Box::new(source),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(key: &str, base_url: &str) -> Settings {
        let get = |name: &str| match name {
            "STRIPE_SECRET_KEY" => Some(key.to_owned()),
            "STRIPE_WEBHOOK_SECRET" => Some("whsec_x".to_owned()),
            "DATABASE_URL" => Some("postgres://localhost/x".to_owned()),
            "BASE_URL" => Some(base_url.to_owned()),
            "DEV_MODE" => Some("true".to_owned()),
            _ => None,
        };
        Settings::from_config(&Config::from_lookup(get).unwrap())
    }

    #[test]
    fn the_mode_is_read_from_the_key_prefix() {
        assert_eq!(Mode::of_key("sk_test_abc"), Some(Mode::Test));
        assert_eq!(Mode::of_key("rk_test_abc"), Some(Mode::Test));
        assert_eq!(Mode::of_key("sk_live_abc"), Some(Mode::Live));
        assert_eq!(Mode::of_key("rk_live_abc"), Some(Mode::Live));
        assert_eq!(Mode::of_key("sk_abc"), None);
    }

    #[test]
    fn a_live_key_is_refused_with_an_http_base_url() {
        let live_http = settings("sk_live_x", "http://shop.example");
        assert!(matches!(
            live_http.mode(),
            Err(GoLiveError::LiveOverHttp(_))
        ));
        assert_eq!(
            settings("sk_live_x", "https://shop.example")
                .mode()
                .unwrap(),
            Mode::Live
        );
        assert_eq!(
            settings("sk_test_x", "http://127.0.0.1:3000")
                .mode()
                .unwrap(),
            Mode::Test
        );
    }

    #[test]
    fn endpoint_urls_hang_off_the_base_url() {
        let s = settings("sk_test_x", "https://shop.example");
        assert_eq!(
            s.endpoint_url(false).as_str(),
            "https://shop.example/webhooks/stripe"
        );
        assert_eq!(
            s.endpoint_url(true).as_str(),
            "https://shop.example/webhooks/stripe/connect"
        );
        assert_eq!(s.account_url().as_str(), "https://shop.example/account");
    }
}
