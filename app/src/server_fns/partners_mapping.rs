//! A partner's standing as `/partners` shows it, from the backend's services: their link and
//! referrals, commissions and transfers from the database, their connected account's balance
//! and payouts live from Stripe (left out, not failed, when Stripe is slow).

use backend::{
    billing::{money::format_date, Step},
    partners::{self, accounts::Onboarding},
    AppState,
};
use uuid::Uuid;

use super::partners::{
    AccountMoneyView, AccountView, CommissionView, EarnedView, OnboardingWay, PartnerView,
    PayoutView, Standing, TransferView,
};
use crate::errors::FormError;

/// How many commissions and transfers the page lists.
const LISTED: i64 = 50;

/// `partner`'s standing, or [`PartnerView::NotYet`].
pub async fn standing(state: &AppState, partner: Uuid) -> Result<PartnerView, FormError> {
    let Some(standing) = partners::of_user(&state.db, partner)
        .await
        .step("reading the partner")?
    else {
        return Ok(PartnerView::NotYet);
    };
    let now = backend::billing::clock::now(state).await;
    let earned = partners::commissions::earned(&state.db, partner, now)
        .await
        .step("adding up the partner's commissions")?;
    let commissions = partners::commissions::ledger(&state.db, Some(partner), now, LISTED)
        .await
        .step("listing the partner's commissions")?;
    let transfers = partners::transfers::list(&state.db, Some(partner), LISTED)
        .await
        .step("listing the partner's transfers")?;
    let account = partners::accounts::of_partner(&state.db, partner)
        .await
        .step("reading the partner's connected account")?;
    let account = match account {
        None => None,
        Some(account) => {
            let money = if account.disconnected {
                None
            } else {
                match partners::accounts::money(state, partner).await {
                    Ok(money) => Some(money_view(money)),
                    Err(error) => {
                        tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), "reading the partner's balance from Stripe failed; the page shows without it");
                        None
                    }
                }
            };
            Some(AccountView {
                ready: account.why_not_payable().is_none(),
                payouts_enabled: account.payouts_enabled,
                requirements: account.requirements_due,
                bank: account.bank,
                payout_interval: account.payout_interval.as_str().to_owned(),
                disconnected: account.disconnected,
                money,
            })
        }
    };
    Ok(PartnerView::Partner(Box::new(Standing {
        link: format!("{}?ref={}", state.config.base_url, standing.code.as_str()),
        signups: standing.referred_signups,
        subscribers: standing.referred_subscribers,
        earned: earned
            .iter()
            .map(|line| EarnedView {
                held: line.held.in_words(),
                payable: line.payable.in_words(),
                paid: line.paid.in_words(),
                taken_back: line.taken_back.in_words(),
            })
            .collect(),
        commissions: commissions
            .into_iter()
            .map(|line| CommissionView {
                invoice_amount: line.invoice_amount.in_words(),
                amount: line.amount.in_words(),
                taken_back: if line.taken_back.minor > 0 {
                    line.taken_back.in_words()
                } else {
                    String::new()
                },
                state: line.state.in_words().to_owned(),
                payable_on: format_date(line.payable_at),
            })
            .collect(),
        transfers: transfers
            .into_iter()
            .map(|line| TransferView {
                amount: line.amount.in_words(),
                reversed: if line.reversed.minor > 0 {
                    line.reversed.in_words()
                } else {
                    String::new()
                },
                status: line.status.as_str().to_owned(),
                group: line.group,
                date: format_date(line.created_at),
            })
            .collect(),
        onboarding: match state.config.partner_onboarding {
            Onboarding::Hosted => OnboardingWay::Hosted,
            Onboarding::Platform => OnboardingWay::Platform,
        },
        account,
        form_id: Uuid::new_v4().to_string(),
    })))
}

fn money_view(money: partners::accounts::AccountMoney) -> AccountMoneyView {
    AccountMoneyView {
        available: money
            .available
            .iter()
            .map(|amount| (amount.currency.clone(), amount.in_words(), amount.minor > 0))
            .collect(),
        pending: money
            .pending
            .iter()
            .map(|amount| amount.in_words())
            .collect(),
        payouts: money
            .payouts
            .into_iter()
            .map(|payout| PayoutView {
                amount: backend::billing::money::Money::new(payout.amount, &payout.currency)
                    .in_words(),
                status: payout.status.in_words(),
                arrival: time::OffsetDateTime::from_unix_timestamp(payout.arrival_date)
                    .map(format_date)
                    .unwrap_or_default(),
                automatic: payout.automatic,
            })
            .collect(),
    }
}
