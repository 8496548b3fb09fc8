//! The partner program's page and joining it. Each checks the signed-in user itself; with the
//! program off (`PARTNERS_ENABLED=false`) both answer not found.

use leptos::prelude::*;

use crate::errors::FormError;

/// What `/partners` shows: nothing yet (not a partner), or the partner's link and what it
/// brought.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PartnerView {
    /// Not a partner yet: the page offers to join.
    NotYet,
    /// A partner.
    Partner {
        /// `https://your.app/?ref=CODE`.
        link: String,
        /// Accounts that signed up through it.
        signups: i64,
        /// Of those, how many hold a plan now.
        subscribers: i64,
        /// Commissions per currency: (still held, payable), in words.
        earned: Vec<(String, String)>,
    },
}

/// The signed-in user's standing in the program.
#[server(endpoint = "partner_standing")]
pub async fn partner_standing() -> Result<PartnerView, FormError> {
    use backend::billing::Step;

    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    if !state.config.partners_enabled {
        return Err(FormError::NotFound);
    }
    let partner = backend::partners::of_user(&state.db, user.id)
        .await
        .step("reading the partner")?;
    let now = backend::billing::clock::now(&state).await;
    let earned = backend::partners::commissions::earned(&state.db, user.id, now)
        .await
        .step("adding up the partner's commissions")?;
    Ok(match partner {
        None => PartnerView::NotYet,
        Some(partner) => PartnerView::Partner {
            link: format!("{}?ref={}", state.config.base_url, partner.code.as_str()),
            signups: partner.referred_signups,
            subscribers: partner.referred_subscribers,
            earned: earned
                .iter()
                .map(|line| (line.held.in_words(), line.payable.in_words()))
                .collect(),
        },
    })
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
