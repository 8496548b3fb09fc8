//! The emulator's whole state: every object by id, creation order per kind, the clocks, the
//! emulator-only bookkeeping (card behaviour, dunning schedule) and the events waiting for delivery.
//!
//! Objects belong to the platform or to one connected account (`owners`): an API call with
//! `Stripe-Account: acct_…` runs with that account as its `scope`, and [`World::find`],
//! [`World::get`] and [`World::all`] see only the objects of the scope, so balances, payments,
//! customers and events are kept per account without each resource knowing it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::cards::Card;
use crate::config::Settings;
use crate::error::ApiError;
use crate::ids::Ids;
use crate::payments::debits::{BankAccount, Settlement};

/// The request an API call came from, recorded on the events it causes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestInfo {
    /// `req_…`
    pub id: String,
    /// The caller's `Idempotency-Key`, if any.
    pub idempotency_key: Option<String>,
}

/// Emulator-only state of a subscription that Stripe keeps on its side.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Dunning {
    /// Failed collection attempts on the current open invoice.
    pub failed_attempts: u32,
    /// When the next collection attempt runs.
    pub next_attempt: Option<i64>,
    /// The trial end for which `customer.subscription.trial_will_end` was already sent.
    pub trial_notice_for: Option<i64>,
    /// The period end for which `invoice.upcoming` was already sent.
    #[serde(default)]
    pub upcoming_notice_for: Option<i64>,
    /// The schedule end for which `subscription_schedule.expiring` was already sent.
    #[serde(default)]
    pub schedule_notice_for: Option<i64>,
}

/// Everything the emulator knows.
#[derive(Debug, Serialize, Deserialize)]
pub struct World {
    /// Id generator (its state is saved, so a restarted emulator keeps issuing fresh ids).
    pub ids: Ids,
    /// Seconds the emulator-wide clock runs ahead of the wall clock.
    pub clock_offset: i64,
    /// Behaviour knobs (dunning schedule, what happens when retries run out).
    pub settings: Settings,
    objects: BTreeMap<String, Value>,
    order: BTreeMap<String, Vec<String>>,
    /// The test card behind each PaymentMethod, card source (`card_…`) and card token (`tok_…`).
    pub cards: BTreeMap<String, Card>,
    /// When each card source was added to its customer (a Card object has no `created`; the
    /// PaymentMethod it is seen as has).
    #[serde(default)]
    pub card_created: BTreeMap<String, i64>,
    /// The test bank account behind each SEPA Direct Debit PaymentMethod.
    #[serde(default)]
    pub bank_accounts: BTreeMap<String, BankAccount>,
    /// Debits in flight: when each processing PaymentIntent settles, and how.
    #[serde(default)]
    pub settlements: BTreeMap<String, Settlement>,
    /// Line items of each Checkout Session (Stripe returns them only on request).
    pub line_items: BTreeMap<String, Vec<Value>>,
    /// The `customer_update` of each Checkout Session (Stripe keeps it to itself).
    #[serde(default)]
    pub checkout_customer_update: BTreeMap<String, Value>,
    /// Proration lines waiting for a subscription's next invoice.
    pub pending_lines: BTreeMap<String, Vec<Value>>,
    /// Dunning and notice state per subscription.
    pub dunning: BTreeMap<String, Dunning>,
    /// Ids of deleted customers, which Stripe still answers for with `deleted: true`.
    #[serde(default)]
    pub deleted_customers: std::collections::BTreeSet<String>,
    /// The signing secret of each webhook endpoint.
    pub endpoint_secrets: BTreeMap<String, String>,
    /// Webhook endpoints created with `connect=true`: they receive connected accounts' events
    /// (and only those); the others receive the platform's own.
    #[serde(default)]
    pub connect_endpoints: std::collections::BTreeSet<String>,
    /// The connected account (`acct_…`) each object made while acting as it belongs to; objects
    /// absent here are the platform's.
    #[serde(default)]
    owners: BTreeMap<String, String>,
    /// The platform's bank accounts that payouts go to.
    #[serde(default)]
    pub payout_accounts: crate::money::payouts::BankAccounts,
    /// Connect bookkeeping: requested capabilities, Account Links, login links, payout dates.
    #[serde(default)]
    pub connect: crate::connect::State,
    /// The coupon behind each discount (`di_…`) as it was when redeemed: a discount keeps
    /// applying after its coupon is deleted.
    #[serde(default)]
    pub discount_terms: BTreeMap<String, Value>,
    /// The tax rate automatic tax applies in each jurisdiction of its table (`US-CA`, `DE-`),
    /// made on first use and left out of `GET /v1/tax_rates`.
    #[serde(default)]
    pub automatic_tax_rates: BTreeMap<String, String>,
    /// The tiers of each tiered price (`billing_scheme=tiered`), shown with `expand[]=tiers`.
    #[serde(default)]
    pub price_tiers: BTreeMap<String, Vec<Value>>,
    /// Usage-based billing: meter events received, v2 stream sessions, thin events.
    #[serde(default)]
    pub metering: crate::metering::State,
    /// The bytes of each uploaded File.
    #[serde(default)]
    pub file_contents: BTreeMap<String, Vec<u8>>,
    /// The emulator's public base URL (set at start, not saved).
    #[serde(skip)]
    pub base_url: String,
    /// The request being served, stamped on the events it emits.
    #[serde(skip)]
    pub request: Option<RequestInfo>,
    /// The connected account the current call acts as (`Stripe-Account`); None for the platform.
    #[serde(skip)]
    pub scope: Option<String>,
    /// Events emitted and not yet handed to the delivery task.
    #[serde(skip)]
    pub outbox: Vec<Value>,
}

/// The wall clock in unix seconds.
pub fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

impl World {
    /// An empty world.
    pub fn new(ids: Ids, settings: Settings) -> Self {
        Self {
            ids,
            clock_offset: 0,
            settings,
            objects: BTreeMap::new(),
            order: BTreeMap::new(),
            cards: BTreeMap::new(),
            card_created: BTreeMap::new(),
            bank_accounts: BTreeMap::new(),
            settlements: BTreeMap::new(),
            line_items: BTreeMap::new(),
            pending_lines: BTreeMap::new(),
            checkout_customer_update: BTreeMap::new(),
            dunning: BTreeMap::new(),
            deleted_customers: Default::default(),
            endpoint_secrets: BTreeMap::new(),
            connect_endpoints: Default::default(),
            owners: BTreeMap::new(),
            payout_accounts: Default::default(),
            file_contents: BTreeMap::new(),
            metering: Default::default(),
            price_tiers: BTreeMap::new(),
            discount_terms: BTreeMap::new(),
            automatic_tax_rates: BTreeMap::new(),
            connect: Default::default(),
            base_url: String::new(),
            request: None,
            scope: None,
            outbox: Vec::new(),
        }
    }

    /// The emulator-wide time: wall clock plus every advance so far.
    pub fn now(&self) -> i64 {
        wall_clock() + self.clock_offset
    }

    /// The time as seen by a customer: its test clock's frozen time, or the emulator's time.
    pub fn now_for_customer(&self, customer: &str) -> i64 {
        self.objects
            .get(customer)
            .and_then(|customer| customer["test_clock"].as_str())
            .and_then(|clock| self.objects.get(clock))
            .and_then(|clock| clock["frozen_time"].as_i64())
            .unwrap_or_else(|| self.now())
    }

    /// A new id with Stripe's prefix for the kind.
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.ids.new_id(prefix)
    }

    /// Stores a new object; its `object` field names its kind.
    pub fn insert(&mut self, value: Value) -> Value {
        let id = value["id"].as_str().expect("objects have ids").to_owned();
        let kind = value["object"]
            .as_str()
            .expect("objects have a kind")
            .to_owned();
        self.order.entry(kind).or_default().push(id.clone());
        if let Some(account) = &self.scope {
            self.owners.insert(id.clone(), account.clone());
        }
        self.objects.insert(id, value.clone());
        value
    }

    /// Replaces a stored object.
    pub fn put(&mut self, value: Value) {
        let id = value["id"].as_str().expect("objects have ids").to_owned();
        self.objects.insert(id, value);
    }

    /// Whether an id exists.
    pub fn exists(&self, id: &str) -> bool {
        self.objects.contains_key(id)
    }

    /// The object with this id, if it exists, is of the given kind and belongs to the scope.
    pub fn find(&self, kind: &str, id: &str) -> Option<&Value> {
        self.objects
            .get(id)
            .filter(|value| value["object"] == kind && self.visible(id))
    }

    /// Whether an object belongs to the current scope (the platform or the connected account).
    fn visible(&self, id: &str) -> bool {
        self.owners.get(id).map(String::as_str) == self.scope.as_deref()
    }

    /// A connected account of the platform, whatever the scope.
    pub fn connected_account(&self, id: &str) -> Option<&Value> {
        self.objects
            .get(id)
            .filter(|value| value["object"] == "account" && !self.owners.contains_key(id))
    }

    /// Runs `work` acting as `account` (None: the platform), then returns to the current scope:
    /// what it creates belongs to that account and what it emits carries its `account`.
    pub fn as_account<T>(&mut self, account: Option<&str>, work: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::replace(&mut self.scope, account.map(str::to_owned));
        let result = work(self);
        self.scope = outer;
        result
    }

    /// The platform (None) and every connected account, for work that runs in each.
    pub fn scopes(&self) -> Vec<Option<String>> {
        let accounts = self
            .order
            .get("account")
            .into_iter()
            .flatten()
            .filter(|id| self.connected_account(id).is_some())
            .map(|id| Some(id.clone()));
        std::iter::once(None).chain(accounts).collect()
    }

    /// The platform's webhook endpoints.
    pub fn endpoints(&self) -> impl Iterator<Item = &Value> + '_ {
        self.order
            .get("webhook_endpoint")
            .into_iter()
            .flatten()
            .filter(|id| !self.owners.contains_key(*id))
            .filter_map(|id| self.objects.get(id))
    }

    /// Whether an endpoint takes an event: enabled, its type wanted, and a connected account's
    /// event for a Connect endpoint or a platform event for any other.
    pub fn endpoint_receives(&self, endpoint: &Value, event: &Value) -> bool {
        let connect = endpoint["id"]
            .as_str()
            .is_some_and(|id| self.connect_endpoints.contains(id));
        endpoint_wants(endpoint, event["type"].as_str().unwrap_or_default())
            && connect == event.get("account").is_some()
    }

    /// Like [`World::find`], or Stripe's 404 naming the parameter.
    pub fn get(&self, kind: &str, id: &str, param: &str) -> Result<Value, ApiError> {
        self.find(kind, id)
            .cloned()
            .ok_or_else(|| ApiError::missing_resource(display_kind(kind), id, param))
    }

    /// Removes an object (deleted products, customers, endpoints).
    pub fn remove(&mut self, id: &str) -> Option<Value> {
        let value = self.objects.remove(id)?;
        self.owners.remove(id);
        if let Some(ids) = value["object"]
            .as_str()
            .and_then(|kind| self.order.get_mut(kind))
        {
            ids.retain(|known| known != id);
        }
        Some(value)
    }

    /// Every object of a kind in the current scope, newest first.
    pub fn all(&self, kind: &str) -> impl Iterator<Item = &Value> + '_ {
        self.order
            .get(kind)
            .into_iter()
            .flat_map(|ids| ids.iter().rev())
            .filter(|id| self.visible(id))
            .filter_map(|id| self.objects.get(id))
    }

    /// Emits an event for `object`, with `previous` as `data.previous_attributes`.
    pub fn emit(&mut self, kind: &str, object: &Value, previous: Option<Value>) {
        // Every test run checks that the emulator sends only events Stripe has (an app's list of
        // the events it subscribes to is checked against Stripe's).
        debug_assert!(
            crate::spec::Spec::is_event_type(kind),
            "{kind} is not one of Stripe's event types"
        );
        let id = self.new_id("evt");
        let created = object["customer"]
            .as_str()
            .map(|customer| self.now_for_customer(customer))
            .unwrap_or_else(|| self.now());
        let mut data = json!({ "object": object });
        if let Some(previous) =
            previous.filter(|previous| previous.as_object().is_some_and(|map| !map.is_empty()))
        {
            data["previous_attributes"] = previous;
        }
        let request = match &self.request {
            Some(request) => {
                json!({ "id": request.id, "idempotency_key": request.idempotency_key })
            }
            None => json!({ "id": null, "idempotency_key": null }),
        };
        let mut event = json!({
            "id": id,
            "object": "event",
            "api_version": crate::API_VERSION,
            "context": null,
            "created": created,
            "data": data,
            "livemode": false,
            "pending_webhooks": 0,
            "request": request,
            "type": kind,
        });
        if let Some(account) = &self.scope {
            event["account"] = json!(account);
        }
        let pending = self
            .endpoints()
            .filter(|endpoint| self.endpoint_receives(endpoint, &event))
            .count();
        event["pending_webhooks"] = json!(pending);
        self.insert(event.clone());
        self.outbox.push(event);
    }

    /// How many events were ever emitted.
    pub fn event_count(&self) -> usize {
        self.order.get("event").map_or(0, Vec::len)
    }

    /// The ids of the events emitted after the first `count`, oldest first.
    pub fn event_ids_from(&self, count: usize) -> Vec<String> {
        self.order
            .get("event")
            .and_then(|ids| ids.get(count..))
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    }

    /// How many webhook deliveries have not succeeded yet, over every event (in flight,
    /// retrying, or abandoned).
    pub fn pending_webhooks(&self) -> i64 {
        self.order
            .get("event")
            .into_iter()
            .flatten()
            .filter_map(|id| self.objects.get(id))
            .map(|event| event["pending_webhooks"].as_i64().unwrap_or(0))
            .sum()
    }

    /// One delivery of an event succeeded: one fewer pending webhook.
    pub fn webhook_delivered(&mut self, event: &str) {
        if let Some(event) = self.objects.get_mut(event) {
            let pending = event["pending_webhooks"].as_i64().unwrap_or(0);
            event["pending_webhooks"] = json!((pending - 1).max(0));
        }
    }

    /// Stores a changed object and emits `kind` with the attributes that changed since `before`.
    pub fn update_and_emit(&mut self, kind: &str, before: &Value, after: Value) -> Value {
        self.put(after.clone());
        let previous = previous_attributes(before, &after);
        if previous.as_object().is_some_and(|map| !map.is_empty()) {
            self.emit(kind, &after, Some(previous));
        }
        after
    }
}

/// Whether an endpoint is enabled and its `enabled_events` covers an event type.
fn endpoint_wants(endpoint: &Value, kind: &str) -> bool {
    endpoint["status"] == "enabled"
        && endpoint["enabled_events"]
            .as_array()
            .is_some_and(|events| events.iter().any(|event| event == "*" || event == kind))
}

/// The fields of `before` whose values differ in `after`, with their old values, recursing into
/// nested objects the way Stripe reports `previous_attributes`.
pub fn previous_attributes(before: &Value, after: &Value) -> Value {
    let mut changed = Map::new();
    if let (Value::Object(old), Value::Object(new)) = (before, after) {
        for (key, old_value) in old {
            let new_value = new.get(key).unwrap_or(&Value::Null);
            if old_value == new_value || key == "updated" {
                continue;
            }
            let nested = match (old_value, new_value) {
                (Value::Object(_), Value::Object(_)) if old_value.get("object").is_none() => {
                    previous_attributes(old_value, new_value)
                }
                _ => old_value.clone(),
            };
            changed.insert(key.clone(), nested);
        }
    }
    Value::Object(changed)
}

/// The name Stripe uses for a kind in "No such …" messages.
fn display_kind(kind: &str) -> &str {
    match kind {
        "billing_portal.configuration" => "configuration",
        "checkout.session" => "checkout session",
        "billing_portal.session" => "billing portal session",
        "test_helpers.test_clock" => "test clock",
        "webhook_endpoint" => "webhook endpoint",
        "payment_method" => "PaymentMethod",
        "setup_intent" => "setupintent",
        "subscription_item" => "subscription item",
        "balance_transaction" => "balance transaction",
        "file" => "file upload",
        "promotion_code" => "promotion code",
        "tax_rate" => "tax rate",
        "tax_id" => "tax id",
        "subscription_schedule" => "subscription schedule",
        "bank_account" => "external account",
        "billing.meter" => "billing meter",
        "billing.credit_grant" => "credit grant",
        "billing.credit_balance_transaction" => "credit balance transaction",
        other => other,
    }
}
