//! The operator console behind `/admin`: who may open it, the money after the sale as mirrored
//! from Stripe, and the actions that move money, each recorded in the audit log.
//!
//! Pages read the mirror (Postgres), never Stripe, so they are fast and still answer while
//! Stripe is down; an action calls Stripe with an idempotency key derived from the form the
//! admin submitted, then fetches the objects it changed and stores them.
//!
//! - [`Admin`]: proof the signed-in user is an admin, made only by [`Admin::check`].
//! - [`actions`]: how every action that calls Stripe runs — its key, the password window,
//!   Stripe's refusal in words, the audit log.
//! - [`admins`]: `server admin grant|revoke`, and the first admin in development.
//! - [`confirm`]: the password asked again before money moves, after 15 minutes.
//! - [`audit`]: the audit log of every action.
//! - [`mirror`]: charges, refunds, disputes, payouts, balance transactions and the balance as
//!   Stripe last described them.
//! - [`refetch`]: fetching what changed from Stripe and storing it, for webhooks and actions.
//! - [`payments`]: what the payments pages show; [`refunds`]: the refund action.
//! - [`customers`]: search, one customer's everything, canceling a subscription.
//! - [`disputes`]: disputes; every admin is emailed of a new one.
//! - [`payouts`]: the balance, payouts, and paying out by hand.
//! - [`events`]: the webhook inbox, one event's payload, applying a failed one again.
//! - [`ledger`]: the balance transactions and their CSV export.
//! - [`overview`]: the figures of `/admin`, computed from Postgres.
//! - [`error`]: the error type, [`ConsoleError`].

pub mod actions;
pub mod admins;
pub mod audit;
pub mod confirm;
pub mod customers;
pub mod disputes;
pub mod error;
pub mod events;
pub mod ledger;
pub mod mirror;
pub mod overview;
pub mod payments;
pub mod payouts;
pub mod refetch;
pub mod refunds;

pub use error::ConsoleError;

use crate::auth::{Role, User};

/// A signed-in admin. Every console service takes one, so none can run for anyone else.
#[derive(Clone, Debug)]
pub struct Admin {
    /// The account's id.
    pub id: uuid::Uuid,
    /// The account's address, kept in the audit log.
    pub email: String,
}

impl Admin {
    /// `user`, if they are an admin; otherwise [`ConsoleError::NotFound`], the answer a page
    /// that does not exist gets (the console does not announce itself).
    pub fn check(user: &User) -> Result<Self, ConsoleError> {
        match user.role {
            Role::Admin => Ok(Self {
                id: user.id,
                email: user.email.to_string(),
            }),
            Role::Member => Err(ConsoleError::NotFound),
        }
    }
}

/// What a search box matches as a SQL `LIKE` pattern: the trimmed text anywhere
/// (`Match::Anywhere`) or at the start (`Match::Prefix`), its `\`, `%` and `_` taken literally;
/// `None` for no text.
pub(crate) fn like_pattern(text: Option<&str>, at: Match) -> Option<String> {
    let text = text.map(str::trim).filter(|text| !text.is_empty())?;
    let literal = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Some(match at {
        Match::Anywhere => format!("%{literal}%"),
        Match::Prefix => format!("{literal}%"),
    })
}

/// Where a search matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Match {
    /// Anywhere in the text.
    Anywhere,
    /// At its start.
    Prefix,
}

#[cfg(test)]
mod tests {
    use super::{like_pattern, Match};

    #[test]
    fn a_search_is_matched_literally() {
        assert_eq!(
            like_pattern(Some(" ada "), Match::Anywhere).as_deref(),
            Some("%ada%")
        );
        assert_eq!(
            like_pattern(Some("100%_x\\"), Match::Prefix).as_deref(),
            Some("100\\%\\_x\\\\%")
        );
        assert_eq!(like_pattern(Some("  "), Match::Anywhere), None);
        assert_eq!(like_pattern(None, Match::Anywhere), None);
    }
}
