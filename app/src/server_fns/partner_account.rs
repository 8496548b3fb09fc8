//! A partner's connected Stripe account: connecting it (Stripe's hosted onboarding, or the
//! app's own form), choosing the payout schedule, paying the balance out on a manual one. Each
//! acts only on the signed-in partner's own account; with the program off, not found.

use leptos::prelude::*;

use crate::errors::FormError;

/// The signed-in partner, with the program on.
#[cfg(feature = "ssr")]
fn partner() -> Result<(backend::AppState, backend::auth::User), FormError> {
    let state = super::context::state()?;
    let user = super::context::signed_in_user()?;
    if !state.config.partners_enabled {
        return Err(FormError::NotFound);
    }
    Ok((state, user))
}

/// Sends the partner to Stripe's hosted onboarding (creating their account the first time).
#[server(endpoint = "connect_stripe_account")]
pub async fn connect_stripe_account() -> Result<(), FormError> {
    use backend::partners::accounts::{hosted_onboarding_link, Onboarding};

    let (state, user) = partner()?;
    if state.config.partner_onboarding != Onboarding::Hosted {
        return Err(FormError::NotFound);
    }
    let url = hosted_onboarding_link(&state, user.id, user.email.as_str()).await?;
    leptos_axum::redirect(&url);
    Ok(())
}

/// Connects a custom account from the app's own form: who the partner is, their bank account,
/// and their acceptance of Stripe's terms (recorded with the time and their address).
#[server(endpoint = "connect_with_form")]
pub async fn connect_with_form(
    first_name: String,
    last_name: String,
    dob: String,
    routing_number: String,
    account_number: String,
    accepted_terms: Option<String>,
) -> Result<(), FormError> {
    use backend::partners::accounts::{self, Onboarding, PlatformForm};

    let (state, user) = partner()?;
    if state.config.partner_onboarding != Onboarding::Platform {
        return Err(FormError::NotFound);
    }
    let ip = super::context::client_address().ok_or_else(|| {
        FormError::Form("We could not tell your address; please try again.".to_owned())
    })?;
    let now = backend::billing::clock::now(&state).await;
    let form = PlatformForm {
        first_name,
        last_name,
        dob,
        routing_number,
        account_number,
        accepted_terms: accepted_terms.is_some(),
    };
    accounts::connect_with_form(&state, user.id, user.email.as_str(), &form, ip, now).await?;
    leptos_axum::redirect(&crate::notice::Notice::StripeAccountChecked.href());
    Ok(())
}

/// Sets how often Stripe pays the partner's balance out.
#[server(endpoint = "set_payout_schedule")]
pub async fn set_payout_schedule(interval: String) -> Result<(), FormError> {
    use backend::stripe::connect::PayoutInterval;

    let (state, user) = partner()?;
    let interval = PayoutInterval::from_stored(&interval).ok_or_else(|| FormError::Field {
        field: "interval".to_owned(),
        message: "Choose manual, daily, weekly or monthly.".to_owned(),
    })?;
    backend::partners::accounts::set_payout_interval(&state, user.id, interval).await?;
    leptos_axum::redirect(&crate::notice::Notice::PayoutScheduleSaved.href());
    Ok(())
}

/// Pays the partner's whole available balance in `currency` out to their bank (manual schedule).
#[server(endpoint = "partner_pay_out")]
pub async fn partner_pay_out(currency: String, form_id: String) -> Result<(), FormError> {
    let (state, user) = partner()?;
    let form_id = uuid::Uuid::parse_str(&form_id)
        .map_err(|_| FormError::Form("Reload the page and try again.".to_owned()))?;
    let currency = currency.trim().to_ascii_lowercase();
    backend::partners::accounts::pay_out_now(&state, user.id, &currency, form_id).await?;
    leptos_axum::redirect(&crate::notice::Notice::PartnerPaidOut.href());
    Ok(())
}
