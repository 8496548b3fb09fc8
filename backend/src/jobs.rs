//! Work one replica does at a time — the partner pay run, the seat and usage reconciliations:
//! each piece of work holds a session advisory lock named for it while it runs, and a replica
//! finding it held leaves the work to the one holding it; and the nightly schedule (the first
//! check after 03:00 UTC on a day no replica has completed the work, kept in `nightly_runs`).

use std::future::Future;

use sqlx::Connection;
use time::OffsetDateTime;
use tracing::Instrument;

use crate::billing::{BillingError, Step};

/// Runs `work` under the advisory lock `lock`; `None` when another replica holds it. The lock
/// is held on a connection of its own, outside the pool, so the work may use the whole pool —
/// a pool of one included — and closing that connection releases the lock whatever happened.
pub async fn run_locked<T>(
    db: &sqlx::PgPool,
    lock: &str,
    work: impl Future<Output = Result<T, BillingError>>,
) -> Result<Option<T>, BillingError> {
    let mut conn = sqlx::PgConnection::connect_with(&db.connect_options())
        .await
        .step("connecting for the work's lock")?;
    let locked = sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_lock(hashtext($1)) AS "locked!""#,
        lock
    )
    .fetch_one(&mut conn)
    .await
    .step("taking the work's lock")?;
    let done = if locked { Some(work.await) } else { None };
    if let Err(error) = conn.close().await {
        // The server ends the session, and the lock with it, when the connection drops.
        tracing::warn!(error.cause_chain = ?error, lock, "closing the work's lock connection");
    }
    done.transpose()
}

/// How often each replica checks whether tonight's work is due.
const NIGHTLY_CHECK: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs `work` once a night, forever, in a span naming it (`what`): at the first check (every
/// 10 minutes) after 03:00 UTC on a day no replica has completed it. `work` answers whether this
/// replica did it (`false`: another holds its lock, and a later check sees whether that one
/// completed); a failure is logged and tried again at the next check.
pub async fn every_night<F, Fut>(db: sqlx::PgPool, what: &'static str, mut work: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, BillingError>>,
{
    loop {
        let now = OffsetDateTime::now_utc();
        match due(&db, what, now).await {
            Ok(true) => match work()
                .instrument(tracing::info_span!("nightly", work = what))
                .await
            {
                Ok(true) => {
                    if let Err(error) = completed(&db, what, now.date()).await {
                        tracing::warn!(error.cause_chain = ?error, work = what, "could not record that the nightly work completed");
                    }
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(error.cause_chain = ?error, work = what, "nightly work failed; the next check tries again")
                }
            },
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(error.cause_chain = ?error, work = what, "could not check whether the nightly work is due")
            }
        }
        tokio::time::sleep(NIGHTLY_CHECK).await;
    }
}

/// Whether the nightly work `what` is due at `now`: past 03:00 UTC and not completed today.
pub async fn due(db: &sqlx::PgPool, what: &str, now: OffsetDateTime) -> Result<bool, BillingError> {
    if now.hour() < 3 {
        return Ok(false);
    }
    sqlx::query_scalar!(
        r#"
        SELECT NOT EXISTS (SELECT 1 FROM nightly_runs WHERE work = $1 AND completed_on >= $2)
            AS "due!"
        "#,
        what,
        now.date()
    )
    .fetch_one(db)
    .await
    .step("checking whether the nightly work is due")
}

/// Records that the nightly work `what` completed on `day`.
pub async fn completed(db: &sqlx::PgPool, what: &str, day: time::Date) -> Result<(), BillingError> {
    sqlx::query!(
        r#"
        INSERT INTO nightly_runs (work, completed_on) VALUES ($1, $2)
        ON CONFLICT (work) DO UPDATE
        SET completed_on = greatest(nightly_runs.completed_on, EXCLUDED.completed_on)
        "#,
        what,
        day
    )
    .execute(db)
    .await
    .step("recording that the nightly work completed")?;
    Ok(())
}
