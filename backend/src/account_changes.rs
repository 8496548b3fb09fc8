//! Which accounts changed, as every replica hears it from Postgres: what lets a replica keep
//! something it made for a user (a rendered page) until the first change that could alter it.
//!
//! A change to any row belonging to an account (the user, a session, a token, a customer,
//! subscription, item, purchase or invoice) announces the account on channel
//! [`CHANGED_CHANNEL`] — a trigger does it, so no writer can forget (migration
//! `announce_account_changes`). Each replica hears it (`crate::announcements`) and records, per
//! account, the number of the last change it heard ([`AccountChanges`]).
//!
//! The rule a user of this follows: take a [`AccountChanges::mark`] **before** reading what the
//! thing is made from, and keep the thing only while [`AccountChanges::unchanged_since`] that
//! mark. A change committed before the read is seen by the read; one committed after it is
//! announced after it, so it moves the account past the mark. Postgres delivers a notification
//! only at commit, so between a commit and its arrival here (well under a millisecond on one
//! network, longer under load) a replica may still serve what it had; a request on this replica
//! that may have changed something marks its account changed itself, at once
//! ([`AccountChanges::changed`]). While the listener is not connected nothing is unchanged:
//! marks are refused, and reconnecting forgets everything heard before.

use std::{collections::HashMap, sync::RwLock};

use sqlx::PgExecutor;
use uuid::Uuid;

/// The channel the triggers announce on; the payload is the account's id, or [`EVERYONE`].
pub const CHANGED_CHANNEL: &str = "account_changed";

/// The payload saying that anything may have changed for anyone (the billing clock moved).
const EVERYONE: &str = "*";

/// How many accounts' last change are remembered; past it, everything is forgotten at once
/// (which costs one render per cached page, and keeps the memory bounded).
const REMEMBERED: usize = 100_000;

/// The changes this replica has heard of. See the module documentation for the rule.
#[derive(Debug, Default)]
pub struct AccountChanges {
    inner: RwLock<History>,
}

#[derive(Debug, Default)]
struct History {
    /// Whether the listener is connected and listening (no mark is valid otherwise).
    listening: bool,
    /// The number of the last change heard; grows by one with each.
    last: u64,
    /// Everything heard up to this number is forgotten: nothing marked before it is unchanged.
    forgotten_up_to: u64,
    /// Each account's last change heard (only since `forgotten_up_to`).
    accounts: HashMap<Uuid, u64>,
}

/// A point in this replica's history of changes, taken before a read (see
/// [`AccountChanges::mark`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark(u64);

impl AccountChanges {
    /// Where the history stands now, or `None` while the listener is not listening (then
    /// nothing read now may be kept).
    pub fn mark(&self) -> Option<Mark> {
        let history = self.read();
        history.listening.then_some(Mark(history.last))
    }

    /// Whether no change to `account` has been heard since `mark`, and the listener has
    /// listened throughout.
    pub fn unchanged_since(&self, account: Uuid, mark: Mark) -> bool {
        let history = self.read();
        history.listening
            && history.forgotten_up_to <= mark.0
            && history
                .accounts
                .get(&account)
                .is_none_or(|last| *last <= mark.0)
    }

    /// Records a change to `account`, heard from any replica or made on this one.
    pub fn changed(&self, account: Uuid) {
        let mut history = self.write();
        history.last += 1;
        if history.accounts.len() >= REMEMBERED {
            history.forget_all();
        } else {
            let last = history.last;
            history.accounts.insert(account, last);
        }
    }

    /// Records an announcement on [`CHANGED_CHANNEL`]: an account's id, or [`EVERYONE`].
    pub(crate) fn announced(&self, payload: &str) {
        match payload {
            EVERYONE => self.everything_changed(),
            account => match account.parse::<Uuid>() {
                Ok(account) => self.changed(account),
                Err(_) => {
                    tracing::warn!(
                        payload,
                        "an account change named no account; forgetting every account's"
                    );
                    self.everything_changed();
                }
            },
        }
    }

    /// Records that anything may have changed for anyone.
    fn everything_changed(&self) {
        self.write().forget_all();
    }

    /// Starts or stops believing marks: stopping when the listener loses its connection,
    /// starting once it listens again (after forgetting what it might have missed).
    pub(crate) fn set_listening(&self, listening: bool) {
        let mut history = self.write();
        history.forget_all();
        history.listening = listening;
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, History> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, History> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl History {
    fn forget_all(&mut self) {
        self.last += 1;
        self.forgotten_up_to = self.last;
        self.accounts.clear();
    }
}

/// Announces to every replica that anything may have changed for anyone: what moving the billing
/// clock does to every page that shows a date relative to it.
pub async fn announce_everything_changed(db: impl PgExecutor<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_notify($1, $2)", CHANGED_CHANNEL, EVERYONE)
        .execute(db)
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening() -> AccountChanges {
        let changes = AccountChanges::default();
        changes.set_listening(true);
        changes
    }

    #[test]
    fn nothing_is_unchanged_while_not_listening() {
        let changes = AccountChanges::default();
        assert_eq!(changes.mark(), None);
        let changes = listening();
        let mark = changes.mark().expect("listening");
        changes.set_listening(false);
        assert!(!changes.unchanged_since(Uuid::nil(), mark));
        assert_eq!(changes.mark(), None);
        changes.set_listening(true);
        assert!(
            !changes.unchanged_since(Uuid::nil(), mark),
            "a mark from before a reconnection may have missed a change"
        );
    }

    #[test]
    fn a_change_after_a_mark_moves_only_its_account_past_it() {
        let changes = listening();
        let (ann, bob) = (Uuid::from_u128(1), Uuid::from_u128(2));
        changes.changed(ann);
        let mark = changes.mark().expect("listening");
        assert!(
            changes.unchanged_since(ann, mark),
            "a change heard before the mark was seen by what was read after it"
        );
        changes.changed(ann);
        assert!(!changes.unchanged_since(ann, mark));
        assert!(changes.unchanged_since(bob, mark));
        let later = changes.mark().expect("listening");
        assert!(changes.unchanged_since(ann, later));
    }

    #[test]
    fn a_change_for_everyone_moves_every_account_past_earlier_marks() {
        let changes = listening();
        let mark = changes.mark().expect("listening");
        changes.everything_changed();
        assert!(!changes.unchanged_since(Uuid::from_u128(7), mark));
        let later = changes.mark().expect("listening");
        assert!(changes.unchanged_since(Uuid::from_u128(7), later));
    }
}
