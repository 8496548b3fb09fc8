//! The record pages' mapping: balance transactions and webhook events in words.

use backend::{
    billing::money::format_date,
    console::{events::Received, ledger::Movement},
};
use time::{Duration, OffsetDateTime};

use crate::console_views::records::{EventLine, EventView, EventsView, LedgerLine, LedgerView};

/// `4 December 2026 05:12 UTC`.
pub fn moment(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[day padding:none] [month repr:long] [year] [hour]:[minute] UTC"
    );
    at.format(format).unwrap_or_default()
}

/// `/admin/balance`; `today` (billing time) sets the export's default range.
pub fn ledger(
    rows: &[Movement],
    kinds: Vec<String>,
    kind: &str,
    today: OffsetDateTime,
) -> LedgerView {
    let next = (rows.len() as i64 == backend::console::ledger::PAGE).then(|| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !kind.is_empty() {
            query.append_pair("type", kind);
        }
        query.append_pair("after", rows.last().map_or("", |row| row.id.as_str()));
        format!("/admin/balance?{}", query.finish())
    });
    LedgerView {
        rows: rows
            .iter()
            .map(|row| LedgerLine {
                id: row.id.clone(),
                date: format_date(row.created),
                kind: row.kind.replace('_', " "),
                amount: row.amount.in_words(),
                fee: row.fee.in_words(),
                net: row.net.in_words(),
                status: row
                    .status
                    .map_or_else(|| "unknown".to_owned(), |status| status.in_words()),
                available_on: format_date(row.available_on),
                source: row.source.as_ref().map(|source| {
                    let page = if source.starts_with("ch_") || source.starts_with("py_") {
                        Some(format!("/admin/payments/{source}"))
                    } else if source.starts_with("du_") {
                        Some(format!("/admin/disputes/{source}"))
                    } else if source.starts_with("po_") {
                        Some("/admin/payouts".to_owned())
                    } else {
                        None
                    };
                    (source.clone(), page)
                }),
            })
            .collect(),
        kinds,
        kind: kind.to_owned(),
        next,
        export_from: (today - Duration::days(30)).date().to_string(),
        export_to: today.date().to_string(),
    }
}

fn event_line(event: &Received) -> EventLine {
    let state = match (&event.applied_at, &event.error, &event.next_attempt_at) {
        (Some(applied), _, _) => format!("Applied {}", moment(*applied)),
        (None, Some(_), Some(next)) => format!("Failing; next try {}", moment(*next)),
        (None, Some(_), None) => "Given up".to_owned(),
        (None, None, _) => "Waiting".to_owned(),
    };
    EventLine {
        href: format!("/admin/events/{}", event.id),
        id: event.id.clone(),
        kind: event.kind.clone(),
        received: moment(event.received_at),
        state,
        attempts: event.attempts,
        error: event.error.clone().unwrap_or_default(),
        object: event.object_id.clone().unwrap_or_default(),
    }
}

/// A list of events (the inbox, a customer's timeline).
pub fn event_lines(events: &[Received]) -> Vec<EventLine> {
    events.iter().map(event_line).collect()
}

/// `/admin/events`.
pub fn events(rows: &[Received], failing: bool, kind: &str) -> EventsView {
    let next = (rows.len() as i64 == backend::console::events::PAGE).then(|| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if failing {
            query.append_pair("failing", "1");
        }
        if !kind.is_empty() {
            query.append_pair("type", kind);
        }
        query.append_pair("after", rows.last().map_or("", |row| row.id.as_str()));
        format!("/admin/events?{}", query.finish())
    });
    EventsView {
        rows: event_lines(rows),
        failing,
        kind: kind.to_owned(),
        next,
    }
}

/// `/admin/events/evt_…`.
pub fn event(event: &Received, payload: Option<&serde_json::Value>) -> EventView {
    EventView {
        line: event_line(event),
        payload: payload.map(|payload| serde_json::to_string_pretty(payload).unwrap_or_default()),
        can_reapply: event.applied_at.is_none() && event.error.is_some() && payload.is_some(),
    }
}
