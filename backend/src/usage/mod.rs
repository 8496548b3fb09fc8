//! Usage: metered features counted against what the plan includes, enforced on the server.
//!
//! A product meters a feature with metadata `metered=NAME` (the demo API's `reports_generated`),
//! `included_usage=N` (units each period without charge) and `usage_limit=N` (a hard cap each
//! period; absent, uncapped). An account without such a plan meters nothing.
//!
//! [`meter`] is check, reserve and record in one statement: the period's counter row is
//! created or locked, the use is split — the allowance first, then credit pack units, then
//! overage — and counted only if the overage stays within the limit (the row's lock orders
//! concurrent uses, so a hard limit is never exceeded, however many requests arrive at once);
//! the use is logged in `usage_events` in the same statement with its billable part (the
//! overage), the record the reporter sends to Stripe and the history is drawn from. Credit packs
//! are one-time products with `credits=N` on the meter; their units last until drawn, oldest
//! pack first, and a pack taken back (refunded, lost to a dispute) loses only what it has left.
//! The period is the plan's billing period (by Stripe's clock), so the allowance starts again
//! with each renewal. [`reporter`] sends the logged uses' billable parts to Stripe as meter events, each
//! exactly once.

pub mod batch;
pub mod reconcile;
pub mod reporter;
pub mod terms;

use time::OffsetDateTime;
use uuid::Uuid;

pub use terms::Terms;

use crate::{
    billing::{money::Money, BillingError, Step, SubscriptionStatus},
    AppState,
};

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
    /// Of those, units its credit packs paid for (they do not count against the limit).
    pub from_credits: i64,
    /// Units included without charge.
    pub included: i64,
    /// The hard limit on the units the plan covers (included and overage), if any.
    pub limit: Option<i64>,
    /// Credit pack units left, drawn after the allowance and before overage.
    pub credits: i64,
    /// When the period (and so the allowance) starts again.
    pub resets_at: OffsetDateTime,
}

impl Standing {
    /// Units the plan covered this period: the use its credits did not pay for.
    pub fn plan_used(&self) -> i64 {
        self.used - self.from_credits
    }

    /// Units billed as overage this period: the plan's use past its allowance.
    pub fn overage(&self) -> i64 {
        (self.plan_used() - self.included).max(0)
    }

    /// Units left before the hard limit, credits included (`None`: no limit).
    pub fn remaining(&self) -> Option<i64> {
        self.limit
            .map(|limit| (limit - self.plan_used()).max(0) + self.credits)
    }
}

/// Counts `quantity` units of `meter` for the account at `now` (billing time), unless that
/// would pass its plan's hard limit: check, reserve and record in one statement
/// (`usage_meter`, see its migration), which holds the period's counter row only while it runs,
/// so concurrent uses are counted one after the other. The use is drawn from the allowance, then
/// from credit packs, then as overage, which alone is billed.
///
/// On this replica, one account's uses of a meter queue and are counted in batches, one round
/// trip each ([`batch`]): Postgres sees one statement at a time for them instead of every
/// waiter waking at each commit to retry the row's lock.
#[tracing::instrument(skip_all, fields(%account_id, meter, quantity))]
pub async fn meter(
    state: &AppState,
    account_id: Uuid,
    meter: &str,
    quantity: i64,
    now: OffsetDateTime,
) -> Result<Metered, BillingError> {
    let db = &state.db;
    let Some(terms) = terms::of(db, account_id, meter, now)
        .await
        .step("reading the plan's usage terms")?
    else {
        return Ok(Metered::Unmetered);
    };
    let usage = batch::Use {
        terms: terms.clone(),
        quantity,
        id: Uuid::new_v4(),
        at: now,
    };
    let counted = batch::count(state, account_id, meter, usage).await?;
    let standing = Standing {
        used: counted.used,
        from_credits: counted.from_credits,
        included: terms.included,
        limit: terms.limit,
        credits: counted.credits,
        resets_at: terms.period_end,
    };
    Ok(if counted.counted {
        Metered::Counted(standing)
    } else {
        Metered::LimitReached(standing)
    })
}

/// Credit pack units the account has left on `meter`: what its packs (paid, not taken back)
/// have not had drawn from them.
pub async fn credits(
    db: impl sqlx::PgExecutor<'_>,
    account_id: Uuid,
    meter: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT COALESCE(sum(units_left), 0)::bigint AS "left!"
        FROM usage_credit_packs($1, $2)
        "#,
        account_id,
        meter
    )
    .fetch_one(db)
    .await
}

/// The period's counter: units used, and of those paid by credits.
async fn counted(
    db: &sqlx::PgPool,
    account_id: Uuid,
    meter: &str,
    period_start: OffsetDateTime,
) -> Result<(i64, i64), sqlx::Error> {
    Ok(sqlx::query!(
        r#"
        SELECT used, from_credits FROM usage_counters
        WHERE account_id = $1 AND meter = $2 AND period_start = $3
        "#,
        account_id,
        meter,
        period_start
    )
    .fetch_optional(db)
    .await?
    .map_or((0, 0), |row| (row.used, row.from_credits)))
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
    standing_under(db, account_id, meter, &terms)
        .await
        .map(Some)
}

/// Where the account stands on `meter` under the period's `terms`.
async fn standing_under(
    db: &sqlx::PgPool,
    account_id: Uuid,
    meter: &str,
    terms: &Terms,
) -> Result<Standing, BillingError> {
    let (used, from_credits) = counted(db, account_id, meter, terms.period_start)
        .await
        .step("reading the period's usage")?;
    let credits = credits(db, account_id, meter)
        .await
        .step("reading the credits left")?;
    Ok(Standing {
        used,
        from_credits,
        included: terms.included,
        limit: terms.limit,
        credits,
        resets_at: terms.period_end,
    })
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
    /// A metered price's amount per unit, if the plan bills the usage.
    pub unit_price: Option<Money>,
    /// Units used per day of the period so far, oldest first (days without use count 0).
    pub days: Vec<(time::Date, i64)>,
    /// The credit packs on sale for this meter, smallest first.
    pub packs: Vec<CreditPack>,
}

/// A credit pack on sale: a one-time price of a product with `credits` on a meter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditPack {
    /// `price_…`, what Checkout sells.
    pub price_id: String,
    /// The product's name (`500 reports`).
    pub name: String,
    /// Units it grants.
    pub credits: i64,
    /// Its price.
    pub price: Money,
}

/// The credit packs on sale for `meter`, smallest first.
pub async fn packs(db: &sqlx::PgPool, meter: &str) -> Result<Vec<CreditPack>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT pr.id AS price_id, p.name, (p.metadata->>'credits')::bigint AS "credits!",
               pr.unit_amount AS "amount!", pr.currency
        FROM stripe_products p JOIN stripe_prices pr ON pr.product_id = p.id
        WHERE p.active AND pr.active AND pr.kind = 'one_time' AND pr.unit_amount IS NOT NULL
          AND p.metadata->>'metered' = $1 AND p.metadata->>'credits' ~ '^[0-9]{1,12}$'
        ORDER BY 3, pr.unit_amount, pr.id
        "#,
        meter
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| CreditPack {
            price: Money::new(row.amount, &row.currency),
            price_id: row.price_id,
            name: row.name,
            credits: row.credits,
        })
        .collect())
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
        let Some(terms) = terms::of(db, account_id, &meter.meter, now)
            .await
            .step("reading the plan's usage terms")?
        else {
            continue;
        };
        let standing = standing_under(db, account_id, &meter.meter, &terms).await?;
        let start = terms.period_start;
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
        let packs = packs(db, &meter.meter)
            .await
            .step("listing the credit packs")?;
        shown.push(Overview {
            unit_price: Money::from_parts(meter.unit_amount, meter.currency),
            packs,
            meter: meter.meter,
            unit: meter.unit,
            standing,
            days,
        });
    }
    Ok(shown)
}
