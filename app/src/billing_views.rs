//! What the billing pages receive from their server functions: purpose-built view structs,
//! already formatted, with nothing secret in them.

use serde::{Deserialize, Serialize};

/// The pricing page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingView {
    /// Plans in display order.
    pub plans: Vec<PlanView>,
    /// The interval groups that exist (`month`, `year`, `one_time`, …), in toggle order.
    pub groups: Vec<String>,
    /// Whether a user is signed in (else buttons lead to sign-up first).
    pub signed_in: bool,
    /// Whether the user holds any recurring plan (other plans then say "Change plan").
    pub subscribed: bool,
}

/// One product card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    /// `prod_…`.
    pub product_id: String,
    /// The plan's name.
    pub name: String,
    /// Under the name.
    pub description: Option<String>,
    /// The bullet list.
    pub features: Vec<String>,
    /// Its prices, one per group at most.
    pub prices: Vec<PriceView>,
    /// The user's subscription to this product, in words (`Trialing`, `Active`, …).
    pub held_status: Option<String>,
    /// Whether the user bought this one-time product already.
    pub purchased: bool,
}

/// One price on a card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceView {
    /// `price_…`.
    pub id: String,
    /// The toggle group: `month`, `year`, `one_time`, or e.g. `3-month`.
    pub group: String,
    /// `$29`.
    pub amount: String,
    /// `per month`, `per 3 months`, `once`.
    pub cadence: String,
    /// Free trial days.
    pub trial_days: Option<i32>,
    /// For yearly prices: percent saved against twelve monthly payments.
    pub saving_percent: Option<u32>,
    /// Whether this is the price the user holds.
    pub held: bool,
}

/// The account page's billing section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingOverview {
    /// Plans held.
    pub plans: Vec<HeldPlanView>,
    /// One-time purchases, newest first.
    pub purchases: Vec<PurchaseView>,
    /// Whether the user has a Stripe customer (the portal can be opened).
    pub has_customer: bool,
}

/// A plan held, in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPlanView {
    /// The plan's name.
    pub name: String,
    /// e.g. "Trialing until 9 December 2026", "Renews on 9 January 2027".
    pub status: String,
}

/// A one-time purchase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseView {
    /// What was bought.
    pub description: String,
    /// `$199`.
    pub amount: String,
    /// `26 November 2026`.
    pub date: String,
    /// Whether the payment is still processing.
    pub pending: bool,
    /// Whether the payment failed (nothing was bought).
    pub failed: bool,
}

/// What the Checkout success page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckoutResult {
    /// Payment still processing (or the session not finished): the page refreshes itself.
    Pending,
    /// The session expired without payment.
    Expired,
    /// Subscribed: the plan and its status in words.
    Subscribed {
        /// The plan's name.
        plan: String,
        /// e.g. "Your 14-day trial has started." or "Your subscription is active."
        status: String,
    },
    /// A one-time purchase whose bank payment failed.
    PaymentFailed {
        /// What was not bought.
        description: String,
    },
    /// A one-time purchase.
    Purchased {
        /// What was bought.
        description: String,
        /// Whether the money has arrived.
        paid: bool,
    },
}
