//! A stateful, offline Stripe: the REST API the official SDKs speak, hosted Checkout and customer
//! portal pages, signed webhook delivery and test clocks.
//!
//! Tests start one in-process on a random port with [`spawn`]; the `stripe-emulator` binary wraps
//! the same function. Everything lives in one [`world::World`] behind a mutex: API calls are short
//! and synchronous, and the events they emit are handed to a background delivery task.
#![recursion_limit = "256"]

mod api;
pub mod billing;
pub mod cards;
pub mod config;
pub mod connect;
pub mod discounts;
pub mod error;
mod faults;
pub mod form;
mod http;
pub mod ids;
pub mod invoicing;
pub mod latency;
pub mod listing;
pub mod metering;
pub mod money;
mod pages;
pub mod payments;
mod persist;
pub mod schedules;
pub mod shapes;
pub mod sources;
pub mod spec;
pub mod tax;
mod upload;
mod validate;
pub mod webhooks;
pub mod world;

use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub use config::{parse_duration, Chaos, Config, Settings, StartupEndpoint};
pub use latency::Latency;
pub use webhooks::WebhookRetries;
use world::World;

/// The API version whose object shapes the emulator speaks.
pub const API_VERSION: &str = "2026-10-28.endive";

/// A handle on a running emulator; cheap to clone.
#[derive(Clone)]
pub struct Emulator {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    world: Mutex<World>,
    base_url: String,
    config: Config,
    idempotency: Mutex<http::IdempotencyCache>,
    deliveries: mpsc::UnboundedSender<Value>,
    log: Mutex<Vec<webhooks::Attempt>>,
    faults: Mutex<faults::Faults>,
    /// The API latency now: `config.latency` at start, changed by `POST /_emulator/latency`.
    latency: Mutex<Latency>,
}

/// An emulator serving on a port, stopped when dropped.
pub struct Running {
    /// `http://127.0.0.1:PORT`, where the API and the hosted pages are served.
    pub base_url: String,
    /// The emulator, for direct inspection in tests.
    pub emulator: Emulator,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts an emulator: binds, loads saved state, adds start-up webhook endpoints, and serves.
pub async fn spawn(config: Config) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("could not listen on {}", config.addr))?;
    let addr = listener.local_addr()?;
    let base_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    let mut world = match &config.state_file {
        Some(path) => persist::load(path)?,
        None => None,
    }
    .unwrap_or_else(|| {
        let ids = config
            .seed
            .map(ids::Ids::seeded)
            .unwrap_or_else(ids::Ids::random);
        World::new(ids, config.settings.clone())
    });
    world.base_url = base_url.clone();
    for endpoint in &config.webhooks {
        api::webhook_endpoints::ensure(&mut world, &endpoint.url, &endpoint.secret, false);
    }
    for endpoint in &config.connect_webhooks {
        api::webhook_endpoints::ensure(&mut world, &endpoint.url, &endpoint.secret, true);
    }
    let (sender, receiver) = mpsc::unbounded_channel();
    let emulator = Emulator {
        shared: Arc::new(Shared {
            world: Mutex::new(world),
            base_url: base_url.clone(),
            idempotency: Mutex::new(http::IdempotencyCache::default()),
            deliveries: sender,
            log: Mutex::new(Vec::new()),
            faults: faults::Faults::new(config.chaos.api_fault_rate, config.chaos.api_stall),
            latency: Mutex::new(config.latency),
            config,
        }),
    };
    tokio::spawn(webhooks::deliver(emulator.downgrade(), receiver));
    if let Some(every) = emulator.shared.config.tick {
        tokio::spawn(tick(emulator.downgrade(), every));
    }
    let router = http::router(emulator.clone());
    let server = tokio::spawn(async move {
        // Peers' addresses are kept: the onboarding form records who accepted the terms.
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        if let Err(error) = axum::serve(listener, service).await {
            tracing::error!(%error, "the emulator stopped serving");
        }
    });
    Ok(Running {
        base_url,
        emulator,
        server,
    })
}

impl Emulator {
    /// The base URL of the API and hosted pages.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// Runs `change` on the world, then hands emitted events to delivery and saves the state.
    pub fn mutate<T>(&self, change: impl FnOnce(&mut World) -> T) -> T {
        self.apply(true, change)
    }

    /// Like [`Emulator::mutate`], saving only when something happened (an event was emitted).
    pub(crate) fn mutate_if_eventful<T>(&self, change: impl FnOnce(&mut World) -> T) -> T {
        self.apply(false, change)
    }

    fn apply<T>(&self, always_save: bool, change: impl FnOnce(&mut World) -> T) -> T {
        let (result, events) = {
            let mut world = self.world();
            let result = change(&mut world);
            let events = std::mem::take(&mut world.outbox);
            // Saved under the lock: snapshots reach the file in the order the changes happened.
            if let Some(path) = &self.shared.config.state_file {
                if always_save || !events.is_empty() {
                    let saved = persist::snapshot(&world)
                        .map_err(std::io::Error::other)
                        .and_then(|bytes| persist::save(path, &bytes));
                    if let Err(error) = saved {
                        tracing::warn!(%error, path = %path.display(), "could not save the emulator state");
                    }
                }
            }
            (result, events)
        };
        for event in events {
            // The receiver lives as long as the emulator; a send only fails during shutdown.
            let _ = self.shared.deliveries.send(event);
        }
        result
    }

    /// Reads the world without changing it.
    pub fn read<T>(&self, look: impl FnOnce(&World) -> T) -> T {
        look(&self.world())
    }

    /// Changes bookkeeping that emits no events and need not be saved at once.
    pub(crate) fn mutate_quiet<T>(&self, change: impl FnOnce(&mut World) -> T) -> T {
        change(&mut self.world())
    }

    /// Moves the emulator-wide clock forward and runs everything that fell due (renewals, trial
    /// ends, payment retries, cancellations). Customers on a test clock are not affected.
    /// Returns the new time and the ids of the events emitted on the way, oldest first.
    pub fn advance(&self, seconds: i64) -> (i64, Vec<String>) {
        self.mutate(|world| {
            let before = world.event_count();
            world.clock_offset = world.clock_offset.saturating_add(seconds.max(0));
            run_due(world);
            (world.now(), world.event_ids_from(before))
        })
    }

    /// Adds a webhook endpoint receiving every event, signed with `secret` (for tests that start
    /// the emulator before the app it should deliver to).
    pub fn add_webhook(&self, url: &str, secret: &str) {
        self.mutate(|world| api::webhook_endpoints::ensure(world, url, secret, false));
    }

    /// Adds a Connect webhook endpoint receiving every connected account's events (those with
    /// `account`), signed with `secret`.
    pub fn add_connect_webhook(&self, url: &str, secret: &str) {
        self.mutate(|world| api::webhook_endpoints::ensure(world, url, secret, true));
    }

    /// Every webhook delivery attempt so far, oldest first.
    pub fn delivery_log(&self) -> Vec<webhooks::Attempt> {
        self.shared.log.lock().expect("delivery log lock").clone()
    }

    fn world(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock leaves a half-applied change; the emulator keeps serving
        // what is there rather than failing every later request.
        self.shared
            .world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn upgrade(weak: &std::sync::Weak<Shared>) -> Option<Self> {
        weak.upgrade().map(|shared| Self { shared })
    }

    pub(crate) fn downgrade(&self) -> std::sync::Weak<Shared> {
        Arc::downgrade(&self.shared)
    }
}

/// Processes what fell due on the wall clock, until the emulator is dropped.
async fn tick(shared: std::sync::Weak<Shared>, every: std::time::Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(emulator) = Emulator::upgrade(&shared) else {
            return;
        };
        emulator.mutate_if_eventful(run_due);
    }
}

/// Runs what fell due on the emulator's clock (renewals, trial ends, payment retries, expired
/// sessions, settled debits, available funds, arrived payouts) for the platform and for every
/// connected account.
fn run_due(world: &mut World) {
    for scope in world.scopes() {
        world.as_account(scope.as_deref(), |world| {
            let now = world.now();
            billing::run_due(world, None, now);
            api::checkout::expire_due(world);
            payments::run_due(world);
            money::run_due(world);
            metering::credits::expire_due(world);
        });
    }
}
