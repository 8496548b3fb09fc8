//! The record pages' views: the balance transactions (with the CSV export's range) and the
//! webhook inbox.

use serde::{Deserialize, Serialize};

/// `/admin/balance`: balance transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerView {
    /// Newest first.
    pub rows: Vec<LedgerLine>,
    /// The Stripe types present, for the filter.
    pub kinds: Vec<String>,
    /// The type filtered on, or empty.
    pub kind: String,
    /// The next page's link.
    pub next: Option<String>,
    /// The export form's default range: `YYYY-MM-DD`, the last 30 days.
    pub export_from: String,
    /// Today.
    pub export_to: String,
}

/// One balance transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    /// `txn_…`.
    pub id: String,
    /// `4 December 2026`.
    pub date: String,
    /// `charge`, `refund`, `adjustment`, `payout`, …
    pub kind: String,
    /// `$20`, `-$10`.
    pub amount: String,
    /// `$0.88`.
    pub fee: String,
    /// `$19.12`.
    pub net: String,
    /// `available` or `pending`.
    pub status: String,
    /// `6 December 2026`.
    pub available_on: String,
    /// The object that moved the money: its id, and its console page if it has one.
    pub source: Option<(String, Option<String>)>,
}

/// `/admin/events`: the webhook inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsView {
    /// Newest first.
    pub rows: Vec<EventLine>,
    /// Only failing events are listed.
    pub failing: bool,
    /// The type prefix searched for, or empty.
    pub kind: String,
    /// The next page's link.
    pub next: Option<String>,
}

/// One event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLine {
    /// Its page.
    pub href: String,
    /// `evt_…`.
    pub id: String,
    /// `invoice.paid`.
    pub kind: String,
    /// `4 December 2026 05:12 UTC`.
    pub received: String,
    /// `Applied 4 December 2026 05:12 UTC`, `Waiting`, `Failing, next try …`, `Given up`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The last error, or empty.
    pub error: String,
    /// What it is about.
    pub object: String,
}

/// `/admin/events/evt_…`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    /// As the list shows it.
    pub line: EventLine,
    /// The payload as received, pretty-printed; `None` when it was not kept.
    pub payload: Option<String>,
    /// Whether it can be applied again (failed, not applied, payload kept).
    pub can_reapply: bool,
}
