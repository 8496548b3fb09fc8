//! [`Terms`]: what an account's plans say about a meter this period — the allowance, the hard
//! limit and the period — read from the live plans' product metadata.

use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::billing::SubscriptionStatus;

/// A meter's terms for one account and period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// Units included each period (`included_usage`; 0 when unsaid).
    pub included: i64,
    /// The hard limit each period (`usage_limit`; `None`: uncapped).
    pub limit: Option<i64>,
    /// The period the counting is for: the plan's billing period containing `now`.
    pub period_start: OffsetDateTime,
    pub period_end: OffsetDateTime,
}

/// The terms of `meter` for the account at `now`, from its live plans whose product meters it
/// (the most generous if several do); `None` when none does.
pub async fn of(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    meter: &str,
    now: OffsetDateTime,
) -> Result<Option<Terms>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT
            max(CASE WHEN p.metadata->>'included_usage' ~ '^[0-9]{1,15}$'
                     THEN (p.metadata->>'included_usage')::bigint ELSE 0 END) AS "included!",
            -- A plan without a limit makes the account uncapped.
            CASE WHEN bool_or(NOT (p.metadata->>'usage_limit' ~ '^[0-9]{1,15}$')
                              OR p.metadata->>'usage_limit' IS NULL) THEN NULL
                 ELSE max((p.metadata->>'usage_limit')::bigint) END AS "limit",
            min(i.current_period_start) AS "period_start!",
            min(i.current_period_end) AS "period_end!"
        FROM subscriptions s
        JOIN subscription_items i ON i.subscription_id = s.id
        JOIN stripe_products p ON p.id = i.product_id
        WHERE s.account_id = $1 AND s.status = ANY($2) AND p.metadata->>'metered' = $3
        HAVING count(*) > 0
        "#,
        account_id,
        &SubscriptionStatus::names_where(SubscriptionStatus::holds_plan) as &[&str],
        meter
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| {
        let (period_start, period_end) = if row.period_start <= now && now < row.period_end {
            (row.period_start, row.period_end)
        } else {
            // The stored period is behind billing time (the renewal not heard yet): count in
            // the period that has begun since, of the same length.
            let length = row.period_end - row.period_start;
            let mut start = row.period_start;
            while start + length <= now && length.is_positive() {
                start += length;
            }
            (start, start + length)
        };
        Terms {
            included: row.included,
            limit: row.limit,
            period_start,
            period_end,
        }
    }))
}
