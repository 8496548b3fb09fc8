//! Usage: metered features counted against what the plan includes, enforced on the server.
//!
//! A product meters a feature with metadata `metered=NAME` (the demo API's `reports_generated`),
//! `included_usage=N` (units each period without charge) and `usage_limit=N` (a hard cap each
//! period; absent, uncapped). An account without such a plan meters nothing.
//!
//! [`meter`] is check, reserve and record in one statement: the period's counter row is created
//! or raised only if it stays within the limit (the row's lock orders concurrent uses, so a hard
//! limit is never exceeded, however many requests arrive at once), and the use is logged in
//! `usage_events` in the same statement — the record the reporter sends to Stripe and the
//! history is drawn from. The period is the plan's billing period (by Stripe's clock), so the
//! allowance starts again with each renewal. [`reporter`] sends the logged uses to Stripe as
//! meter events, each exactly once.

pub mod reconcile;
pub mod reporter;
pub mod terms;

use time::OffsetDateTime;
use uuid::Uuid;

pub use terms::Terms;

use crate::billing::{BillingError, Step, SubscriptionStatus};

/// What a use of a metered feature came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Metered {
    /// The account's plans do not meter it: nothing counted.
    Unmetered,
    /// Counted; the period's standing after it.
    Counted(Standing),
    /// Refused: it would pass the hard limit. Nothing counted.
    LimitReached(Standing),
}

/// Where an account stands on a meter this period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// Units used this period.
    pub used: i64,
    /// Units included without charge.
    pub included: i64,
    /// The hard limit, if any.
    pub limit: Option<i64>,
    /// When the period (and so the allowance) starts again.
    pub resets_at: OffsetDateTime,
}

impl Standing {
    /// Units left before the hard limit (`None`: no limit).
    pub fn remaining(&self) -> Option<i64> {
        self.limit.map(|limit| (limit - self.used).max(0))
    }
}

/// Counts `quantity` units of `meter` for the account at `now` (billing time), unless that
/// would pass its plan's hard limit. One statement.
#[tracing::instrument(skip_all, fields(%account_id, meter, quantity))]
pub async fn meter(
    db: &sqlx::PgPool,
    account_id: Uuid,
    meter: &str,
    quantity: i64,
    now: OffsetDateTime,
) -> Result<Metered, BillingError> {
    let Some(terms) = terms::of(db, account_id, meter, now)
        .await
        .step("reading the plan's usage terms")?
    else {
        return Ok(Metered::Unmetered);
    };
    let counted = sqlx::query_scalar!(
        r#"
        WITH counted AS (
            INSERT INTO usage_counters (account_id, meter, period_start, period_end, used)
            SELECT $1, $2, $3, $4, $5
            WHERE $6::bigint IS NULL OR $5 <= $6
            ON CONFLICT (account_id, meter, period_start) DO UPDATE
                SET used = usage_counters.used + EXCLUDED.used
                WHERE $6::bigint IS NULL OR usage_counters.used + EXCLUDED.used <= $6
            RETURNING used
        ), logged AS (
            INSERT INTO usage_events (id, account_id, meter, quantity, occurred_at)
            SELECT $7, $1, $2, $5, $8 FROM counted
        )
        SELECT used FROM counted
        "#,
        account_id,
        meter,
        terms.period_start,
        terms.period_end,
        quantity,
        terms.limit,
        Uuid::new_v4(),
        now,
    )
    .fetch_optional(db)
    .await
    .step("counting the use")?;
    let standing = |used| Standing {
        used,
        included: terms.included,
        limit: terms.limit,
        resets_at: terms.period_end,
    };
    Ok(match counted {
        Some(used) => Metered::Counted(standing(used)),
        None => {
            let used = used(db, account_id, meter, terms.period_start)
                .await
                .step("reading the period's usage")?;
            Metered::LimitReached(standing(used))
        }
    })
}

/// Units of `meter` the account used in the period starting `period_start`.
async fn used(
    db: &sqlx::PgPool,
    account_id: Uuid,
    meter: &str,
    period_start: OffsetDateTime,
) -> Result<i64, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT used FROM usage_counters
        WHERE account_id = $1 AND meter = $2 AND period_start = $3
        "#,
        account_id,
        meter,
        period_start
    )
    .fetch_optional(db)
    .await?
    .unwrap_or(0))
}

/// Where the account stands on `meter` now, if its plans meter it.
pub async fn standing(
    db: &sqlx::PgPool,
    account_id: Uuid,
    meter: &str,
    now: OffsetDateTime,
) -> Result<Option<Standing>, BillingError> {
    let Some(terms) = terms::of(db, account_id, meter, now)
        .await
        .step("reading the plan's usage terms")?
    else {
        return Ok(None);
    };
    let used = used(db, account_id, meter, terms.period_start)
        .await
        .step("reading the period's usage")?;
    Ok(Some(Standing {
        used,
        included: terms.included,
        limit: terms.limit,
        resets_at: terms.period_end,
    }))
}

/// The account's usage this period, for its page: each meter its plans have, with where it
/// stands, what a metered price will bill for it, and the units used per day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overview {
    /// The meter (`reports_generated`).
    pub meter: String,
    /// What a unit is (`report`).
    pub unit: Option<String>,
    pub standing: Standing,
    /// A metered price's amount per unit and its currency, if the plan bills the usage.
    pub unit_price: Option<(i64, String)>,
    /// Units used per day of the period so far, oldest first (days without use count 0).
    pub days: Vec<(time::Date, i64)>,
}

/// What [`overview`] shows of each meter the account's live plans have.
pub async fn overview(
    db: &sqlx::PgPool,
    account_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<Overview>, BillingError> {
    let meters = sqlx::query!(
        r#"
        SELECT DISTINCT ON (p.metadata->>'metered')
               p.metadata->>'metered' AS "meter!", p.metadata->>'unit' AS unit,
               CASE WHEN pr.usage_type = 'metered' THEN pr.unit_amount END AS unit_amount,
               pr.currency AS "currency?"
        FROM subscriptions s
        JOIN subscription_items i ON i.subscription_id = s.id
        JOIN stripe_products p ON p.id = i.product_id
        LEFT JOIN stripe_prices pr ON pr.id = i.price_id
        WHERE s.account_id = $1 AND s.status = ANY($2) AND p.metadata->>'metered' IS NOT NULL
        ORDER BY p.metadata->>'metered', pr.unit_amount DESC NULLS LAST
        "#,
        account_id,
        &SubscriptionStatus::names_where(SubscriptionStatus::holds_plan) as &[&str]
    )
    .fetch_all(db)
    .await
    .step("listing the plans' meters")?;
    let mut shown = Vec::new();
    for meter in meters {
        let Some(standing) = standing(db, account_id, &meter.meter, now).await? else {
            continue;
        };
        let start = standing.resets_at
            - (terms::of(db, account_id, &meter.meter, now)
                .await
                .step("reading the plan's usage terms")?
                .map_or(time::Duration::days(30), |terms| {
                    terms.period_end - terms.period_start
                }));
        let used = sqlx::query!(
            r#"
            SELECT (occurred_at AT TIME ZONE 'UTC')::date AS "day!", sum(quantity)::bigint AS "used!"
            FROM usage_events
            WHERE account_id = $1 AND meter = $2 AND occurred_at >= $3 AND occurred_at < $4
            GROUP BY 1 ORDER BY 1
            "#,
            account_id,
            meter.meter,
            start,
            standing.resets_at
        )
        .fetch_all(db)
        .await
        .step("reading the usage per day")?;
        let mut days = Vec::new();
        let mut day = start.date();
        while day <= now.date().min(standing.resets_at.date()) {
            let count = used
                .iter()
                .find(|row| row.day == day)
                .map_or(0, |row| row.used);
            days.push((day, count));
            day = day.next_day().unwrap_or(day);
            if days.len() > 400 {
                break;
            }
        }
        shown.push(Overview {
            unit_price: meter.unit_amount.zip(meter.currency),
            meter: meter.meter,
            unit: meter.unit,
            standing,
            days,
        });
    }
    Ok(shown)
}
