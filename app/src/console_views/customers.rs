//! The customer pages' views.

use serde::{Deserialize, Serialize};

use super::PaymentLine;
use crate::console_views::records::EventLine;

/// `/admin/customers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomersView {
    /// Newest first.
    pub rows: Vec<CustomerLine>,
    /// What was searched for.
    pub search: String,
    /// The next page's link.
    pub next: Option<String>,
}

/// A customer in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLine {
    /// Its page.
    pub href: String,
    /// The account's address.
    pub email: String,
    /// The display name, or empty.
    pub name: String,
    /// `cus_…`.
    pub stripe_id: String,
    /// `2 live subscriptions`.
    pub subscriptions: String,
    /// `4 December 2026`.
    pub signed_up: String,
}

/// `/admin/customers/cus_…`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    /// As the list shows it.
    pub line: CustomerLine,
    /// Its subscriptions.
    pub subscriptions: Vec<CustomerSubscription>,
    /// Its invoices: number, status, total, date.
    pub invoices: Vec<(String, String, String, String)>,
    /// Its payments.
    pub payments: Vec<PaymentLine>,
    /// The cards seen on it.
    pub cards: Vec<String>,
    /// The events about it.
    pub timeline: Vec<EventLine>,
    /// Minted for this rendering.
    pub form_id: String,
    /// Its metered features this period, each in a sentence (with the projected charge).
    pub usage: Vec<String>,
}

/// A subscription on the customer page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSubscription {
    /// `sub_…`.
    pub id: String,
    /// Its plans.
    pub plan: String,
    /// `active`, `canceled`, …; `, ends 4 January 2027` when set to.
    pub status: String,
    /// `Renews 4 January 2027`, or empty.
    pub period: String,
    /// Whether it can still be canceled at once.
    pub can_cancel_now: bool,
    /// Whether it can be set to end at the period's end.
    pub can_cancel_at_period_end: bool,
}
