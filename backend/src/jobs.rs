//! Work one replica does at a time — the partner pay run, the seat and usage reconciliations:
//! each piece of work holds a session advisory lock named for it while it runs, and a replica
//! finding it held leaves the work to the one holding it; and the nightly schedule (the first
//! check after 03:00 UTC each day).

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

/// Runs `work` at the first check (every 10 minutes) after 03:00 UTC each day, forever, in a
/// span naming it (`what`); a failure is logged and tried again at the next check.
pub async fn every_night<F, Fut>(what: &'static str, mut work: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), BillingError>>,
{
    let mut last_day = None;
    loop {
        let now = OffsetDateTime::now_utc();
        if now.hour() >= 3 && last_day != Some(now.date()) {
            match work()
                .instrument(tracing::info_span!("nightly", work = what))
                .await
            {
                Ok(()) => last_day = Some(now.date()),
                Err(error) => {
                    tracing::error!(error.cause_chain = ?error, work = what, "nightly work failed; the next check tries again")
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
}
