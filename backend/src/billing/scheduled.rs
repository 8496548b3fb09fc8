//! Plan changes at renewal: a downgrade (to a plan that costs less per year) waits for the end
//! of the period already paid, through a Stripe subscription schedule — its first phase the
//! current plan until the period ends, its second the new one, then released to run on by
//! itself. Undoing releases the schedule, and the plan renews as it is. Upgrades stay immediate
//! (`super::manage::change_plan`, after Stripe's proration preview).
//!
//! What is scheduled is stored with the subscription (fetched with its schedule expanded), so
//! the account page says *Changes to Hobby on …*; the `subscription_schedule.*` webhooks keep it
//! current when the change happens, or is undone in the Dashboard.

use time::OffsetDateTime;

use super::{
    catalog::CatalogPrice,
    manage::{changeable, store_latest},
    payer::Payer,
    BillingError, Step,
};
use crate::{stripe::Form, AppState};

/// When a change to another price takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// At once, prorated (an upgrade, or the same cost).
    Now,
    /// When the current period ends (a downgrade).
    AtRenewal(OffsetDateTime),
}

/// What a price costs per year, in its minor unit (to compare prices of other intervals).
fn per_year(price: &CatalogPrice) -> Option<i64> {
    let interval = price.recurring.as_ref()?;
    let per_unit = match interval.unit.as_str() {
        "day" => 365,
        "week" => 52,
        "month" => 12,
        "year" => 1,
        _ => return None,
    };
    Some(price.unit_amount * per_unit / i64::from(interval.count.max(1)))
}

/// When changing the subscription to `price_id` would take effect.
pub async fn timing(
    state: &AppState,
    payer: &Payer,
    subscription_id: &str,
    price_id: &str,
) -> Result<Timing, BillingError> {
    let owned = changeable(state, payer, subscription_id, price_id).await?;
    let catalog = state
        .catalog
        .get(&state.db)
        .await
        .step("loading the catalog")?;
    let cost = |id: &str| {
        catalog
            .find_price(id)
            .and_then(|(_, price)| per_year(price))
    };
    match (cost(&owned.price_id), cost(price_id)) {
        (Some(now), Some(then)) if then < now => {
            let ends = period_end(state, &owned.item_id).await?;
            Ok(Timing::AtRenewal(ends))
        }
        _ => Ok(Timing::Now),
    }
}

async fn period_end(state: &AppState, item_id: &str) -> Result<OffsetDateTime, BillingError> {
    sqlx::query_scalar!(
        "SELECT current_period_end FROM subscription_items WHERE id = $1",
        item_id
    )
    .fetch_one(&state.db)
    .await
    .step("reading the subscription's period end")
}

/// Schedules the change to `price_id` for the end of the current period (a downgrade only);
/// when it takes effect.
#[tracing::instrument(skip_all, fields(account_id = %payer.account_id(), subscription = subscription_id, price = price_id))]
pub async fn schedule(
    state: &AppState,
    payer: &Payer,
    subscription_id: &str,
    price_id: &str,
) -> Result<OffsetDateTime, BillingError> {
    let Timing::AtRenewal(at) = timing(state, payer, subscription_id, price_id).await? else {
        return Err(BillingError::NotNow(
            "An upgrade takes effect at once: preview it and confirm.",
        ));
    };
    let owned = changeable(state, payer, subscription_id, price_id).await?;
    let stored = sqlx::query!(
        r#"
        SELECT s.schedule_id, i.quantity
        FROM subscriptions s JOIN subscription_items i ON i.subscription_id = s.id
        WHERE s.id = $1 AND i.id = $2
        "#,
        subscription_id,
        owned.item_id
    )
    .fetch_one(&state.db)
    .await
    .step("reading the subscription's schedule")?;
    let schedule = match stored.schedule_id {
        Some(id) => state
            .stripe
            .schedule(&id)
            .await
            .step("fetching the subscription's schedule")?,
        None => state
            .stripe
            .create_schedule_from(
                subscription_id,
                &format!(
                    "tollgate-schedule-{subscription_id}-{}",
                    at.unix_timestamp()
                ),
            )
            .await
            .step("putting the subscription on a schedule")?,
    };
    let started = schedule
        .current_phase
        .as_ref()
        .map(|phase| phase.start_date)
        .or_else(|| schedule.phases.first().map(|phase| phase.start_date))
        .ok_or_else(|| anyhow::anyhow!("schedule {} has no phase", schedule.id))?;
    let catalog = state
        .catalog
        .get(&state.db)
        .await
        .step("loading the catalog")?;
    let interval = catalog
        .find_price(price_id)
        .and_then(|(_, price)| price.recurring.clone())
        .ok_or(BillingError::PriceUnavailable)?;
    let form = Form::new()
        .set("end_behavior", "release")
        .set("proration_behavior", "none")
        .set("phases[0][items][0][price]", &owned.price_id)
        .set("phases[0][items][0][quantity]", stored.quantity)
        .set("phases[0][start_date]", started)
        .set("phases[0][end_date]", at.unix_timestamp())
        .set("phases[1][items][0][price]", price_id)
        .set("phases[1][items][0][quantity]", stored.quantity)
        .set("phases[1][duration][interval]", &interval.unit)
        .set("phases[1][duration][interval_count]", interval.count);
    let key = format!(
        "tollgate-schedule-change-{}-{price_id}-{}-{}",
        schedule.id,
        stored.quantity,
        at.unix_timestamp()
    );
    state
        .stripe
        .update_schedule(&schedule.id, &form, &key)
        .await
        .step("scheduling the change in Stripe")?;
    store_latest(state, subscription_id).await?;
    tracing::info!(%at, "plan change scheduled for the renewal");
    Ok(at)
}

/// Undoes a scheduled change: the schedule is released and the plan renews as it is.
#[tracing::instrument(skip_all, fields(account_id = %payer.account_id(), subscription = subscription_id))]
pub async fn undo(
    state: &AppState,
    payer: &Payer,
    subscription_id: &str,
) -> Result<(), BillingError> {
    if !payer.manages_billing() {
        return Err(BillingError::NotOwner);
    }
    let schedule = sqlx::query_scalar!(
        "SELECT schedule_id FROM subscriptions WHERE id = $1 AND account_id = $2",
        subscription_id,
        payer.account_id()
    )
    .fetch_optional(&state.db)
    .await
    .step("finding the subscription's schedule")?
    .ok_or(BillingError::NoSuchSubscription)?
    .ok_or(BillingError::NotNow(
        "No change is scheduled for this plan.",
    ))?;
    match state
        .stripe
        .release_schedule(&schedule, &format!("tollgate-schedule-release-{schedule}"))
        .await
    {
        Ok(_) => {}
        // Released or completed meanwhile (the renewal came first): store what Stripe has.
        Err(error) if error.is_refusal() => {
            tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), "the schedule could not be released");
        }
        Err(error) => return Err(error.step("releasing the schedule in Stripe")),
    }
    store_latest(state, subscription_id).await
}
