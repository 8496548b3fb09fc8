//! The reconciliation of usage with Stripe: for each account and meter with uses reported in the
//! last 30 days, our count of the billable units reported is compared with Stripe's meter event
//! summary over the same span (whole minutes, as Stripe sums them); a difference is recorded in `usage_discrepancies` and
//! listed on the console's overview. Nothing is changed: which side is right is for an operator
//! to decide. It runs each night on one replica ([`reconcile_nightly`],
//! `USAGE_RECONCILE_NIGHTLY`) and by hand (`server usage reconcile`).

use time::{Duration, OffsetDateTime};

use crate::{
    billing::{BillingError, Step},
    AppState,
};

/// One difference found.
#[derive(Clone, Debug, PartialEq)]
pub struct Discrepancy {
    pub account_id: uuid::Uuid,
    pub meter: String,
    /// Our count of the billable units reported.
    pub ours: i64,
    /// Stripe's aggregated value.
    pub stripes: f64,
}

fn minute_floor(at: OffsetDateTime) -> i64 {
    at.unix_timestamp() - at.unix_timestamp().rem_euclid(60)
}

/// Compares every account's reported usage of the last 30 days (billing time `now`) with
/// Stripe's, records and returns the differences.
#[tracing::instrument(skip_all)]
pub async fn reconcile(
    state: &AppState,
    now: OffsetDateTime,
) -> Result<Vec<Discrepancy>, BillingError> {
    let spans = sqlx::query!(
        r#"
        SELECT e.account_id, e.meter, c.stripe_customer_id,
               min(e.occurred_at) AS "first!", max(e.occurred_at) AS "last!",
               sum(e.billable)::bigint AS "ours!"
        FROM usage_events e JOIN billing_customers c ON c.account_id = e.account_id
        WHERE e.reported_at IS NOT NULL AND e.billable > 0 AND e.occurred_at >= $1
        GROUP BY e.account_id, e.meter, c.stripe_customer_id
        "#,
        now - Duration::days(30)
    )
    .fetch_all(&state.db)
    .await
    .step("summing the reported usage")?;
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let meters = state
        .stripe
        .meters()
        .await
        .step("listing the meters in Stripe")?;
    let mut found = Vec::new();
    for span in spans {
        let Some(meter) = meters
            .iter()
            .find(|meter| meter.event_name == span.meter && meter.status == "active")
        else {
            continue;
        };
        let (start, end) = (minute_floor(span.first), minute_floor(span.last) + 60);
        let summary = state
            .stripe
            .meter_summary(&meter.id, &span.stripe_customer_id, start, end)
            .await
            .step("reading the meter's summary in Stripe")?;
        let stripes = summary.map_or(0.0, |summary| summary.aggregated_value);
        if (stripes - span.ours as f64).abs() < f64::EPSILON {
            continue;
        }
        tracing::warn!(account_id = %span.account_id, meter = %span.meter, ours = span.ours, stripes, "usage differs from Stripe's");
        sqlx::query!(
            r#"
            INSERT INTO usage_discrepancies (account_id, meter, ours, stripes, span_start, span_end)
            VALUES ($1, $2, $3, $4, to_timestamp($5), to_timestamp($6))
            "#,
            span.account_id,
            span.meter,
            span.ours,
            stripes,
            start as f64,
            end as f64
        )
        .execute(&state.db)
        .await
        .step("recording a usage difference")?;
        found.push(Discrepancy {
            account_id: span.account_id,
            meter: span.meter,
            ours: span.ours,
            stripes,
        });
    }
    Ok(found)
}

/// Reconciles once a night, on one replica at a time, forever ([`crate::jobs`]).
pub async fn reconcile_nightly(state: AppState) {
    crate::jobs::every_night(state.db.clone(), "usage reconciliation", || async {
        run_locked(&state).await.map(|done| done.is_some())
    })
    .await;
}

/// [`reconcile`] now (billing time) under the usage reconciliation's advisory lock; `None` when
/// another replica holds it.
pub async fn run_locked(state: &AppState) -> Result<Option<Vec<Discrepancy>>, BillingError> {
    let now = crate::billing::clock::now(state).await;
    crate::jobs::run_locked(
        &state.db,
        "tollgate-usage-reconciliation",
        reconcile(state, now),
    )
    .await
}

/// The newest differences found, in words for the console:
/// `ada@example.com, reports_generated: 5 here, 6 in Stripe (found 4 December 2026)`.
pub async fn latest(db: &sqlx::PgPool, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT COALESCE(c.email, 'an organization') AS "who!", d.meter, d.ours, d.stripes,
               d.found_at
        FROM usage_discrepancies d LEFT JOIN billing_contacts c ON c.account_id = d.account_id
        ORDER BY d.found_at DESC, d.id DESC
        LIMIT $1
        "#,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            format!(
                "{}, {}: {} here, {} in Stripe (found {})",
                row.who,
                row.meter,
                row.ours,
                row.stripes,
                crate::billing::money::format_date(row.found_at)
            )
        })
        .collect())
}
