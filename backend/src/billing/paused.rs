//! Subscriptions Stripe paused because their trial ended without a payment method
//! (`trial_settings.end_behavior.missing_payment_method = pause`): resumed as soon as the
//! customer has one, so adding a card in the portal is all a user has to do to continue.
//!
//! Stripe does not resume them by itself; it tells us the payment method changed
//! (`payment_method.attached`, `customer.updated`), and applying that event calls
//! [`resume_with_card`] once the change is stored ([`super::follow_ups`]). Only pauses with a trial behind them are resumed: that is the only way
//! our subscriptions pause.

use sqlx::PgPool;
use time::OffsetDateTime;

use super::{subscriptions, BillingError, Step, SubscriptionStatus};
use crate::stripe::StripeClient;

/// Resumes the customer's stored paused trials that now have a default payment method (any
/// kind: a card, Link, a bank account), and stores what Stripe made of them (a new period,
/// invoiced at once). Returns how many were resumed. Run after the customer's subscriptions were
/// stored; holds no connection while Stripe answers.
#[tracing::instrument(skip_all, fields(customer = customer))]
pub async fn resume_with_card(
    db: &PgPool,
    stripe: &StripeClient,
    customer: &str,
) -> Result<usize, BillingError> {
    let paused = sqlx::query!(
        r#"
        SELECT s.id, (SELECT min(current_period_start) FROM subscription_items
                      WHERE subscription_id = s.id) AS paused_period_start
        FROM subscriptions s
        WHERE s.stripe_customer_id = $1 AND s.status = 'paused' AND s.trial_end IS NOT NULL
        ORDER BY s.id
        "#,
        customer
    )
    .fetch_all(db)
    .await
    .step("finding the customer's paused trials")?;
    if paused.is_empty() {
        return Ok(0);
    }
    let customer_method = super::customers::default_payment_method(stripe, customer)
        .await
        .step("fetching the customer's default payment method from Stripe")?;
    let mut resumed = 0;
    for subscription in paused {
        let in_stripe = match stripe.subscription(&subscription.id).await {
            Ok(found) => found,
            Err(error) if error.is_not_found() => continue,
            Err(error) => return Err(error.step("fetching a paused subscription from Stripe")),
        };
        let method = in_stripe
            .default_payment_method
            .as_ref()
            .map(|method| method.id())
            .or(customer_method.as_deref());
        let Some(method) = method.filter(|_| in_stripe.status == SubscriptionStatus::Paused) else {
            continue;
        };
        // One resume per pause and payment method: a redelivered event replays Stripe's first
        // answer, and a second card added after a refusal is tried afresh.
        let key = format!(
            "tollgate-resume-{}-{}-{method}",
            subscription.id,
            subscription
                .paused_period_start
                .map_or(0, OffsetDateTime::unix_timestamp)
        );
        match stripe.resume_subscription(&subscription.id, &key).await {
            Ok(_) => resumed += 1,
            // Stripe will not (the payment method cannot be charged, it was resumed a moment
            // ago): what it holds now is stored below, and the page shows it.
            Err(error) if error.is_refusal() => {
                tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), subscription = %subscription.id, "Stripe refused to resume a paused subscription");
            }
            Err(error) => return Err(error.step("resuming a paused subscription in Stripe")),
        }
        subscriptions::refresh_unheld(db, stripe, &subscription.id).await?;
    }
    Ok(resumed)
}
