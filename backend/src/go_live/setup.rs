//! `server stripe setup`: the webhook endpoints and the customer portal configuration Tollgate
//! needs, compared with what the account has ([`plan`]) and made so ([`apply`]). Running it
//! again changes nothing.
//!
//! An endpoint is found by its URL. A different list of events is set in place. A different API
//! version cannot be: Stripe fixes an endpoint's version when it is created. Such an endpoint is
//! **replaced** — a new one is created with our version, then the old one deleted — and the new
//! signing secret is shown (or written) like a first one: until the server has it, Stripe's
//! deliveries to the new endpoint fail and are retried (for up to three days), so no event is
//! lost. Stripe's API cannot make a portal configuration the account's default, so ours is
//! tagged (`metadata[tollgate]=portal`) and the app's portal sessions name it
//! ([`crate::billing::portal::ours`]).

use std::collections::BTreeSet;

use url::Url;

use super::{catalog, GoLiveError, Mode, Settings, Step};
use crate::{
    billing::webhooks::{CONNECT_EVENTS, PLATFORM_EVENTS},
    stripe::{
        setup::{
            Account, EndpointSpec, PortalConfiguration, PortalSpec, SigningSecret, WebhookEndpoint,
        },
        StripeClient, API_VERSION,
    },
};

/// What the portal configuration is called in the Dashboard.
const PORTAL_NAME: &str = "Tollgate";

/// What setup found and did (or, in a dry run, would do).
#[derive(Debug)]
pub struct Report {
    /// The key's mode.
    pub mode: Mode,
    /// The account the key belongs to.
    pub account: Account,
    /// One line per thing: what was created, updated or left unchanged.
    pub lines: Vec<String>,
    /// Signing secrets of endpoints made now, shown by Stripe this once.
    pub secrets: Vec<NewSecret>,
    /// The catalog check.
    pub catalog: catalog::CatalogReport,
}

/// A new endpoint's signing secret and the variable the server reads it from.
#[derive(Debug)]
pub struct NewSecret {
    /// `STRIPE_WEBHOOK_SECRET` or `STRIPE_CONNECT_WEBHOOK_SECRET`.
    pub variable: &'static str,
    /// `whsec_…`.
    pub secret: SigningSecret,
}

/// Checks the key and the catalog, plans, and unless `dry_run` applies the plan.
pub async fn run(settings: &Settings, dry_run: bool) -> Result<Report, GoLiveError> {
    let mode = settings.mode()?;
    let stripe = StripeClient::new(&settings.stripe);
    let account = stripe
        .own_account()
        .await
        .step("reading the account the key belongs to (GET /v1/account)")?;
    let catalog = catalog::check(&stripe).await?;
    let plan = plan(settings, &stripe).await?;
    let (lines, secrets) = if dry_run {
        (plan.lines(), Vec::new())
    } else {
        apply(&stripe, settings, plan).await?
    };
    Ok(Report {
        mode,
        account,
        lines,
        secrets,
        catalog,
    })
}

/// What to do to the account.
#[derive(Debug)]
pub struct Plan {
    endpoints: Vec<EndpointPlan>,
    portal: PortalPlan,
}

#[derive(Debug)]
struct EndpointPlan {
    connect: bool,
    url: Url,
    action: EndpointAction,
    /// Other endpoints at the same URL (Stripe delivers every event to each).
    duplicates: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
enum EndpointAction {
    Create,
    Update {
        id: String,
        added: Vec<String>,
        removed: Vec<String>,
        turn_on: bool,
    },
    Replace {
        id: String,
        api_version: Option<String>,
    },
    Keep {
        id: String,
    },
}

#[derive(Debug)]
enum PortalAction {
    Create,
    Update {
        id: String,
        differences: Vec<String>,
    },
    Keep {
        id: String,
    },
}

#[derive(Debug)]
struct PortalPlan {
    action: PortalAction,
    /// Other configurations tagged as ours.
    duplicates: Vec<String>,
}

/// Compares the account's webhook endpoints and portal configurations with what Tollgate needs.
pub async fn plan(settings: &Settings, stripe: &StripeClient) -> Result<Plan, GoLiveError> {
    let existing = stripe
        .webhook_endpoints()
        .await
        .step("listing the webhook endpoints")?;
    let mut endpoints = vec![plan_endpoint(
        &existing,
        settings.endpoint_url(false),
        false,
    )];
    if settings.partners_enabled {
        endpoints.push(plan_endpoint(&existing, settings.endpoint_url(true), true));
    }
    let configurations = stripe
        .portal_configurations()
        .await
        .step("listing the customer portal configurations")?;
    let account_url = settings.account_url();
    let spec = portal_spec(settings, &account_url);
    Ok(Plan {
        endpoints,
        portal: plan_portal(&configurations, &spec),
    })
}

/// The events an endpoint must deliver.
pub fn events(connect: bool) -> &'static [&'static str] {
    if connect {
        CONNECT_EVENTS
    } else {
        PLATFORM_EVENTS
    }
}

/// The endpoint Tollgate uses at `url`, if any: one rendering our API version first; the others
/// at that URL.
pub fn endpoint_at<'a>(
    endpoints: &'a [WebhookEndpoint],
    url: &Url,
) -> (Option<&'a WebhookEndpoint>, Vec<&'a WebhookEndpoint>) {
    let at_url: Vec<&WebhookEndpoint> = endpoints
        .iter()
        .filter(|endpoint| Url::parse(&endpoint.url).is_ok_and(|parsed| &parsed == url))
        .collect();
    let chosen = at_url
        .iter()
        .copied()
        .find(|endpoint| endpoint.api_version.as_deref() == Some(API_VERSION))
        .or_else(|| at_url.first().copied());
    let others = at_url
        .into_iter()
        .filter(|endpoint| chosen.is_none_or(|chosen| chosen.id != endpoint.id))
        .collect();
    (chosen, others)
}

fn plan_endpoint(endpoints: &[WebhookEndpoint], url: Url, connect: bool) -> EndpointPlan {
    let (chosen, others) = endpoint_at(endpoints, &url);
    let action = match chosen {
        None => EndpointAction::Create,
        Some(endpoint) if endpoint.api_version.as_deref() != Some(API_VERSION) => {
            EndpointAction::Replace {
                id: endpoint.id.clone(),
                api_version: endpoint.api_version.clone(),
            }
        }
        Some(endpoint) => {
            let wanted: BTreeSet<&str> = events(connect).iter().copied().collect();
            let has: BTreeSet<&str> = endpoint.enabled_events.iter().map(String::as_str).collect();
            let added: Vec<String> = wanted.difference(&has).map(|e| e.to_string()).collect();
            let removed: Vec<String> = has.difference(&wanted).map(|e| e.to_string()).collect();
            if added.is_empty() && removed.is_empty() && endpoint.is_enabled() {
                EndpointAction::Keep {
                    id: endpoint.id.clone(),
                }
            } else {
                EndpointAction::Update {
                    id: endpoint.id.clone(),
                    added,
                    removed,
                    turn_on: !endpoint.is_enabled(),
                }
            }
        }
    };
    EndpointPlan {
        connect,
        url,
        action,
        duplicates: others.iter().map(|other| other.id.clone()).collect(),
    }
}

/// What the portal configuration must be.
pub fn portal_spec<'a>(settings: &Settings, account_url: &'a Url) -> PortalSpec<'a> {
    PortalSpec {
        default_return_url: account_url,
        cancel_mode: settings.portal_cancel_mode.as_str(),
        name: PORTAL_NAME,
    }
}

/// Ours among the account's portal configurations (an active one first), and the other
/// configurations tagged as ours.
pub fn ours(
    configurations: &[PortalConfiguration],
) -> (Option<&PortalConfiguration>, Vec<&PortalConfiguration>) {
    let tagged: Vec<&PortalConfiguration> = configurations
        .iter()
        .filter(|configuration| configuration.is_ours())
        .collect();
    let chosen = tagged
        .iter()
        .copied()
        .find(|configuration| configuration.active)
        .or_else(|| tagged.first().copied());
    let others = tagged
        .into_iter()
        .filter(|configuration| chosen.is_none_or(|chosen| chosen.id != configuration.id))
        .collect();
    (chosen, others)
}

fn plan_portal(configurations: &[PortalConfiguration], spec: &PortalSpec<'_>) -> PortalPlan {
    let (chosen, others) = ours(configurations);
    let action = match chosen {
        None => PortalAction::Create,
        Some(configuration) => {
            let differences = spec.differences(configuration);
            if differences.is_empty() {
                PortalAction::Keep {
                    id: configuration.id.clone(),
                }
            } else {
                PortalAction::Update {
                    id: configuration.id.clone(),
                    differences,
                }
            }
        }
    };
    PortalPlan {
        action,
        duplicates: others
            .iter()
            .map(|configuration| configuration.id.clone())
            .collect(),
    }
}

impl EndpointPlan {
    fn label(&self) -> String {
        let kind = if self.connect {
            "Connect webhook endpoint"
        } else {
            "webhook endpoint"
        };
        format!("{kind} {}", self.url)
    }

    fn variable(&self) -> &'static str {
        if self.connect {
            "STRIPE_CONNECT_WEBHOOK_SECRET"
        } else {
            "STRIPE_WEBHOOK_SECRET"
        }
    }

    fn duplicate_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.duplicates.iter().map(move |id| {
            format!(
                "{}: note: {id} is at the same URL and receives every event too; delete it \
                 (Dashboard → Developers → Webhooks) unless you mean it",
                self.label()
            )
        })
    }
}

impl Plan {
    /// What applying would do, one line per thing (a dry run).
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for endpoint in &self.endpoints {
            let label = endpoint.label();
            let events = events(endpoint.connect).len();
            lines.push(match &endpoint.action {
                EndpointAction::Create => format!(
                    "{label}: would create ({events} events, API version {API_VERSION}); its signing secret goes in {}",
                    endpoint.variable()
                ),
                EndpointAction::Update { id, added, removed, turn_on } => format!(
                    "{label}: would update {id}: {}",
                    changes(added, removed, *turn_on)
                ),
                EndpointAction::Replace { id, api_version } => format!(
                    "{label}: would replace {id} (API version {}, which Stripe cannot change) by a new endpoint with {API_VERSION}; its new signing secret goes in {}",
                    api_version.as_deref().unwrap_or("the account's default"),
                    endpoint.variable()
                ),
                EndpointAction::Keep { id } => format!("{label}: unchanged ({id})"),
            });
            lines.extend(endpoint.duplicate_lines());
        }
        lines.push(match &self.portal.action {
            PortalAction::Create => "customer portal: would create a configuration".to_owned(),
            PortalAction::Update { id, differences } => format!(
                "customer portal: would update {id}: {}",
                differences.join(", ")
            ),
            PortalAction::Keep { id } => format!("customer portal: unchanged ({id})"),
        });
        lines.extend(self.portal.duplicate_lines());
        lines
    }
}

impl PortalPlan {
    fn duplicate_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.duplicates.iter().map(|id| {
            format!("customer portal: note: {id} is tagged as Tollgate's too; sessions use the one above")
        })
    }
}

/// `added a, b; removed c; turned on`, at most five names each.
fn changes(added: &[String], removed: &[String], turn_on: bool) -> String {
    fn some(names: &[String]) -> String {
        let shown = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        match names.len() {
            0..=5 => shown,
            n => format!("{shown} and {} more", n - 5),
        }
    }
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("events added: {}", some(added)));
    }
    if !removed.is_empty() {
        parts.push(format!("events removed: {}", some(removed)));
    }
    if turn_on {
        parts.push("turned on (it was disabled)".to_owned());
    }
    parts.join("; ")
}

/// Makes the account match the plan; one line per thing, and the new endpoints' secrets.
pub async fn apply(
    stripe: &StripeClient,
    settings: &Settings,
    plan: Plan,
) -> Result<(Vec<String>, Vec<NewSecret>), GoLiveError> {
    // Keys unique to this run: a retry inside it is safe, and a later run (after an endpoint
    // was deleted in the Dashboard) is never answered with an old creation.
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut lines = Vec::new();
    let mut secrets = Vec::new();
    for endpoint in &plan.endpoints {
        let label = endpoint.label();
        let spec = EndpointSpec {
            url: &endpoint.url,
            events: events(endpoint.connect),
            connect: endpoint.connect,
            description: if endpoint.connect {
                "Tollgate: partners' connected accounts"
            } else {
                "Tollgate"
            },
        };
        let create_key = format!(
            "tollgate-setup-{run}-{}",
            if endpoint.connect {
                "connect"
            } else {
                "platform"
            }
        );
        match &endpoint.action {
            EndpointAction::Create => {
                let created = stripe
                    .create_webhook_endpoint(&spec, &create_key)
                    .await
                    .step("creating a webhook endpoint")?;
                lines.push(format!(
                    "{label}: created {} ({} events, API version {API_VERSION})",
                    created.id,
                    spec.events.len()
                ));
                secrets.extend(new_secret(endpoint.variable(), created));
            }
            EndpointAction::Update {
                id,
                added,
                removed,
                turn_on,
            } => {
                stripe
                    .update_webhook_endpoint(id, spec.events, &format!("{create_key}-update"))
                    .await
                    .step("updating a webhook endpoint's events")?;
                lines.push(format!(
                    "{label}: updated {id}: {}",
                    changes(added, removed, *turn_on)
                ));
            }
            EndpointAction::Replace { id, api_version } => {
                let created = stripe
                    .create_webhook_endpoint(&spec, &create_key)
                    .await
                    .step("creating the replacement webhook endpoint")?;
                stripe
                    .delete_webhook_endpoint(id)
                    .await
                    .step("deleting the endpoint with another API version")?;
                lines.push(format!(
                    "{label}: replaced {id} (API version {}, which Stripe cannot change) by {} ({API_VERSION}): set its new signing secret, or Stripe's deliveries fail (and are retried for up to three days) until you do",
                    api_version.as_deref().unwrap_or("the account's default"),
                    created.id
                ));
                secrets.extend(new_secret(endpoint.variable(), created));
            }
            EndpointAction::Keep { id } => lines.push(format!("{label}: unchanged ({id})")),
        }
        lines.extend(endpoint.duplicate_lines());
    }
    let account_url = settings.account_url();
    let spec = portal_spec(settings, &account_url);
    lines.push(match &plan.portal.action {
        PortalAction::Create => {
            let created = stripe
                .create_portal_configuration(&spec, &format!("tollgate-setup-{run}-portal"))
                .await
                .step("creating the customer portal configuration")?;
            format!(
                "customer portal: created {} (card updates, invoice history, cancelling {}; no plan switching; returns to {account_url})",
                created.id,
                spec.cancel_mode.replace('_', " ")
            )
        }
        PortalAction::Update { id, differences } => {
            stripe
                .update_portal_configuration(id, &spec, &format!("tollgate-setup-{run}-portal"))
                .await
                .step("updating the customer portal configuration")?;
            format!(
                "customer portal: updated {id} (was: {})",
                differences.join(", ")
            )
        }
        PortalAction::Keep { id } => format!("customer portal: unchanged ({id})"),
    });
    lines.extend(plan.portal.duplicate_lines());
    Ok((lines, secrets))
}

fn new_secret(variable: &'static str, endpoint: WebhookEndpoint) -> Option<NewSecret> {
    endpoint.secret.map(|secret| NewSecret { variable, secret })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn endpoint(id: &str, url: &str, events: &[&str], version: Option<&str>) -> WebhookEndpoint {
        serde_json::from_value(json!({
            "id": id, "url": url, "enabled_events": events, "api_version": version,
            "status": "enabled",
        }))
        .unwrap()
    }

    fn url() -> Url {
        Url::parse("https://shop.example/webhooks/stripe").unwrap()
    }

    #[test]
    fn an_endpoint_with_our_events_and_version_is_kept() {
        let existing = [endpoint(
            "we_1",
            "https://shop.example/webhooks/stripe",
            PLATFORM_EVENTS,
            Some(API_VERSION),
        )];
        let plan = plan_endpoint(&existing, url(), false);
        assert_eq!(plan.action, EndpointAction::Keep { id: "we_1".into() });
    }

    #[test]
    fn an_endpoint_missing_an_event_is_updated_with_what_differs() {
        let existing = [endpoint(
            "we_1",
            "https://shop.example/webhooks/stripe",
            &["invoice.paid", "coupon.created"],
            Some(API_VERSION),
        )];
        let EndpointAction::Update { added, removed, .. } =
            plan_endpoint(&existing, url(), false).action
        else {
            panic!("expected an update");
        };
        assert_eq!(added.len(), PLATFORM_EVENTS.len() - 1);
        assert_eq!(removed, ["coupon.created"]);
    }

    #[test]
    fn an_endpoint_on_another_api_version_is_replaced_unless_one_on_ours_exists() {
        let old = endpoint(
            "we_old",
            "https://shop.example/webhooks/stripe",
            PLATFORM_EVENTS,
            Some("2024-06-20"),
        );
        let plan = plan_endpoint(std::slice::from_ref(&old), url(), false);
        assert_eq!(
            plan.action,
            EndpointAction::Replace {
                id: "we_old".into(),
                api_version: Some("2024-06-20".into())
            }
        );
        let new = endpoint(
            "we_new",
            "https://shop.example/webhooks/stripe",
            PLATFORM_EVENTS,
            Some(API_VERSION),
        );
        let plan = plan_endpoint(&[old, new], url(), false);
        assert_eq!(
            plan.action,
            EndpointAction::Keep {
                id: "we_new".into()
            }
        );
        assert_eq!(plan.duplicates, ["we_old"]);
    }

    #[test]
    fn an_endpoint_elsewhere_is_not_ours() {
        let existing = [endpoint(
            "we_1",
            "https://other.example/webhooks/stripe",
            PLATFORM_EVENTS,
            Some(API_VERSION),
        )];
        assert_eq!(
            plan_endpoint(&existing, url(), false).action,
            EndpointAction::Create
        );
    }

    #[test]
    fn long_event_lists_are_shortened_in_words() {
        let names: Vec<String> = (0..8).map(|i| format!("e{i}")).collect();
        assert_eq!(
            changes(&names, &[], true),
            "events added: e0, e1, e2, e3, e4 and 3 more; turned on (it was disabled)"
        );
    }
}
