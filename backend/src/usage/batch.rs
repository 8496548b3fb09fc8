//! One account's concurrent uses of a meter, counted together: a use joins its account and
//! meter's queue, then waits for the turn ([`crate::billing::waiting`]); whoever gets the turn
//! counts everything queued by then in one round trip (`usage_meter_many`, each use in turn, in
//! the order they queued) and answers each. So while one round trip runs, the uses arriving
//! meanwhile gather for the next, and a busy customer's calls cost a statement per batch rather
//! than a statement each — while the counter row still sees them one at a time, which keeps the
//! limit and the credits exact.
//!
//! The round trip runs in a task of its own holding the turn, so a caller that goes away (its
//! client disconnected) stops nobody else's answer; a use whose caller went away before its
//! batch started is not counted.

use std::{collections::HashMap, sync::Mutex};

use time::OffsetDateTime;
use tokio::sync::oneshot;
use tracing::Instrument;
use uuid::Uuid;

use super::Terms;
use crate::{
    billing::{BillingError, Step},
    AppState,
};

/// One use to count.
#[derive(Clone, Debug)]
pub struct Use {
    pub terms: Terms,
    pub quantity: i64,
    pub id: Uuid,
    pub at: OffsetDateTime,
}

/// What counting a use came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// Whether it was counted (`false`: it would have passed the limit).
    pub counted: bool,
    /// The period's use after it.
    pub used: i64,
    /// Of that, what credits paid for.
    pub from_credits: i64,
    /// Credit units left after it.
    pub credits: i64,
}

/// Uses waiting for their batch, by account and meter.
#[derive(Debug, Default)]
pub struct Queues {
    waiting: Mutex<HashMap<(Uuid, String), Vec<Waiting>>>,
}

#[derive(Debug)]
struct Waiting {
    usage: Use,
    answer: oneshot::Sender<Result<Count, String>>,
}

impl Queues {
    fn join(&self, key: (Uuid, String), waiting: Waiting) {
        self.lock().entry(key).or_default().push(waiting);
    }

    /// Everything queued for `key`, but the uses whose callers went away.
    fn take(&self, key: &(Uuid, String)) -> Vec<Waiting> {
        let mut batch = self.lock().remove(key).unwrap_or_default();
        batch.retain(|waiting| !waiting.answer.is_closed());
        batch
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Uuid, String), Vec<Waiting>>> {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many accounts' uses are waiting (tests: none once every call has its answer).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no use is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Counts `usage` of the account's `meter`, with whatever else of theirs queued meanwhile.
pub async fn count(
    state: &AppState,
    account_id: Uuid,
    meter: &str,
    usage: Use,
) -> Result<Count, BillingError> {
    let key = (account_id, meter.to_owned());
    let (answer, answered) = oneshot::channel();
    state
        .usage_queues
        .join(key.clone(), Waiting { usage, answer });
    let turn = state
        .turns
        .take(format!("usage-{account_id}-{meter}"))
        .await;
    // Ours is in this batch, or was in one that already ran.
    let batch = state.usage_queues.take(&key);
    if batch.is_empty() {
        drop(turn);
    } else {
        let (state, meter) = (state.clone(), meter.to_owned());
        let span = tracing::info_span!("counting uses", %account_id, meter, uses = batch.len());
        tokio::spawn(
            async move {
                let _turn = turn;
                answer_all(&state, account_id, &meter, batch).await;
            }
            .instrument(span),
        );
    }
    match answered.await {
        Ok(Ok(count)) => Ok(count),
        Ok(Err(error)) => Err(BillingError::Unexpected(anyhow::anyhow!(
            "counting the use: {error}"
        ))),
        Err(_) => Err(BillingError::Unexpected(anyhow::anyhow!(
            "counting the use: its batch ended without an answer"
        ))),
    }
}

/// Counts `batch` in one round trip and answers each use.
async fn answer_all(state: &AppState, account_id: Uuid, meter: &str, batch: Vec<Waiting>) {
    let uses: Vec<&Use> = batch.iter().map(|waiting| &waiting.usage).collect();
    match count_all(&state.db, account_id, meter, &uses).await {
        Ok(mut counts) => {
            for waiting in batch {
                let count = counts
                    .remove(&waiting.usage.id)
                    .ok_or_else(|| "the database gave no answer for it".to_owned());
                // A caller gone meanwhile needs no answer.
                let _ = waiting.answer.send(count);
            }
        }
        Err(error) => {
            tracing::error!(error.cause_chain = ?error, "counting uses failed");
            let message = format!("{:#}", anyhow::Error::new(error));
            for waiting in batch {
                let _ = waiting.answer.send(Err(message.clone()));
            }
        }
    }
}

/// `usage_meter_many`: each use counted in turn, in the order given.
async fn count_all(
    db: &sqlx::PgPool,
    account_id: Uuid,
    meter: &str,
    uses: &[&Use],
) -> Result<HashMap<Uuid, Count>, BillingError> {
    let starts: Vec<OffsetDateTime> = uses.iter().map(|usage| usage.terms.period_start).collect();
    let ends: Vec<OffsetDateTime> = uses.iter().map(|usage| usage.terms.period_end).collect();
    let ats: Vec<OffsetDateTime> = uses.iter().map(|usage| usage.at).collect();
    let quantities: Vec<i64> = uses.iter().map(|usage| usage.quantity).collect();
    let included: Vec<i64> = uses.iter().map(|usage| usage.terms.included).collect();
    let limits: Vec<Option<i64>> = uses.iter().map(|usage| usage.terms.limit).collect();
    let ids: Vec<Uuid> = uses.iter().map(|usage| usage.id).collect();
    let rows = sqlx::query!(
        r#"
        SELECT use_id AS "use_id!", counted AS "counted!", used AS "used!",
               from_credits AS "from_credits!", credits AS "credits!"
        FROM usage_meter_many($1, $2, $3, $4, $5, $6, $7, $8, $9)
        "#,
        account_id,
        meter,
        &starts,
        &ends,
        &quantities,
        &included,
        &limits as &[Option<i64>],
        &ids,
        &ats,
    )
    .fetch_all(db)
    .await
    .step("counting the uses")?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let count = Count {
                counted: row.counted,
                used: row.used,
                from_credits: row.from_credits,
                credits: row.credits,
            };
            (row.use_id, count)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting() -> (Waiting, oneshot::Receiver<Result<Count, String>>) {
        let (answer, answered) = oneshot::channel();
        let usage = Use {
            terms: Terms {
                included: 0,
                limit: None,
                period_start: OffsetDateTime::UNIX_EPOCH,
                period_end: OffsetDateTime::UNIX_EPOCH,
            },
            quantity: 1,
            id: Uuid::new_v4(),
            at: OffsetDateTime::UNIX_EPOCH,
        };
        (Waiting { usage, answer }, answered)
    }

    #[test]
    fn a_batch_takes_what_queued_for_its_key_but_uses_whose_callers_went_away() {
        let queues = Queues::default();
        let ada = (Uuid::new_v4(), "reports".to_owned());
        let bob = (Uuid::new_v4(), "reports".to_owned());
        let (first, _first_answer) = waiting();
        let (gone, gone_answer) = waiting();
        let (other, _other_answer) = waiting();
        let first_id = first.usage.id;
        queues.join(ada.clone(), first);
        queues.join(ada.clone(), gone);
        queues.join(bob.clone(), other);
        drop(gone_answer);
        let batch = queues.take(&ada);
        assert_eq!(
            batch.iter().map(|w| w.usage.id).collect::<Vec<_>>(),
            vec![first_id]
        );
        assert!(queues.take(&ada).is_empty(), "taken once");
        assert_eq!(queues.len(), 1, "Bob's use still waits");
        assert_eq!(queues.take(&bob).len(), 1);
        assert!(queues.is_empty());
    }
}
