//! What an operator sets up once in a Stripe account, and reads back to check it: the account
//! itself (`GET /v1/account`), webhook endpoints and customer portal configurations — their
//! objects and calls. Used by `server stripe setup` and `server doctor`
//! ([`crate::go_live`]).
//!
//! <https://docs.stripe.com/api/webhook_endpoints>,
//! <https://docs.stripe.com/api/customer_portal/configurations>,
//! <https://docs.stripe.com/api/accounts/retrieve>.

use std::{collections::BTreeMap, fmt, time::Duration};

use serde::Deserialize;
use url::Url;

use super::{endpoints::segment, Form, StripeClient, StripeError};

/// The Stripe account a key belongs to (`GET /v1/account`).
#[derive(Clone, Debug, Deserialize)]
pub struct Account {
    /// `acct_…`.
    pub id: String,
    /// The business's name, if the account has a profile.
    #[serde(default)]
    pub business_profile: Option<AccountBusinessProfile>,
    /// Whether it can take card payments yet (activation done).
    #[serde(default)]
    pub charges_enabled: bool,
}

/// The public face of an account.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AccountBusinessProfile {
    /// Shown to customers.
    pub name: Option<String>,
}

/// A webhook endpoint. Its signing secret is in the answer only when it is created.
#[derive(Clone, Debug, Deserialize)]
pub struct WebhookEndpoint {
    /// `we_…`.
    pub id: String,
    /// Where Stripe delivers.
    pub url: String,
    /// The event types delivered (`*`: nearly all).
    pub enabled_events: Vec<String>,
    /// The API version events are rendered in; `None`: the account's default at the time.
    pub api_version: Option<String>,
    /// `enabled` or `disabled`.
    pub status: String,
    /// `whsec_…`, only in the answer to a create.
    #[serde(default)]
    pub secret: Option<SigningSecret>,
}

impl WebhookEndpoint {
    /// Whether Stripe delivers to it.
    pub fn is_enabled(&self) -> bool {
        self.status == "enabled"
    }
}

/// A webhook endpoint's signing secret: printed or written once, never logged.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SigningSecret(String);

impl SigningSecret {
    /// The `whsec_…` itself, for the one place that shows or writes it.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("whsec_[redacted]")
    }
}

/// What a webhook endpoint should be.
#[derive(Clone, Debug)]
pub struct EndpointSpec<'a> {
    /// Where Stripe delivers.
    pub url: &'a Url,
    /// The event types, named one by one.
    pub events: &'a [&'a str],
    /// Whether it receives connected accounts' events instead of the platform's.
    pub connect: bool,
    /// A note shown in the Dashboard.
    pub description: &'a str,
}

/// A customer portal configuration: what the hosted portal offers.
#[derive(Clone, Debug, Deserialize)]
pub struct PortalConfiguration {
    /// `bpc_…`.
    pub id: String,
    /// Whether sessions may use it.
    pub active: bool,
    /// Whether it is the account's default (set in the Dashboard; read-only in the API).
    #[serde(default)]
    pub is_default: bool,
    /// Where the portal's link back goes when the session names no `return_url`.
    pub default_return_url: Option<String>,
    /// What the portal offers.
    pub features: PortalFeatures,
    /// Free-form; ours carries [`PORTAL_TAG`].
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// The metadata key and value that mark the portal configuration Tollgate manages.
pub const PORTAL_TAG: (&str, &str) = ("tollgate", "portal");

impl PortalConfiguration {
    /// Whether it is the one `server stripe setup` made.
    pub fn is_ours(&self) -> bool {
        self.metadata.get(PORTAL_TAG.0).map(String::as_str) == Some(PORTAL_TAG.1)
    }
}

/// The portal's features we set.
#[derive(Clone, Debug, Deserialize)]
pub struct PortalFeatures {
    /// Past invoices.
    pub invoice_history: Switch,
    /// Adding and replacing the card.
    pub payment_method_update: Switch,
    /// Cancelling.
    pub subscription_cancel: CancelFeature,
    /// Switching plans.
    pub subscription_update: Switch,
}

/// A feature that is on or off.
#[derive(Clone, Debug, Deserialize)]
pub struct Switch {
    /// On.
    pub enabled: bool,
}

/// Cancelling in the portal.
#[derive(Clone, Debug, Deserialize)]
pub struct CancelFeature {
    /// On.
    pub enabled: bool,
    /// `at_period_end` or `immediately`.
    pub mode: String,
}

/// What the portal configuration should be.
#[derive(Clone, Debug)]
pub struct PortalSpec<'a> {
    /// `BASE_URL/account`.
    pub default_return_url: &'a Url,
    /// `at_period_end` or `immediately`.
    pub cancel_mode: &'a str,
    /// Shown in the Dashboard's list.
    pub name: &'a str,
}

impl PortalSpec<'_> {
    /// The whole configuration as parameters: create and update take the same.
    fn form(&self) -> Form {
        Form::new()
            .set("name", self.name)
            .set("default_return_url", self.default_return_url.as_str())
            .set("features[payment_method_update][enabled]", true)
            .set("features[invoice_history][enabled]", true)
            .set("features[subscription_cancel][enabled]", true)
            .set("features[subscription_cancel][mode]", self.cancel_mode)
            .set("features[subscription_update][enabled]", false)
            .set(format!("metadata[{}]", PORTAL_TAG.0), PORTAL_TAG.1)
    }

    /// What differs between `configuration` and this, in words (empty: nothing).
    pub fn differences(&self, configuration: &PortalConfiguration) -> Vec<String> {
        let features = &configuration.features;
        let mut differences = Vec::new();
        let mut differ = |same: bool, what: String| {
            if !same {
                differences.push(what);
            }
        };
        differ(configuration.active, "it is inactive".into());
        differ(
            configuration.default_return_url.as_deref() == Some(self.default_return_url.as_str()),
            format!(
                "its return URL is {}",
                configuration
                    .default_return_url
                    .as_deref()
                    .unwrap_or("unset")
            ),
        );
        differ(
            features.payment_method_update.enabled,
            "card updates are off".into(),
        );
        differ(
            features.invoice_history.enabled,
            "invoice history is off".into(),
        );
        differ(
            features.subscription_cancel.enabled,
            "cancelling is off".into(),
        );
        differ(
            !features.subscription_cancel.enabled
                || features.subscription_cancel.mode == self.cancel_mode,
            format!(
                "it cancels {}",
                features.subscription_cancel.mode.replace('_', " ")
            ),
        );
        differ(
            !features.subscription_update.enabled,
            "plan switching is on".into(),
        );
        differences
    }
}

impl StripeClient {
    /// The account the key belongs to; a bad key answers 401.
    pub async fn own_account(&self) -> Result<Account, StripeError> {
        self.get("/v1/account", &Form::new()).await
    }

    /// Every webhook endpoint of the account.
    pub async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>, StripeError> {
        self.list_all("/v1/webhook_endpoints", &Form::new()).await
    }

    /// Creates a webhook endpoint rendering events in our API version; the answer holds its
    /// signing secret, which Stripe never shows again.
    pub async fn create_webhook_endpoint(
        &self,
        spec: &EndpointSpec<'_>,
        key: &str,
    ) -> Result<WebhookEndpoint, StripeError> {
        let form = spec
            .events
            .iter()
            .fold(Form::new(), |form, event| {
                form.set("enabled_events[]", event)
            })
            .set("url", spec.url.as_str())
            .set("api_version", super::API_VERSION)
            .set("description", spec.description);
        let form = if spec.connect {
            form.set("connect", true)
        } else {
            form
        };
        self.post("/v1/webhook_endpoints", &form, key).await
    }

    /// Sets an endpoint's event types and turns it on (its URL, version and secret stay).
    pub async fn update_webhook_endpoint(
        &self,
        id: &str,
        events: &[&str],
        key: &str,
    ) -> Result<WebhookEndpoint, StripeError> {
        let form = events
            .iter()
            .fold(Form::new(), |form, event| {
                form.set("enabled_events[]", event)
            })
            .set("disabled", false);
        self.post(
            &format!("/v1/webhook_endpoints/{}", segment(id)),
            &form,
            key,
        )
        .await
    }

    /// Deletes a webhook endpoint: Stripe stops delivering to it, retries included.
    pub async fn delete_webhook_endpoint(&self, id: &str) -> Result<(), StripeError> {
        let _: serde_json::Value = self
            .delete(&format!("/v1/webhook_endpoints/{}", segment(id)))
            .await?;
        Ok(())
    }

    /// Every customer portal configuration of the account.
    pub async fn portal_configurations(&self) -> Result<Vec<PortalConfiguration>, StripeError> {
        self.list_all("/v1/billing_portal/configurations", &Form::new())
            .await
    }

    /// Creates a portal configuration.
    pub async fn create_portal_configuration(
        &self,
        spec: &PortalSpec<'_>,
        key: &str,
    ) -> Result<PortalConfiguration, StripeError> {
        self.post("/v1/billing_portal/configurations", &spec.form(), key)
            .await
    }

    /// Updates a portal configuration to `spec` and makes it active.
    pub async fn update_portal_configuration(
        &self,
        id: &str,
        spec: &PortalSpec<'_>,
        key: &str,
    ) -> Result<PortalConfiguration, StripeError> {
        self.post(
            &format!("/v1/billing_portal/configurations/{}", segment(id)),
            &spec.form().set("active", true),
            key,
        )
        .await
    }
}

impl super::endpoints::HasListId for WebhookEndpoint {
    fn list_id(&self) -> &str {
        &self.id
    }
}

impl super::endpoints::HasListId for PortalConfiguration {
    fn list_id(&self) -> &str {
        &self.id
    }
}

/// The time on Stripe's clock, from the `Date` header of an answer from `api_base` (any answer:
/// the request carries no key).
pub async fn stripe_clock(api_base: &Url) -> Result<time::OffsetDateTime, ClockError> {
    let url = api_base
        .join("/v1/account")
        .map_err(|_| ClockError::NoDate)?;
    let answer = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(ClockError::Unreachable)?
        .get(url)
        .send()
        .await
        .map_err(ClockError::Unreachable)?;
    let date = answer
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|date| date.to_str().ok())
        .ok_or(ClockError::NoDate)?;
    time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc2822)
        .map_err(|_| ClockError::NoDate)
}

/// Why Stripe's clock could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    /// No answer.
    #[error("Stripe did not answer")]
    Unreachable(#[source] reqwest::Error),
    /// An answer without a readable `Date` header.
    #[error("Stripe's answer had no readable Date header")]
    NoDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_date_is_read_as_rfc_2822() {
        // What `Date` holds (RFC 9110's IMF-fixdate) is RFC 2822's form with GMT.
        let parsed = time::OffsetDateTime::parse(
            "Sun, 06 Nov 1994 08:49:37 GMT",
            &time::format_description::well_known::Rfc2822,
        )
        .unwrap();
        assert_eq!(parsed.unix_timestamp(), 784_111_777);
    }

    #[test]
    fn a_signing_secret_is_never_shown_by_debug() {
        let secret: SigningSecret = serde_json::from_str("\"whsec_abc\"").unwrap();
        assert_eq!(format!("{secret:?}"), "whsec_[redacted]");
        assert_eq!(secret.reveal(), "whsec_abc");
    }
}
