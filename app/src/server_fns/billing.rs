//! Billing: the pricing page's data, starting Checkout, the portal, the success page, and the
//! account page's billing section. Each checks the signed-in user itself, and acts for
//! whom they act for (themselves, or their current organization, whose billing its owners manage).

use leptos::prelude::*;

use crate::{
    billing_views::{BillingOverview, ChangePreviewView, CheckoutResult, PricingView},
    errors::FormError,
};

/// The most seats the pricing page totals.
pub const MAX_SEATS_SHOWN: u32 = 10_000;

/// The catalog (from memory) and, for a signed-in user, what they hold. Per-seat totals are for
/// `seats` (the page's seat selector), else for the organization's members (1 for a person).
#[server(endpoint = "pricing")]
pub async fn pricing(seats: Option<u32>) -> Result<PricingView, FormError> {
    use backend::billing::{purchases, subscriptions, trials, Step};

    let state = super::context::state()?;
    let catalog = state
        .catalog
        .get(&state.db)
        .await
        .step("loading the catalog")?;
    let payer = super::context::payer().ok();
    let (held, bought, had_trial) = match &payer {
        Some(payer) => (
            subscriptions::held_by(&state.db, payer.account_id())
                .await
                .step("finding the plans the account holds")?,
            purchases::of_user(&state.db, payer.account_id())
                .await
                .step("reading the account's purchases")?,
            !trials::offer(&state, payer).await?.has_trial(),
        ),
        None => (Vec::new(), Vec::new(), false),
    };
    let members = match payer.as_ref().and_then(|payer| payer.organization.as_ref()) {
        Some(acting) => backend::organizations::member_count(&state.db, acting.organization_id)
            .await
            .step("counting the organization's members")?,
        None => 1,
    };
    let seats = seats
        .unwrap_or(u32::try_from(members).unwrap_or(1))
        .clamp(1, MAX_SEATS_SHOWN);
    Ok(super::billing_mapping::pricing(
        &catalog,
        &held,
        &bought,
        payer.is_some(),
        had_trial,
        seats,
        state.config.automatic_tax,
    ))
}

/// Sends the user to Stripe Checkout for `price`.
#[server(endpoint = "start_checkout")]
pub async fn start_checkout(price: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let url = backend::billing::checkout::start(&state, &payer, &price).await?;
    leptos_axum::redirect(&url);
    Ok(())
}

/// Sends the user to Stripe's customer portal, returning to `/account`.
#[server(endpoint = "open_portal")]
pub async fn open_portal() -> Result<(), FormError> {
    use backend::billing::portal::{open, Portal};

    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let url = open(&state, &payer, "/account", Portal::Home).await?;
    leptos_axum::redirect(&url);
    Ok(())
}

/// Sends the user to the portal's card form (to continue a paused trial or retry a failed
/// payment), returning to `/account` once the card is saved.
#[server(endpoint = "update_card")]
pub async fn update_card() -> Result<(), FormError> {
    use backend::billing::portal::{open, Portal};

    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let url = open(&state, &payer, "/account#billing", Portal::Card).await?;
    leptos_axum::redirect(&url);
    Ok(())
}

/// Fetches the Checkout Session from Stripe and applies it now (the webhook may not have
/// arrived yet), if it is this user's.
#[server(endpoint = "confirm_checkout")]
pub async fn confirm_checkout(session_id: String) -> Result<CheckoutResult, FormError> {
    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let outcome = backend::billing::checkout::confirm(&state, &payer, &session_id).await?;
    Ok(super::billing_mapping::checkout_result(outcome))
}

/// The account page's billing section: plans (with what may be done to each), invoices,
/// purchases.
#[server(endpoint = "billing")]
pub async fn billing() -> Result<BillingOverview, FormError> {
    use backend::billing::{overview, Step};

    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let now = backend::billing::clock::now(&state).await;
    let stored = overview::account(&state.db, payer.account_id(), now)
        .await
        .step("reading the account's billing")?;
    let catalog = state
        .catalog
        .get(&state.db)
        .await
        .step("loading the catalog")?;
    let mut overview = super::account_mapping::overview(
        &stored.plans,
        &stored.invoices,
        &stored.purchases,
        stored.has_customer,
        &catalog,
    );
    // Only a plan that meters something has usage to read (no query otherwise).
    if stored.plans.iter().any(|plan| plan.meter.is_some()) {
        let meters = backend::usage::overview(&state.db, payer.account_id(), now).await?;
        overview.usage = meters.iter().map(super::usage_mapping::view).collect();
    }
    Ok(overview)
}

/// Sets the subscription to end with its current period (a paused one ends at once).
#[server(endpoint = "cancel_subscription")]
pub async fn cancel_subscription(subscription_id: String) -> Result<(), FormError> {
    use backend::billing::manage::{cancel, Canceled};

    use crate::notice::Notice;

    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let notice = match cancel(&state, &payer, &subscription_id).await? {
        Canceled::AtPeriodEnd => Notice::PlanCanceled,
        Canceled::Now => Notice::PlanEnded,
    };
    leptos_axum::redirect(&notice.href());
    Ok(())
}

/// Undoes a cancellation at period end.
#[server(endpoint = "resume_subscription")]
pub async fn resume_subscription(subscription_id: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let payer = super::context::payer()?;
    backend::billing::manage::resume(&state, &payer, &subscription_id).await?;
    leptos_axum::redirect(&crate::notice::Notice::PlanResumed.href());
    Ok(())
}

/// What changing the subscription to `price_id` would bill (Stripe's preview), or, for a
/// downgrade, when it would take effect (the renewal).
#[server(endpoint = "preview_plan_change")]
pub async fn preview_plan_change(
    subscription_id: String,
    price_id: String,
) -> Result<ChangePreviewView, FormError> {
    use backend::billing::Step;

    use backend::billing::scheduled::{timing, Timing};

    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let catalog = state
        .catalog
        .get(&state.db)
        .await
        .step("loading the catalog")?;
    // A downgrade waits for the renewal: nothing to preview.
    if let Timing::AtRenewal(at) = timing(&state, &payer, &subscription_id, &price_id).await? {
        return Ok(super::account_mapping::change_at_renewal(
            at,
            &subscription_id,
            &price_id,
            &catalog,
        ));
    }
    let preview =
        backend::billing::manage::preview_change(&state, &payer, &subscription_id, &price_id)
            .await?;
    Ok(super::account_mapping::change_preview(
        &preview,
        &subscription_id,
        &price_id,
        &catalog,
    ))
}

/// Changes the subscription to `price_id`, prorated as previewed at `proration_date`.
#[server(endpoint = "change_plan")]
pub async fn change_plan(
    subscription_id: String,
    price_id: String,
    proration_date: i64,
) -> Result<(), FormError> {
    use backend::billing::manage::{self, PlanChange};

    use crate::notice::Notice;

    let state = super::context::state()?;
    let payer = super::context::payer()?;
    let notice =
        match manage::change_plan(&state, &payer, &subscription_id, &price_id, proration_date)
            .await?
        {
            PlanChange::Changed => Notice::PlanChanged,
            PlanChange::AwaitingPayment => Notice::PlanChangeAwaitsPayment,
        };
    leptos_axum::redirect(&notice.href());
    Ok(())
}

/// Schedules a downgrade for the end of the current period.
#[server(endpoint = "schedule_plan_change")]
pub async fn schedule_plan_change(
    subscription_id: String,
    price_id: String,
) -> Result<(), FormError> {
    let state = super::context::state()?;
    let payer = super::context::payer()?;
    backend::billing::scheduled::schedule(&state, &payer, &subscription_id, &price_id).await?;
    leptos_axum::redirect(&crate::notice::Notice::ChangeScheduled.href());
    Ok(())
}

/// Undoes a change scheduled for the renewal: the plan renews as it is.
#[server(endpoint = "undo_scheduled_change")]
pub async fn undo_scheduled_change(subscription_id: String) -> Result<(), FormError> {
    let state = super::context::state()?;
    let payer = super::context::payer()?;
    backend::billing::scheduled::undo(&state, &payer, &subscription_id).await?;
    leptos_axum::redirect(&crate::notice::Notice::ScheduledChangeUndone.href());
    Ok(())
}
