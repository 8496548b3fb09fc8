//! Subscriptions Stripe paused because their trial ended without a card
//! (`trial_settings.end_behavior.missing_payment_method = pause`): resumed as soon as the
//! customer has a card, so adding one in the portal is all a user has to do to continue.
//!
//! Stripe does not resume them by itself; it tells us the card changed (`payment_method.attached`,
//! `customer.updated`), and the webhook that stores the new card calls [`resume_with_card`].

use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{subscriptions, BillingError};
use crate::stripe::StripeClient;

/// Resumes the customer's stored paused subscriptions that now have a card, and stores what
/// Stripe made of them (a new period, invoiced at once). Returns how many were resumed. The
/// caller holds the customer's lock and has just refreshed its subscriptions.
pub async fn resume_with_card(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    customer: &str,
) -> Result<usize, BillingError> {
    let paused = sqlx::query!(
        r#"
        SELECT s.id, (SELECT min(current_period_start) FROM subscription_items
                      WHERE subscription_id = s.id) AS paused_period_start
        FROM subscriptions s
        WHERE s.stripe_customer_id = $1 AND s.status = 'paused' AND s.card_last4 IS NOT NULL
        ORDER BY s.id
        "#,
        customer
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut resumed = 0;
    for subscription in paused {
        // One resume per pause: a redelivered event replays Stripe's first answer.
        let key = format!(
            "tollgate-resume-{}-{}",
            subscription.id,
            subscription
                .paused_period_start
                .map_or(0, OffsetDateTime::unix_timestamp)
        );
        match stripe.resume_subscription(&subscription.id, &key).await {
            Ok(_) => resumed += 1,
            // No longer paused (resumed in the portal a moment ago), or Stripe will not: what
            // it holds now is stored below, and the page shows it.
            Err(error) if error.is_refusal() => {
                tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), subscription = %subscription.id, "Stripe refused to resume a paused subscription");
            }
            Err(error) => return Err(error.into()),
        }
        subscriptions::refresh(conn, stripe, &subscription.id).await?;
    }
    Ok(resumed)
}
