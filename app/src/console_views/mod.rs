//! What the operator console's pages receive: amounts and dates already in words, nothing the
//! page must compute.
//!
//! - here: the overview, payments, payouts, disputes and the audit log;
//! - [`records`]: the balance transactions and the webhook events;
//! - [`customers`]: the customers pages.

pub mod customers;
pub mod records;

use serde::{Deserialize, Serialize};

/// `/admin`: the business at a glance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverviewView {
    /// Per currency: `$120.50 available, $40 pending`.
    pub balance: Vec<BalanceLine>,
    /// `$1,200` per currency.
    pub mrr: Vec<String>,
    /// `$14,400` per currency.
    pub arr: Vec<String>,
    /// Label and count: Active, Trialing, Past due, Paused, New this month, Churned this month,
    /// Recovered payments.
    pub counts: Vec<(String, i64)>,
    /// `3 of 4 (75 %)`, or `No trial has ended yet`.
    pub trial_conversion: String,
    /// The revenue chart.
    pub revenue: RevenueChart,
    /// Disputes not decided yet.
    pub open_disputes: Vec<OpenDisputeLine>,
    /// Webhook events that failed and wait to be applied again.
    pub failed_events: i64,
    /// The newest times an organization's seats billed did not match its members, in words:
    /// `Acme: 7 seats billed for 4 members, found 4 December 2026; fixed`.
    pub seat_drifts: Vec<String>,
    /// Usage reporting: uses waiting for Stripe, the oldest, and failures, in a sentence.
    pub usage_reporting: String,
    /// The newest differences the usage reconciliation found, in words.
    pub usage_discrepancies: Vec<String>,
}

/// One currency of the balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceLine {
    /// Can be paid out now.
    pub available: String,
    /// Not yet.
    pub pending: String,
}

/// Revenue per day as an SVG bar chart: one bar per day, heights in the chart's units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevenueChart {
    /// The total over the period, in words.
    pub total: String,
    /// The best day, in words.
    pub peak: String,
    /// The first and last day, in words.
    pub from: String,
    /// The last day.
    pub to: String,
    /// Per day: its date and amount in words (the bar's title) and its height from 0 to 100.
    pub bars: Vec<(String, f64)>,
}

/// A dispute on the overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDisputeLine {
    /// The disputed payment's page.
    pub href: String,
    /// `$20`.
    pub amount: String,
    /// `needs response`.
    pub status: String,
    /// `Evidence due 12 December 2026`.
    pub due: String,
}

/// `/admin/payments`: a page of charges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentsView {
    /// The charges on this page.
    pub rows: Vec<PaymentLine>,
    /// The next page's link, if there are more.
    pub next: Option<String>,
    /// What was searched for.
    pub search: String,
}

/// One charge in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLine {
    /// Its page.
    pub href: String,
    /// `ch_…`.
    pub id: String,
    /// `4 December 2026`.
    pub date: String,
    /// The account's address, the payer's, or "No customer".
    pub customer: String,
    /// `$20`.
    pub amount: String,
    /// `$0.88`, or `—` until known.
    pub fee: String,
    /// `$19.12`, or `—`.
    pub net: String,
    /// `succeeded`, `failed`, …
    pub status: String,
    /// `$10`, or empty when nothing was refunded.
    pub refunded: String,
    /// Whether it was disputed.
    pub disputed: bool,
}

/// `/admin/payments/ch_…`: one charge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    /// The charge as the list shows it.
    pub line: PaymentLine,
    /// `visa •••• 4242`.
    pub card: Option<String>,
    /// What it was for.
    pub description: Option<String>,
    /// `pi_…`.
    pub payment_intent: Option<String>,
    /// `cus_…`.
    pub stripe_customer: Option<String>,
    /// `txn_…: $20 gross, $0.88 fee, $19.12 net, available on 6 December 2026`.
    pub balance_transaction: Option<String>,
    /// Its refunds: amount, status, reason, date.
    pub refunds: Vec<RefundLine>,
    /// Its dispute: `$20, needs response, fraudulent; evidence due …`.
    pub dispute: Option<String>,
    /// The refund form, when something is left to refund.
    pub refund: Option<RefundFormView>,
    /// Why it cannot be refunded, when it cannot.
    pub not_refundable: Option<String>,
}

/// A refund of the charge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    /// `$10`.
    pub amount: String,
    /// `succeeded`.
    pub status: String,
    /// `requested by customer`.
    pub reason: String,
    /// `4 December 2026`.
    pub date: String,
}

/// What the refund form needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundFormView {
    /// `$20` left to refund.
    pub left: String,
    /// The same as the field holds it: `20.00`.
    pub left_decimal: String,
    /// The currency, upper-case.
    pub currency: String,
    /// Minted for this rendering: the same form submitted twice refunds once.
    pub form_id: String,
    /// Whether the admin's password must be entered (last entered over 15 minutes ago).
    pub needs_password: bool,
    /// The reasons: Stripe's name and words.
    pub reasons: Vec<(String, String)>,
}

/// `/admin/audit`: a page of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    /// The entries, newest first.
    pub rows: Vec<AuditLine>,
    /// The next (older) page's link, if there are more.
    pub next: Option<String>,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    /// `4 December 2026 05:12 UTC`.
    pub at: String,
    /// The admin's address.
    pub admin: String,
    /// `Refund`.
    pub action: String,
    /// `ch_…`.
    pub object: String,
    /// `$10`, or empty.
    pub amount: String,
    /// `succeeded`, `refused`, `failed`.
    pub outcome: String,
    /// Stripe's words, or the admin's.
    pub detail: String,
    /// `req_…`.
    pub request_id: String,
    /// The Stripe call's idempotency key.
    pub idempotency_key: String,
}

/// `/admin/payouts`: the balance, the payout form and the payouts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutsView {
    /// Per currency.
    pub balance: Vec<BalanceLine>,
    /// One form per currency with money available.
    pub forms: Vec<PayoutFormView>,
    /// The payouts on this page.
    pub rows: Vec<PayoutLine>,
    /// The next page's link, if there are more.
    pub next: Option<String>,
}

/// Paying out one currency's available balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutFormView {
    /// Lower-case ISO code (the form's value).
    pub currency: String,
    /// `$120.50` available.
    pub available: String,
    /// `120.50`.
    pub available_decimal: String,
    /// Minted for this rendering: the same form submitted twice pays out once.
    pub form_id: String,
    /// Whether the admin's password must be entered.
    pub needs_password: bool,
}

/// One payout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutLine {
    /// `po_…`.
    pub id: String,
    /// `4 December 2026`.
    pub created: String,
    /// `$120.50`.
    pub amount: String,
    /// `paid`, `pending`, `failed`, …
    pub status: String,
    /// `6 December 2026`.
    pub arrival: String,
    /// Why it failed, or empty.
    pub failure: String,
    /// `Manual` or `Automatic`.
    pub kind: String,
}

/// `/admin/disputes`: a page of disputes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputesView {
    /// The disputes on this page, newest first.
    pub rows: Vec<DisputeLine>,
    /// The next page's link, if there are more.
    pub next: Option<String>,
}

/// One dispute in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeLine {
    /// Its page.
    pub href: String,
    /// `4 December 2026`.
    pub opened: String,
    /// `$20`.
    pub amount: String,
    /// `needs response`, `won`, …
    pub status: String,
    /// `fraudulent`.
    pub reason: String,
    /// `11 December 2026`, or `—`.
    pub due: String,
    /// The disputed payment's page.
    pub payment_href: String,
}

/// `/admin/disputes/du_…`: one dispute, its evidence and what can be done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeView {
    /// `du_…`.
    pub id: String,
    /// As the list shows it.
    pub line: DisputeLine,
    /// How many times evidence was submitted.
    pub submissions: i32,
    /// Whether evidence can still be given (and the dispute submitted or accepted).
    pub open: bool,
    /// The text evidence: Stripe's field, its label, what is saved.
    pub text: Vec<(String, String, String)>,
    /// The documents: Stripe's field, its label, the attached `file_…` if any.
    pub files: Vec<(String, String, Option<String>)>,
    /// Minted for this rendering: the same form submitted twice acts once.
    pub form_id: String,
    /// Whether submitting needs the admin's password now.
    pub needs_password: bool,
}

/// What came of an evidence upload, carried back to the dispute's page in its URL
/// (`?upload=attached`): produced by the server's upload handler, read by the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EvidenceUpload {
    /// Uploaded and saved on the dispute.
    Attached,
    /// No file, or no evidence chosen for it.
    NoFile,
    /// Over 5 MB.
    TooLarge,
    /// Not a PDF, JPEG or PNG.
    WrongType,
    /// The dispute no longer takes evidence.
    Closed,
    /// Stripe refused the file.
    Refused,
    /// Stripe or we failed; try again.
    Failed,
}

impl EvidenceUpload {
    /// Every outcome.
    pub const ALL: [Self; 7] = [
        Self::Attached,
        Self::NoFile,
        Self::TooLarge,
        Self::WrongType,
        Self::Closed,
        Self::Refused,
        Self::Failed,
    ];

    /// Its code in the URL.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Attached => "attached",
            Self::NoFile => "no-file",
            Self::TooLarge => "too-large",
            Self::WrongType => "wrong-type",
            Self::Closed => "closed",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }

    /// The outcome a code names.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|outcome| outcome.code() == code)
    }

    /// What the page says; whether it is an error.
    pub const fn sentence(self) -> (&'static str, bool) {
        match self {
            Self::Attached => ("The file is attached to the evidence, as a draft: submit the evidence when it is complete.", false),
            Self::NoFile => ("Choose a file and which evidence it is.", true),
            Self::TooLarge => ("The file is larger than 5 MB, the most Stripe takes as evidence.", true),
            Self::WrongType => ("Stripe takes evidence as PDF, JPEG or PNG.", true),
            Self::Closed => ("This dispute no longer takes evidence.", true),
            Self::Refused => ("Stripe refused the file. Try another one.", true),
            Self::Failed => ("The file could not be uploaded. Please try again in a moment.", true),
        }
    }
}

/// `/admin/partners`: the partners, what they brought and earned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnersView {
    /// Newest first: address, code, sign-ups through their link, commissions in words, their
    /// connected account and its standing in words.
    pub rows: Vec<(String, String, i64, String, String)>,
    /// What the next pay run would do: partner, amount, and why not when it cannot.
    pub plan: Vec<(String, String, String)>,
    /// The newest commissions: partner, invoice, its amount, the commission, taken back, state.
    pub commissions: Vec<(String, String, String, String, String, String)>,
    /// The newest transfers: date, partner, amount, reversed, status, `tr_…`, failure.
    pub transfers: Vec<TransferRow>,
    /// The newest pay runs: when, what started it, what it did.
    pub runs: Vec<(String, String, String)>,
}

/// One transfer to a partner, for the console.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TransferRow {
    /// When it was attempted.
    pub date: String,
    /// The partner.
    pub email: String,
    /// In words.
    pub amount: String,
    /// What was reversed of it, in words.
    pub reversed: String,
    /// pending, paid or failed.
    pub status: String,
    /// `tr_…`, once made; else why it failed.
    pub detail: String,
}
