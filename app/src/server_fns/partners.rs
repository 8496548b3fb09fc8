//! The partner program's page: joining, the partner's standing (link, referrals, commission
//! ledger, transfers) and their connected account (status, balance and payouts, read live with
//! `Stripe-Account`). Each checks the signed-in user itself and shows only their own; with the
//! program off (`PARTNERS_ENABLED=false`) each answers not found. The account's actions are in
//! [`super::partner_account`].

use leptos::prelude::*;

use crate::errors::FormError;

/// What `/partners` shows: nothing yet (not a partner), or the partner's standing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PartnerView {
    /// Not a partner yet: the page offers to join.
    NotYet,
    /// A partner.
    Partner(Box<Standing>),
}

/// A partner's standing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Standing {
    /// `https://your.app/?ref=CODE`.
    pub link: String,
    /// Accounts that signed up through it.
    pub signups: i64,
    /// Of those, how many hold a plan now.
    pub subscribers: i64,
    /// Per currency, in words.
    pub earned: Vec<EarnedView>,
    /// The newest commissions, one per invoice.
    pub commissions: Vec<CommissionView>,
    /// The newest transfers to them.
    pub transfers: Vec<TransferView>,
    /// How they connect an account here.
    pub onboarding: OnboardingWay,
    /// Their connected account, once they started connecting one.
    pub account: Option<AccountView>,
    /// Minted with the page: keys the pay-out button, so a double click pays once.
    pub form_id: String,
}

/// Commissions in one currency, in words.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EarnedView {
    /// Within the hold.
    pub held: String,
    /// Past it, not transferred yet.
    pub payable: String,
    /// Transferred.
    pub paid: String,
    /// Taken back by refunds and lost disputes.
    pub taken_back: String,
}

/// One commission.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommissionView {
    /// The invoice's amount, in words.
    pub invoice_amount: String,
    /// The commission, in words.
    pub amount: String,
    /// Taken back of it, in words; empty when nothing.
    pub taken_back: String,
    /// pending, payable, being transferred, paid, reversed.
    pub state: String,
    /// When the hold ends.
    pub payable_on: String,
}

/// One transfer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TransferView {
    /// In words.
    pub amount: String,
    /// Reversed of it, in words; empty when nothing.
    pub reversed: String,
    /// paid, pending, failed.
    pub status: String,
    /// `partners-2026-12-04`.
    pub group: String,
    /// When.
    pub date: String,
}

/// How partners connect their account here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OnboardingWay {
    /// Stripe's hosted onboarding: a button.
    Hosted,
    /// The app's own form.
    Platform,
}

/// A partner's connected account.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountView {
    /// Whether transfers can be made to it.
    pub ready: bool,
    /// Whether Stripe pays its balance out.
    pub payouts_enabled: bool,
    /// What Stripe still needs, as Stripe names it.
    pub requirements: Vec<String>,
    /// `STRIPE TEST BANK ••••6789`.
    pub bank: Option<String>,
    /// `manual`, `daily`, `weekly` or `monthly`.
    pub payout_interval: String,
    /// Whether the partner disconnected it.
    pub disconnected: bool,
    /// Its balance and payouts, live from Stripe; `None` when Stripe did not answer in time.
    pub money: Option<AccountMoneyView>,
}

/// A connected account's own money.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountMoneyView {
    /// Per currency: (lower-case code, amount in words, whether anything is there).
    pub available: Vec<(String, String, bool)>,
    /// Per currency, in words.
    pub pending: Vec<String>,
    /// The newest payouts.
    pub payouts: Vec<PayoutView>,
}

/// One payout to the partner's bank.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PayoutView {
    /// In words.
    pub amount: String,
    /// paid, pending, in transit, failed, canceled.
    pub status: String,
    /// When it arrives.
    pub arrival: String,
    /// Whether Stripe made it on the schedule.
    pub automatic: bool,
}

/// The signed-in user's standing in the program.
#[server(endpoint = "partner_standing")]
pub async fn partner_standing() -> Result<PartnerView, FormError> {
    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    if !state.config.partners_enabled {
        return Err(FormError::NotFound);
    }
    super::partners_mapping::standing(&state, user.id).await
}

/// Makes the signed-in user a partner, then shows their link.
#[server(endpoint = "become_partner")]
pub async fn become_partner() -> Result<(), FormError> {
    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    if !state.config.partners_enabled {
        return Err(FormError::NotFound);
    }
    backend::partners::join(&state.db, user.id)
        .await
        .map_err(backend::billing::BillingError::Unexpected)?;
    leptos_axum::redirect("/partners");
    Ok(())
}
