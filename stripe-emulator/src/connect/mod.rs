//! Stripe Connect: connected accounts and who controls them (`accounts`), what they must provide
//! before they can take payments and payouts (`requirements`), the details a platform or the
//! hosted onboarding form fills in (`profile`), their bank accounts for payouts
//! (`bank_accounts`), and the emulator-only bookkeeping behind them ([`State`]). The money moved
//! to them lives in [`crate::money::transfers`]; their automatic payouts in
//! [`crate::money::schedule`].

pub mod accounts;
pub mod bank_accounts;
pub mod profile;
pub mod requirements;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An Account Link's hosted onboarding form, as Stripe keeps it behind the link's URL.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnboardingLink {
    /// `acct_…` being onboarded.
    pub account: String,
    /// Where an expired or used link sends the visitor.
    pub refresh_url: String,
    /// Where a submitted form sends the visitor.
    pub return_url: String,
    /// When the link stops working (`created` + 300 s).
    pub expires_at: i64,
    /// Links work once.
    pub used: bool,
}

/// Emulator-only Connect state that Stripe keeps on its side.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// Per account, each requested capability and when it was requested.
    pub capabilities: BTreeMap<String, BTreeMap<String, i64>>,
    /// Account Links by the token in their URL.
    pub links: BTreeMap<String, OnboardingLink>,
    /// Login links by the token in their URL: the Express account each opens.
    pub logins: BTreeMap<String, String>,
    /// When each account on an automatic payout schedule is paid out next.
    pub next_payout: BTreeMap<String, i64>,
}
