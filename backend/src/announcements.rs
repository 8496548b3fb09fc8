//! What replicas tell each other through Postgres (`LISTEN/NOTIFY`), heard on one connection per
//! replica: the catalog changed (its copy in memory is dropped), an account changed
//! ([`crate::account_changes`]), a Stripe event was recorded (the webhook workers wake).
//!
//! One connection for all three, not one each: Postgres wakes every listening connection of the
//! database for each notification, and the inbox sends one per webhook it accepts.

use std::{future::Future, ops::ControlFlow, sync::Arc};

use crate::{
    account_changes,
    billing::{catalog, inbox},
    db::Heard,
    AppState,
};

/// The channels heard.
const CHANNELS: [&str; 3] = [
    catalog::CHANGED_CHANNEL,
    account_changes::CHANGED_CHANNEL,
    inbox::NEW_EVENT_CHANNEL,
];

/// Hears every announcement for `state` until the state is dropped; reconnects after losing the
/// database. On (re)connecting, everything that may have been missed is treated as announced.
pub fn listen(state: &AppState) -> impl Future<Output = ()> + Send + 'static {
    let database_url = state.config.database_url.clone();
    let catalog = Arc::downgrade(&state.catalog);
    let accounts = Arc::downgrade(&state.account_changes);
    let events = Arc::downgrade(&state.events_recorded);
    let heard = move |heard: Heard<'_>| {
        let (Some(catalog), Some(accounts), Some(events)) =
            (catalog.upgrade(), accounts.upgrade(), events.upgrade())
        else {
            return ControlFlow::Break(());
        };
        match heard {
            Heard::Listening => {
                catalog.invalidate();
                accounts.set_listening(true);
                events.notify_waiters();
            }
            Heard::NotListening => accounts.set_listening(false),
            Heard::Notification { channel, payload } => match channel {
                catalog::CHANGED_CHANNEL => catalog.invalidate(),
                inbox::NEW_EVENT_CHANNEL => events.notify_waiters(),
                account_changes::CHANGED_CHANNEL => accounts.announced(payload),
                _ => {}
            },
        }
        ControlFlow::Continue(())
    };
    crate::db::listen(database_url, &CHANNELS, heard, std::future::pending())
}
