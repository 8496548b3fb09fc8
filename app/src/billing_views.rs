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
    /// The user's subscription (`sub_…`), if they hold a recurring plan: other plans then say
    /// "Change to …" and lead to its plan change on the account page (Stripe's preview, then a
    /// change that takes effect once paid).
    pub subscription: Option<String>,
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
    /// Priced per member of an organization (product metadata `billing=per_seat`).
    pub per_seat: bool,
    /// The seat count the totals are for (the `seats` query, else the organization's members).
    pub seats: u32,
    /// The most members an organization on it may have, in words.
    pub max_seats: Option<i64>,
    /// The user's subscription to this product, in words (`Trialing`, `Active`, …).
    pub held_status: Option<String>,
    /// Whether the user bought this one-time product already.
    pub purchased: bool,
    /// The plan most visitors want (product metadata `highlight=true`): it stands out.
    pub highlighted: bool,
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
    /// For a per-seat price: the total for the plan's seat count, `$87 per month for 3 seats`.
    pub seat_total: Option<String>,
    /// With Stripe Tax on: `plus tax` or `tax included`, as the price says.
    pub tax_note: Option<String>,
    /// Whether this is the price the user holds.
    pub held: bool,
}

/// The account page's billing section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BillingOverview {
    /// Plans held (and ended ones still paid for).
    pub plans: Vec<HeldPlanView>,
    /// Invoices, newest first.
    pub invoices: Vec<InvoiceView>,
    /// One-time purchases, newest first.
    pub purchases: Vec<PurchaseView>,
    /// Whether the user has a Stripe customer (the portal can be opened).
    pub has_customer: bool,
    /// More than one subscription renews (two checkouts completed at once): each is billed.
    pub several_renewing: bool,
    /// The metered features of the plans: this period's usage.
    pub usage: Vec<UsageView>,
}

/// A plan held, in words, with what may be done with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPlanView {
    /// `sub_…`: what the buttons act on (checked against the user on the server).
    pub subscription_id: String,
    /// The plan's name.
    pub name: String,
    /// e.g. "Free trial until 9 December 2026", "Renews on 9 January 2027".
    pub status: String,
    /// `$29 per month` (`$29 per month per seat, 3 seats`), when the price is known.
    pub price: Option<String>,
    /// A change set for the renewal: `Changes to Hobby on 4 January 2027` (with an undo button).
    pub scheduled_change: Option<String>,
    /// Its discount: `Launch offer: 20% off until 4 March 2027`.
    pub discount: Option<String>,
    /// `Visa ending in 4242, expires 12/2034`.
    pub card: Option<String>,
    /// Payment failed or paused: the user must act (shown as a warning).
    pub needs_attention: bool,
    /// The button to the portal's card form, when the plan needs a card: `Add a card` (a trial
    /// without one, a paused plan) or `Update card` (a failed payment).
    pub card_action: Option<String>,
    /// Cancel is offered: at period end, or (`cancel_ends_now`) at once.
    pub can_cancel: bool,
    /// Canceling ends it at once (a paused plan has no paid period to run out).
    pub cancel_ends_now: bool,
    /// Resume (undo the cancellation) is offered.
    pub can_resume: bool,
    /// The prices it may change to.
    pub change_options: Vec<PlanOption>,
    /// A plan change waiting for payment, in a sentence (its card was declined).
    pub change_awaiting_payment: Option<String>,
}

/// A price a plan may change to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOption {
    /// `price_…`.
    pub price_id: String,
    /// `Hobby — $9 per month`.
    pub label: String,
}

/// An invoice in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    /// Stripe's invoice number.
    pub number: String,
    /// `26 November 2026`.
    pub date: String,
    /// `$29`.
    pub amount: String,
    /// `Paid`, `Due`, `Void`, `Uncollectible`.
    pub status: String,
    /// Stripe's page for it.
    pub hosted_url: Option<String>,
    /// Its PDF.
    pub pdf_url: Option<String>,
    /// What discounts took off and the tax included: `$5.80 off, incl. $2.03 tax`.
    pub adjustments: Option<String>,
}

/// What changing plan would bill, before the user confirms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePreviewView {
    /// `sub_…`.
    pub subscription_id: String,
    /// `price_…`: the new price.
    pub price_id: String,
    /// The new plan in words: `Hobby — $9 per month`.
    pub to: String,
    /// The preview's lines: description and amount.
    pub lines: Vec<(String, String)>,
    /// What happens to money now, in a sentence: "You pay $20 now …", "$12.10 is credited …".
    pub settlement: String,
    /// The moment the preview was computed for, sent back on confirmation.
    pub proration_date: i64,
    /// A downgrade waits for the renewal: when it would take effect (then there are no lines,
    /// and confirming schedules it).
    pub at_renewal: Option<String>,
}

/// The dashboard: the demo product, or why it is locked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DashboardView {
    /// The user's plans do not include the dashboard (now).
    Locked(LockedReason),
    /// The product.
    Unlocked {
        /// Six months of figures.
        rows: Vec<ReportRowView>,
        /// Whether the plan includes the reports API (Pro).
        api: bool,
    },
}

/// Why the dashboard is locked, so the page says what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockedReason {
    /// No plan that includes it: see the plans.
    NoPlan,
    /// A trial ended without a card and the plan is paused: add a card.
    Paused,
    /// A payment failed and the grace period is over: update the card.
    PaymentFailed,
}

/// One month of the dashboard's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRowView {
    /// `2026-11`.
    pub month: String,
    /// `12,345`.
    pub requests: String,
    /// `123`.
    pub errors: String,
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
    /// What became of the money afterwards, when something did: refunded in full or lost to a
    /// dispute (its features are gone), or partly refunded (it stays).
    pub afterwards: Option<String>,
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

/// One meter's usage this period, for the account page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageView {
    /// `Reports`: what is counted, as a heading.
    pub title: String,
    /// `7 of 1,000 reports used this period; 2 included.`
    pub sentence: String,
    /// How far along the bar is, 0 to 100 (of the limit, else of the allowance).
    pub percent: f64,
    /// The bar's maximum and value, for `<meter>`.
    pub max: i64,
    pub value: i64,
    /// `Resets on 4 January 2027.`
    pub resets: String,
    /// `Projected for this period: $0.35 (7 reports at $0.05).` when usage is billed.
    pub projected: Option<String>,
    /// `480 report credits left, used before overage.` when credit packs are involved.
    pub credits: Option<String>,
    /// The hard limit is reached and no credits are left: calls are refused (a warning).
    pub limit_reached: Option<String>,
    /// Credit packs on sale: the price to buy and the button's words
    /// (`Buy 500 reports for $20.00`).
    pub packs: Vec<(String, String)>,
    /// Per day: its date and count in words, and the bar's height from 0 to 100.
    pub days: Vec<(String, f64)>,
}
