//! Work one replica does at a time: under its lock the work may use the whole pool, even a pool
//! of one connection, and a second replica is turned away while the first holds it; nightly
//! work is done once a night, however many replicas start that day.

use std::time::Duration;

use backend::billing::{BillingError, Step};
use sqlx::postgres::PgPoolOptions;

use crate::helpers::TestDatabase;

/// A pool of one connection that gives up waiting for it after a second.
async fn pool_of_one(database: &TestDatabase) -> sqlx::PgPool {
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(1))
        .connect(database.url().as_str())
        .await
        .unwrap()
}

async fn one(db: &sqlx::PgPool) -> Result<i32, BillingError> {
    sqlx::query_scalar("SELECT 1")
        .fetch_one(db)
        .await
        .step("a query of the work")
}

#[tokio::test]
async fn work_under_the_lock_may_use_a_pool_of_one_connection() {
    let database = TestDatabase::create().await;
    let db = pool_of_one(&database).await;
    let done = backend::jobs::run_locked(&db, "test work", one(&db))
        .await
        .expect("the work gets the pool's only connection");
    assert_eq!(done, Some(1));
    // The lock went with its connection: the work runs again.
    let again = backend::jobs::run_locked(&db, "test work", one(&db)).await;
    assert_eq!(again.unwrap(), Some(1));
}

#[tokio::test]
async fn while_one_replica_holds_the_lock_another_leaves_the_work_to_it() {
    let database = TestDatabase::create().await;
    let (first, second) = (pool_of_one(&database).await, pool_of_one(&database).await);
    let (started, release) = (tokio::sync::Notify::new(), tokio::sync::Notify::new());
    let holding = backend::jobs::run_locked(&first, "test work", async {
        started.notify_one();
        release.notified().await;
        one(&first).await
    });
    let turned_away = async {
        started.notified().await;
        let outcome = backend::jobs::run_locked(&second, "test work", one(&second)).await;
        release.notify_one();
        outcome
    };
    let (held, turned_away) = tokio::join!(holding, turned_away);
    assert_eq!(held.unwrap(), Some(1));
    assert_eq!(turned_away.unwrap(), None, "the work is left to the holder");
}

/// 4 December 2026 at `hour`:`minute` UTC, `days` later.
fn at(days: i64, hour: u8, minute: u8) -> time::OffsetDateTime {
    time::Date::from_calendar_date(2026, time::Month::December, 4)
        .unwrap()
        .with_hms(hour, minute, 0)
        .unwrap()
        .assume_utc()
        + time::Duration::days(days)
}

#[tokio::test]
async fn nightly_work_is_due_after_three_until_a_replica_completes_it_and_again_the_next_night() {
    let database = TestDatabase::create().await;
    let db = pool_of_one(&database).await;
    let due = |now| backend::jobs::due(&db, "test work", now);
    assert!(!due(at(0, 2, 59)).await.unwrap(), "not before 03:00 UTC");
    assert!(due(at(0, 3, 0)).await.unwrap());
    backend::jobs::completed(&db, "test work", at(0, 3, 0).date())
        .await
        .unwrap();
    assert!(
        !due(at(0, 23, 50)).await.unwrap(),
        "a replica started later that day does not do it again"
    );
    assert!(
        backend::jobs::due(&db, "other work", at(0, 3, 0))
            .await
            .unwrap(),
        "each piece of work has its own night"
    );
    assert!(
        due(at(1, 3, 10)).await.unwrap(),
        "the next night it is due again"
    );
    // A late record of an earlier night never moves the completed day back.
    backend::jobs::completed(&db, "test work", at(-1, 4, 0).date())
        .await
        .unwrap();
    assert!(!due(at(0, 12, 0)).await.unwrap());
}
