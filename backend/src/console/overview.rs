//! The figures of `/admin`, computed from Postgres in a few statements (never from Stripe calls
//! per view): the balance, recurring revenue, subscriptions by status, this month's new and
//! churned subscriptions, trial conversion, recovered payments, revenue per day, open disputes
//! and failed webhook events.
//!
//! - **MRR**: what the live subscriptions (active or past due; not trials) bill per month, each
//!   item's price × quantity brought to a month (a year is 12 months, a week 52/12 of one);
//!   metered prices, which bill usage, are left out.
//!   **ARR** is 12 × MRR.
//! - **New this month**: subscriptions created since the month began (billing time), but those
//!   whose first payment never came; **churned**: those that ended since then.
//! - **Trial conversion**: of the trials that have ended, the share that went on to pay.
//! - **Recovered payments**: this month's invoices paid after a failed attempt.
//! - **Revenue per day**: captured less refunded, of the charges made that day.

use sqlx::PgConnection;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::{
    billing::{money::Money, BillingError, Step},
    stripe::payments::DisputeStatus,
};

/// How many days the revenue chart covers.
pub const REVENUE_DAYS: i64 = 90;

/// Everything `/admin` shows.
#[derive(Clone, Debug)]
pub struct Overview {
    /// Per currency: (available, pending).
    pub balance: Vec<(Money, Money)>,
    /// Monthly recurring revenue, per currency.
    pub mrr: Vec<Money>,
    /// Subscriptions now active, trialing, past due, paused.
    pub counts: StatusCounts,
    /// Created since the month began.
    pub new_this_month: i64,
    /// Ended since the month began.
    pub churned_this_month: i64,
    /// Trials ended, and of them converted to paying.
    pub trials_ended: i64,
    /// Of the ended trials, how many pay now.
    pub trials_converted: i64,
    /// Invoices paid after a failed attempt, this month.
    pub recovered_payments: i64,
    /// One entry per day, oldest first, in the currency most charges are in.
    pub revenue: Vec<(Date, Money)>,
    /// Disputes not decided yet, soonest due first.
    pub open_disputes: Vec<OpenDispute>,
    /// Webhook events that failed and are not applied yet.
    pub failed_events: i64,
}

/// Subscriptions by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    /// Paying.
    pub active: i64,
    /// In a free trial.
    pub trialing: i64,
    /// A renewal failed; Stripe retries.
    pub past_due: i64,
    /// A trial ended without a card.
    pub paused: i64,
}

/// A dispute waiting for an answer or a decision.
#[derive(Clone, Debug)]
pub struct OpenDispute {
    /// `du_…`.
    pub id: String,
    /// `ch_…`.
    pub charge_id: String,
    /// Disputed.
    pub amount: Money,
    /// Where it is (`None`: a status this version does not know).
    pub status: Option<DisputeStatus>,
    /// When evidence is due.
    pub due_by: Option<OffsetDateTime>,
}

/// The figures as of `now` (billing time).
pub async fn overview(
    conn: &mut PgConnection,
    now: OffsetDateTime,
) -> Result<Overview, BillingError> {
    let month_start = now
        .replace_day(1)
        .unwrap_or(now)
        .replace_time(Time::MIDNIGHT);
    let balance = super::payouts::balance(&mut *conn)
        .await
        .step("reading the balance")?
        .into_iter()
        .map(|line| (line.available, line.pending))
        .collect();
    let mrr = sqlx::query!(
        r#"
        SELECT p.currency,
               round(sum(p.unit_amount * i.quantity * CASE p.recurring_interval
                   WHEN 'month' THEN 1.0 / p.interval_count
                   WHEN 'year' THEN 1.0 / (12 * p.interval_count)
                   WHEN 'week' THEN 52.0 / (12 * p.interval_count)
                   WHEN 'day' THEN 365.0 / (12 * p.interval_count)
               END))::bigint AS "mrr!"
        FROM subscriptions s
        JOIN subscription_items i ON i.subscription_id = s.id
        JOIN stripe_prices p ON p.id = i.price_id
        WHERE s.status IN ('active', 'past_due') AND p.kind = 'recurring'
          AND p.unit_amount IS NOT NULL
          -- A metered price bills usage, not a fixed amount a month.
          AND p.usage_type IS DISTINCT FROM 'metered'
        GROUP BY p.currency
        ORDER BY p.currency
        "#
    )
    .fetch_all(&mut *conn)
    .await
    .step("adding up the recurring revenue")?
    .into_iter()
    .map(|row| Money::new(row.mrr, &row.currency))
    .collect();
    let figures = sqlx::query!(
        r#"
        SELECT
            count(*) FILTER (WHERE status = 'active') AS "active!",
            count(*) FILTER (WHERE status = 'trialing') AS "trialing!",
            count(*) FILTER (WHERE status = 'past_due') AS "past_due!",
            count(*) FILTER (WHERE status = 'paused') AS "paused!",
            count(*) FILTER (WHERE created >= $1
                AND status NOT IN ('incomplete', 'incomplete_expired')) AS "new!",
            count(*) FILTER (WHERE ended_at >= $1) AS "churned!",
            count(*) FILTER (WHERE trial_end IS NOT NULL AND trial_end <= $2) AS "trials_ended!",
            count(*) FILTER (WHERE trial_end IS NOT NULL AND trial_end <= $2
                AND status IN ('active', 'past_due', 'unpaid')) AS "trials_converted!",
            (SELECT count(*) FROM invoices
             WHERE status = 'paid' AND attempt_count > 1 AND created >= $1) AS "recovered!",
            (SELECT count(*) FROM stripe_events
             WHERE applied_at IS NULL AND error IS NOT NULL) AS "failed_events!"
        FROM subscriptions
        "#,
        month_start,
        now,
    )
    .fetch_one(&mut *conn)
    .await
    .step("counting the subscriptions, invoices and failing events")?;
    let open_disputes = sqlx::query!(
        r#"
        SELECT id, charge_id, amount, currency, status, evidence_due_by
        FROM stripe_disputes
        WHERE status IN ('needs_response', 'under_review', 'warning_needs_response',
                         'warning_under_review')
        ORDER BY evidence_due_by NULLS LAST, id
        "#
    )
    .fetch_all(&mut *conn)
    .await
    .step("listing the open disputes")?
    .into_iter()
    .map(|row| OpenDispute {
        amount: Money::new(row.amount, &row.currency),
        id: row.id,
        charge_id: row.charge_id,
        status: DisputeStatus::from_stored(&row.status),
        due_by: row.evidence_due_by,
    })
    .collect();
    Ok(Overview {
        balance,
        mrr,
        counts: StatusCounts {
            active: figures.active,
            trialing: figures.trialing,
            past_due: figures.past_due,
            paused: figures.paused,
        },
        new_this_month: figures.new,
        churned_this_month: figures.churned,
        trials_ended: figures.trials_ended,
        trials_converted: figures.trials_converted,
        recovered_payments: figures.recovered,
        revenue: revenue(conn, now).await?,
        open_disputes,
        failed_events: figures.failed_events,
    })
}

/// Captured less refunded per day for the last [`REVENUE_DAYS`] days (today last), in the
/// currency most charges are in; days without charges are zero.
async fn revenue(
    conn: &mut PgConnection,
    now: OffsetDateTime,
) -> Result<Vec<(Date, Money)>, BillingError> {
    let first = now.date() - Duration::days(REVENUE_DAYS - 1);
    let since = first.midnight().assume_utc();
    let currency = sqlx::query_scalar!(
        r#"
        SELECT currency FROM stripe_charges WHERE status = 'succeeded' AND created >= $1
        GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1
        "#,
        since
    )
    .fetch_optional(&mut *conn)
    .await
    .step("finding the currency most payments are in")?
    .unwrap_or_else(|| "usd".to_owned());
    let days = sqlx::query!(
        r#"
        SELECT (created AT TIME ZONE 'UTC')::date AS "day!",
               sum(amount_captured - amount_refunded)::bigint AS "net!"
        FROM stripe_charges
        WHERE status = 'succeeded' AND currency = $1 AND created >= $2
        GROUP BY 1
        "#,
        currency,
        since
    )
    .fetch_all(&mut *conn)
    .await
    .step("adding up the revenue per day")?;
    Ok((0..REVENUE_DAYS)
        .map(|offset| {
            let day = first + Duration::days(offset);
            let net = days
                .iter()
                .find(|row| row.day == day)
                .map_or(0, |row| row.net);
            (day, Money::new(net, &currency))
        })
        .collect())
}
