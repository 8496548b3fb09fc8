//! Reporting usage to Stripe: the billable part of every counted use (`usage_events.billable`,
//! what is past the allowance and the credits) is sent as a meter event, in batches, by a
//! background task on each replica; a use the allowance or credits covered is never sent. The event's id is the meter event's
//! `identifier` (and the request's idempotency key), so a retry — after a lost answer, a
//! restart, or two replicas sending the same row — never counts twice in Stripe: Stripe refuses
//! an identifier it already has, which means it was counted, and the row is marked reported.
//! A use of an account without a Stripe customer waits until it has one; one Stripe refuses
//! for good (a timestamp past its 35-day window) keeps its error and is not sent again.

use time::OffsetDateTime;

use crate::{
    billing::{BillingError, Step},
    stripe::Form,
    AppState,
};

/// How many uses one pass sends at most.
const BATCH: i64 = 100;

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reported {
    /// Uses Stripe now has (sent now, or found already counted).
    pub sent: usize,
    /// Uses that failed and wait for the next pass.
    pub failed: usize,
}

/// Sends the oldest unreported uses (up to a batch); what became of them.
#[tracing::instrument(skip_all)]
pub async fn report_due(state: &AppState) -> Result<Reported, BillingError> {
    let due = sqlx::query!(
        r#"
        SELECT e.id, e.meter, e.billable, e.occurred_at, c.stripe_customer_id
        FROM usage_events e
        JOIN billing_customers c ON c.account_id = e.account_id
        WHERE e.reported_at IS NULL AND e.billable > 0 AND e.attempts < 20
        ORDER BY e.occurred_at, e.id
        LIMIT $1
        "#,
        BATCH
    )
    .fetch_all(&state.db)
    .await
    .step("listing the uses to report")?;
    let mut report = Reported::default();
    for event in due {
        let form = Form::new()
            .set("event_name", &event.meter)
            .set("identifier", event.id)
            .set("timestamp", event.occurred_at.unix_timestamp())
            .set("payload[stripe_customer_id]", &event.stripe_customer_id)
            .set("payload[value]", event.billable);
        let key = format!("tollgate-meter-event-{}", event.id);
        let outcome = match state.stripe.create_meter_event(&form, &key).await {
            Ok(()) => Ok(()),
            // Stripe has this identifier: it was counted by an earlier send.
            Err(error) if error.is_refused_param("identifier") => Ok(()),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) => {
                report.sent += 1;
                sqlx::query!(
                    "UPDATE usage_events SET reported_at = now(), last_error = NULL WHERE id = $1",
                    event.id
                )
                .execute(&state.db)
                .await
                .step("marking a use reported")?;
            }
            Err(error) => {
                report.failed += 1;
                // Refused for good (its timestamp is past Stripe's window): not tried again.
                let attempts = if error.is_refused_param("timestamp") {
                    20
                } else {
                    1
                };
                let message = error.to_string();
                tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), use_id = %event.id, "a use could not be reported to Stripe; it is tried again");
                sqlx::query!(
                    r#"
                    UPDATE usage_events
                    SET attempts = attempts + $2, last_error = $3
                    WHERE id = $1
                    "#,
                    event.id,
                    attempts,
                    message
                )
                .execute(&state.db)
                .await
                .step("recording a failed report")?;
            }
        }
    }
    Ok(report)
}

/// Reports due uses every few seconds, forever.
pub async fn report_forever(state: AppState) {
    loop {
        match report_due(&state).await {
            Ok(report) if report.sent > 0 || report.failed > 0 => {
                tracing::info!(?report, "usage reported to Stripe");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error.cause_chain = ?error, "usage could not be reported"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

/// How far reporting lags: uses waiting, the oldest one's time, and those that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lag {
    pub waiting: i64,
    pub oldest: Option<OffsetDateTime>,
    pub failing: i64,
}

/// Where reporting stands now.
pub async fn lag(db: &sqlx::PgPool) -> Result<Lag, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT count(*) AS "waiting!", min(occurred_at) AS oldest,
               count(*) FILTER (WHERE last_error IS NOT NULL) AS "failing!"
        FROM usage_events WHERE reported_at IS NULL AND billable > 0
        "#
    )
    .fetch_one(db)
    .await?;
    Ok(Lag {
        waiting: row.waiting,
        oldest: row.oldest,
        failing: row.failing,
    })
}
