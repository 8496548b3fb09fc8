//! The parts of Stripe's objects Tollgate reads (API version [`super::API_VERSION`]). Fields we do
//! not use are not declared; serde ignores them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

pub use crate::billing::SubscriptionStatus;

/// A page of a list: `{object: "list", data, has_more}`.
#[derive(Clone, Debug, Deserialize)]
pub struct List<T> {
    /// The objects on this page, newest first.
    pub data: Vec<T>,
    /// Whether another page follows (`starting_after` the last id).
    pub has_more: bool,
}

/// A field that is an id, or the object itself when it was expanded (`expand[]=…`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Expandable<T> {
    /// Not expanded.
    Id(String),
    /// Expanded.
    Object(Box<T>),
}

impl<T: HasId> Expandable<T> {
    /// The id, whichever form arrived.
    pub fn id(&self) -> &str {
        match self {
            Self::Id(id) => id,
            Self::Object(object) => object.id(),
        }
    }

    /// The object, if it was expanded.
    pub fn object(&self) -> Option<&T> {
        match self {
            Self::Id(_) => None,
            Self::Object(object) => Some(object),
        }
    }
}

/// Objects with an `id`.
pub trait HasId {
    /// The Stripe id (`prod_…`, `sub_…`).
    fn id(&self) -> &str;
}

/// Deserializes an expandable field to its id, whether it came as an id or an object.
pub(super) fn id_of<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IdOrObject {
        Id(String),
        Object { id: String },
    }
    Ok(match IdOrObject::deserialize(deserializer)? {
        IdOrObject::Id(id) | IdOrObject::Object { id } => id,
    })
}

/// As [`id_of`], for a field that may be null.
pub(super) fn optional_id_of<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "id_of")] String);
    Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(id)| id))
}

/// A product: what the pricing page shows as a plan.
#[derive(Clone, Debug, Deserialize)]
pub struct Product {
    /// `prod_…`.
    pub id: String,
    /// Archived products are not sold.
    pub active: bool,
    /// Shown on the pricing card.
    pub name: String,
    /// Shown under the name.
    pub description: Option<String>,
    /// Image URLs.
    #[serde(default)]
    pub images: Vec<String>,
    /// Free-form; `index` orders the pricing page, `features` lists entitlements.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The bullet list on the pricing card.
    #[serde(default)]
    pub marketing_features: Vec<MarketingFeature>,
    /// Unix seconds of the last change.
    #[serde(default)]
    pub updated: i64,
}

/// One line of a product's feature list.
#[derive(Clone, Debug, Deserialize)]
pub struct MarketingFeature {
    /// The text shown.
    pub name: Option<String>,
}

/// A deleted object's stub: `{id, object, deleted: true}`.
#[derive(Clone, Debug, Deserialize)]
pub struct Deleted {
    /// The id that no longer exists.
    pub id: String,
    /// Always `true`.
    #[serde(default)]
    pub deleted: bool,
}

/// A price: an amount in a currency, one-time or per interval.
#[derive(Clone, Debug, Deserialize)]
pub struct Price {
    /// `price_…`.
    pub id: String,
    /// Inactive prices are not sold.
    pub active: bool,
    /// Lower-case ISO code.
    pub currency: String,
    /// In the currency's minor unit (cents; yen have none). `None` for custom amounts.
    pub unit_amount: Option<i64>,
    /// The product, as an id (or expanded).
    #[serde(deserialize_with = "id_of")]
    pub product: String,
    /// `one_time` or `recurring`.
    #[serde(rename = "type")]
    pub kind: PriceKind,
    /// For recurring prices: the interval and trial.
    pub recurring: Option<Recurring>,
    /// A stable name for the price (the seed file uses these).
    pub lookup_key: Option<String>,
    /// An internal label.
    pub nickname: Option<String>,
    /// Free-form.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// `inclusive` (tax is part of the amount), `exclusive` (added on top) or `unspecified`.
    #[serde(default)]
    pub tax_behavior: Option<String>,
}

/// Whether a price is paid once or per interval.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PriceKind {
    /// Paid once: Checkout in `payment` mode.
    OneTime,
    /// Paid per interval: Checkout in `subscription` mode.
    Recurring,
}

/// A recurring price's schedule.
#[derive(Clone, Debug, Deserialize)]
pub struct Recurring {
    /// `day`, `week`, `month` or `year`.
    pub interval: String,
    /// How many intervals between bills.
    pub interval_count: i64,
    /// Free days before the first bill.
    pub trial_period_days: Option<i64>,
    /// Whether it bills a fixed amount per period or per unit of usage.
    pub usage_type: UsageType,
}

/// How a recurring price bills.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UsageType {
    /// A fixed amount (times the quantity) each period.
    Licensed,
    /// Per unit of usage reported to a meter during the period.
    Metered,
}

impl UsageType {
    /// As Stripe and `stripe_prices.usage_type` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Licensed => "licensed",
            Self::Metered => "metered",
        }
    }
}

/// A customer.
#[derive(Clone, Debug, Deserialize)]
pub struct Customer {
    /// `cus_…`.
    pub id: String,
    /// The billing email.
    #[serde(default)]
    pub email: Option<String>,
    /// Retrieving a deleted customer answers its stub with `deleted: true`.
    #[serde(default)]
    pub deleted: bool,
    /// The card invoices are charged to unless a subscription names its own.
    #[serde(default)]
    pub invoice_settings: Option<InvoiceSettings>,
}

/// A customer's invoice defaults.
#[derive(Clone, Debug, Deserialize)]
pub struct InvoiceSettings {
    /// The default payment method (an id; `StripeClient::customer` fetches the object).
    pub default_payment_method: Option<Expandable<PaymentMethod>>,
}

/// A payment method; Tollgate reads cards only.
#[derive(Clone, Debug, Deserialize)]
pub struct PaymentMethod {
    /// `pm_…`.
    pub id: String,
    /// The customer it is attached to (`None` once detached).
    #[serde(default, deserialize_with = "optional_id_of")]
    pub customer: Option<String>,
    /// Card details, for `type: card`.
    pub card: Option<Card>,
}

/// What may be shown of a card.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Card {
    /// `visa`, `mastercard`, …
    pub brand: String,
    /// The last four digits.
    pub last4: String,
    /// 1–12.
    pub exp_month: i32,
    /// Four digits.
    pub exp_year: i32,
    /// The same for every card with this number (within one Stripe account): how the trial
    /// ledger recognises a card that had a free trial on another account.
    #[serde(default)]
    pub fingerprint: Option<String>,
}

impl PaymentMethod {
    /// The card, if this payment method is one.
    pub fn card(&self) -> Option<&Card> {
        self.card.as_ref()
    }
}

/// An invoice (the fields the account page lists).
#[derive(Clone, Debug, Deserialize)]
pub struct Invoice {
    /// `in_…`; a preview (`create_preview`) has none.
    pub id: Option<String>,
    /// The customer billed; `None` for an invoice billed to a customer account instead (Stripe's
    /// Accounts v2), which is never one of our users'.
    #[serde(default, deserialize_with = "optional_id_of")]
    pub customer: Option<String>,
    /// Assigned when finalized.
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible` or `void`.
    pub status: Option<String>,
    /// Lower-case ISO code.
    pub currency: String,
    /// After discounts and tax, minor units.
    pub total: i64,
    /// What the customer owes.
    pub amount_due: i64,
    /// What was paid.
    pub amount_paid: i64,
    /// What is still owed.
    pub amount_remaining: i64,
    /// `subscription_create`, `subscription_cycle`, `subscription_update`, `manual`, …
    pub billing_reason: Option<String>,
    /// Stripe's page for the invoice (paying it, when open).
    pub hosted_invoice_url: Option<String>,
    /// Its PDF.
    pub invoice_pdf: Option<String>,
    /// The period billed (unix seconds).
    pub period_start: Option<i64>,
    /// The period billed.
    pub period_end: Option<i64>,
    /// How many times payment was tried.
    #[serde(default)]
    pub attempt_count: i32,
    /// Unix seconds.
    pub created: i64,
    /// Since the basil API the subscription is at `parent.subscription_details.subscription`.
    pub parent: Option<InvoiceParent>,
    /// The lines (the first page, as embedded).
    pub lines: Option<List<InvoiceLine>>,
    /// Its payments, when expanded (`expand[]=payments`): what links an invoice to the
    /// PaymentIntent (and so the charge) that paid it since the basil API.
    #[serde(default)]
    pub payments: Option<List<InvoicePayment>>,
    /// What each discount took off.
    #[serde(default)]
    pub total_discount_amounts: Vec<AmountOnly>,
    /// The tax added (or included), per rate.
    #[serde(default)]
    pub total_taxes: Vec<AmountOnly>,
}

/// An entry of an invoice's totals of which only the amount is read.
#[derive(Clone, Debug, Deserialize)]
pub struct AmountOnly {
    /// Minor units.
    pub amount: i64,
}

/// One payment of an invoice (an `invoice_payment`).
#[derive(Clone, Debug, Deserialize)]
pub struct InvoicePayment {
    /// `paid`, `open` or `canceled`.
    pub status: String,
    /// What paid it.
    pub payment: InvoicePaymentTarget,
}

/// What an invoice payment was made with.
#[derive(Clone, Debug, Deserialize)]
pub struct InvoicePaymentTarget {
    /// `pi_…` when a PaymentIntent paid it.
    #[serde(default, deserialize_with = "optional_id_of")]
    pub payment_intent: Option<String>,
}

/// Where an invoice came from.
#[derive(Clone, Debug, Deserialize)]
pub struct InvoiceParent {
    /// Set for subscription invoices.
    pub subscription_details: Option<SubscriptionDetails>,
}

/// The subscription an invoice bills.
#[derive(Clone, Debug, Deserialize)]
pub struct SubscriptionDetails {
    /// `sub_…`.
    #[serde(default, deserialize_with = "optional_id_of")]
    pub subscription: Option<String>,
}

/// One line of an invoice.
#[derive(Clone, Debug, Deserialize)]
pub struct InvoiceLine {
    /// Minor units; negative for credit.
    pub amount: i64,
    /// What it is for.
    pub description: Option<String>,
}

impl Invoice {
    /// The PaymentIntent that paid it, when its payments were expanded.
    pub fn paid_by(&self) -> Option<&str> {
        self.payments
            .as_ref()?
            .data
            .iter()
            .find(|payment| payment.status == "paid")?
            .payment
            .payment_intent
            .as_deref()
    }

    /// The subscription the invoice bills, if any.
    pub fn subscription_id(&self) -> Option<&str> {
        self.parent
            .as_ref()?
            .subscription_details
            .as_ref()?
            .subscription
            .as_deref()
    }
}

/// A Checkout Session.
#[derive(Clone, Debug, Deserialize)]
pub struct CheckoutSession {
    /// `cs_…`.
    pub id: String,
    /// `payment`, `subscription` or `setup`.
    pub mode: String,
    /// `open`, `complete` or `expired`.
    pub status: Option<String>,
    /// `paid`, `unpaid` (e.g. a bank debit still processing) or `no_payment_required` (a trial).
    pub payment_status: String,
    /// The hosted page to send the customer to (while open).
    pub url: Option<String>,
    /// The customer.
    #[serde(default, deserialize_with = "optional_id_of")]
    pub customer: Option<String>,
    /// Our user id, set when the session was created.
    pub client_reference_id: Option<String>,
    /// The subscription it created (subscription mode, once complete).
    pub subscription: Option<Expandable<Subscription>>,
    /// The PaymentIntent that paid it (payment mode).
    #[serde(default, deserialize_with = "optional_id_of")]
    pub payment_intent: Option<String>,
    /// What was bought, when expanded (`expand[]=line_items`).
    pub line_items: Option<List<LineItem>>,
    /// The total in minor units.
    pub amount_total: Option<i64>,
    /// The currency of the total.
    pub currency: Option<String>,
    /// Unix seconds.
    pub created: i64,
}

/// One line of a Checkout Session.
#[derive(Clone, Debug, Deserialize)]
pub struct LineItem {
    /// `li_…`.
    pub id: String,
    /// What the line is for.
    pub description: Option<String>,
    /// The price bought.
    pub price: Option<Price>,
    /// How many.
    pub quantity: Option<i64>,
    /// The line's total in minor units.
    pub amount_total: i64,
    /// Its currency.
    pub currency: String,
}

/// A subscription.
#[derive(Clone, Debug, Deserialize)]
pub struct Subscription {
    /// `sub_…`.
    pub id: String,
    /// The customer it bills.
    #[serde(deserialize_with = "id_of")]
    pub customer: String,
    /// `incomplete`, `incomplete_expired`, `trialing`, `active`, `past_due`, `canceled`,
    /// `unpaid` or `paused`.
    pub status: SubscriptionStatus,
    /// Whether it ends when the current period does.
    pub cancel_at_period_end: bool,
    /// When it is set to end (unix seconds).
    pub cancel_at: Option<i64>,
    /// When it was canceled.
    pub canceled_at: Option<i64>,
    /// When it ended.
    pub ended_at: Option<i64>,
    /// Why it was canceled.
    #[serde(default)]
    pub cancellation_details: Option<CancellationDetails>,
    /// Trial start.
    pub trial_start: Option<i64>,
    /// Trial end.
    pub trial_end: Option<i64>,
    /// Unix seconds.
    pub created: i64,
    /// What it bills for; since the basil API the billing period lives on each item.
    pub items: List<SubscriptionItem>,
    /// The newest invoice.
    #[serde(default, deserialize_with = "optional_id_of")]
    pub latest_invoice: Option<String>,
    /// The card it is charged to, if it names its own (expand `default_payment_method`).
    #[serde(default)]
    pub default_payment_method: Option<Expandable<PaymentMethod>>,
    /// Free-form.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Changes waiting for `latest_invoice` to be paid (an update sent with
    /// `payment_behavior=pending_if_incomplete` whose invoice was not paid).
    #[serde(default)]
    pub pending_update: Option<PendingUpdate>,
    /// The schedule managing it (expand `schedule`): a change set for a later date.
    #[serde(default)]
    pub schedule: Option<Expandable<SubscriptionSchedule>>,
    /// Its discounts (expand `discounts.source.coupon`).
    #[serde(default)]
    pub discounts: Vec<Expandable<Discount>>,
}

/// A subscription schedule: phases of items, one after the other.
/// <https://docs.stripe.com/api/subscription_schedules/object>
#[derive(Clone, Debug, Deserialize)]
pub struct SubscriptionSchedule {
    /// `sub_sched_…`.
    pub id: String,
    /// `not_started`, `active`, `completed`, `released` or `canceled`.
    pub status: String,
    /// Its phases, in order.
    #[serde(default)]
    pub phases: Vec<SchedulePhase>,
    /// The phase in effect now.
    pub current_phase: Option<PhaseDates>,
}

impl HasId for SubscriptionSchedule {
    fn id(&self) -> &str {
        &self.id
    }
}

impl SubscriptionSchedule {
    /// The change still to come: the first phase starting after the current one ends, if the
    /// schedule is in force.
    pub fn next_phase(&self) -> Option<&SchedulePhase> {
        if !matches!(self.status.as_str(), "not_started" | "active") {
            return None;
        }
        let current_end = self.current_phase.as_ref().map(|phase| phase.end_date);
        self.phases
            .iter()
            .find(|phase| current_end.is_none_or(|end| phase.start_date >= end))
    }
}

/// When a phase runs (unix seconds).
#[derive(Clone, Debug, Deserialize)]
pub struct PhaseDates {
    pub start_date: i64,
    pub end_date: i64,
}

/// One phase of a schedule.
#[derive(Clone, Debug, Deserialize)]
pub struct SchedulePhase {
    pub start_date: i64,
    pub end_date: Option<i64>,
    pub items: Vec<PhaseItem>,
}

/// An item of a phase.
#[derive(Clone, Debug, Deserialize)]
pub struct PhaseItem {
    /// The price, as an id (or expanded).
    #[serde(deserialize_with = "id_of")]
    pub price: String,
    pub quantity: Option<i64>,
}

/// A discount applied to a subscription.
/// <https://docs.stripe.com/api/discounts/object>
#[derive(Clone, Debug, Deserialize)]
pub struct Discount {
    /// `di_…`.
    pub id: String,
    /// Where it comes from: a coupon.
    pub source: DiscountSource,
    /// When it stops applying (a repeating coupon's last month; `None`: forever).
    pub end: Option<i64>,
}

impl HasId for Discount {
    fn id(&self) -> &str {
        &self.id
    }
}

/// A discount's source.
#[derive(Clone, Debug, Deserialize)]
pub struct DiscountSource {
    /// The coupon (expanded with `discounts.source.coupon`).
    pub coupon: Option<Expandable<Coupon>>,
}

/// The parts of a coupon a discount shows.
#[derive(Clone, Debug, Deserialize)]
pub struct Coupon {
    pub id: String,
    pub name: Option<String>,
    pub percent_off: Option<f64>,
    pub amount_off: Option<i64>,
    pub currency: Option<String>,
}

impl HasId for Coupon {
    fn id(&self) -> &str {
        &self.id
    }
}

/// A subscription's changes that apply once its latest invoice is paid.
/// <https://docs.stripe.com/api/subscriptions/object#subscription_object-pending_update>
#[derive(Clone, Debug, Deserialize)]
pub struct PendingUpdate {
    /// When Stripe discards them if the invoice is still unpaid (unix seconds).
    pub expires_at: i64,
    /// The items the subscription will have.
    #[serde(default)]
    pub subscription_items: Option<Vec<SubscriptionItem>>,
}

/// Why a subscription was canceled.
#[derive(Clone, Debug, Deserialize)]
pub struct CancellationDetails {
    /// `cancellation_requested`, `payment_failed` or `payment_disputed`.
    pub reason: Option<String>,
}

/// One price on a subscription.
#[derive(Clone, Debug, Deserialize)]
pub struct SubscriptionItem {
    /// `si_…`.
    pub id: String,
    /// The price billed.
    pub price: Price,
    /// How many.
    pub quantity: Option<i64>,
    /// The current period's start (unix seconds).
    pub current_period_start: i64,
    /// The current period's end.
    pub current_period_end: i64,
}

/// A customer portal session.
#[derive(Clone, Debug, Deserialize)]
pub struct PortalSession {
    /// `bps_…`.
    pub id: String,
    /// The page to send the customer to.
    pub url: String,
}

/// A webhook event.
#[derive(Clone, Debug, Deserialize)]
pub struct Event {
    /// `evt_…`.
    pub id: String,
    /// e.g. `product.updated`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: i64,
    /// The connected account it happened on (`acct_…`; Connect events); `None`: the platform's
    /// own.
    #[serde(default)]
    pub account: Option<String>,
    /// The object as it was when the event happened.
    pub data: EventData,
}

/// An event's payload.
#[derive(Clone, Debug, Deserialize)]
pub struct EventData {
    /// The object, in the shape of the endpoint's API version.
    pub object: serde_json::Value,
    /// For `*.updated`: the changed fields' earlier values.
    #[serde(default)]
    pub previous_attributes: Option<serde_json::Value>,
}

impl Event {
    /// The id of the object the event is about.
    pub fn object_id(&self) -> Option<&str> {
        self.data.object.get("id").and_then(|id| id.as_str())
    }

    /// A string field of the object (an expanded field's `id`), or else of its previous
    /// attributes: a detached payment method's customer is only in the latter.
    pub fn object_field(&self, name: &str) -> Option<&str> {
        fn read<'a>(value: &'a serde_json::Value, name: &str) -> Option<&'a str> {
            let field = value.get(name)?;
            field
                .as_str()
                .or_else(|| field.get("id").and_then(|id| id.as_str()))
        }
        read(&self.data.object, name).or_else(|| {
            self.data
                .previous_attributes
                .as_ref()
                .and_then(|previous| read(previous, name))
        })
    }
}

impl HasId for Subscription {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for PaymentMethod {
    fn id(&self) -> &str {
        &self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expandable_fields_read_as_ids_or_objects() {
        let price: Price = serde_json::from_value(serde_json::json!({
            "id": "price_1", "active": true, "currency": "usd", "unit_amount": 900,
            "product": {"id": "prod_1", "name": "Pro"}, "type": "recurring",
            "recurring": {"interval": "month", "interval_count": 1, "trial_period_days": null,
                          "usage_type": "licensed"},
            "lookup_key": null, "nickname": null, "metadata": {}
        }))
        .unwrap();
        assert_eq!(price.product, "prod_1");
        assert_eq!(price.kind, PriceKind::Recurring);

        let session: CheckoutSession = serde_json::from_value(serde_json::json!({
            "id": "cs_1", "mode": "subscription", "status": "complete", "payment_status": "paid",
            "url": null, "customer": "cus_1", "client_reference_id": null,
            "subscription": "sub_1", "created": 1
        }))
        .unwrap();
        assert_eq!(session.customer.as_deref(), Some("cus_1"));
        assert_eq!(session.subscription.unwrap().id(), "sub_1");
    }
}
