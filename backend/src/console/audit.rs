//! The audit log (`admin_actions`): every console action, who took it, on what, for how much,
//! the Stripe request and idempotency key it used, and what came of it — shown at `/admin/audit`.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::Admin;
use crate::billing::money::Money;

/// What an admin did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Refunded (part of) a charge.
    Refund,
    /// Paid the balance out to the bank.
    Payout,
    /// Saved evidence on a dispute without submitting it.
    DisputeEvidenceSaved,
    /// Submitted a dispute's evidence.
    DisputeSubmitted,
    /// Accepted (closed) a dispute.
    DisputeAccepted,
    /// Canceled a customer's subscription.
    SubscriptionCanceled,
    /// Applied a failed webhook event again.
    EventReapplied,
}

impl Action {
    /// As stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Refund => "refund",
            Self::Payout => "payout",
            Self::DisputeEvidenceSaved => "dispute_evidence_saved",
            Self::DisputeSubmitted => "dispute_submitted",
            Self::DisputeAccepted => "dispute_accepted",
            Self::SubscriptionCanceled => "subscription_canceled",
            Self::EventReapplied => "event_reapplied",
        }
    }

    /// Read back from the row.
    pub fn from_stored(value: &str) -> Option<Self> {
        [
            Self::Refund,
            Self::Payout,
            Self::DisputeEvidenceSaved,
            Self::DisputeSubmitted,
            Self::DisputeAccepted,
            Self::SubscriptionCanceled,
            Self::EventReapplied,
        ]
        .into_iter()
        .find(|action| action.as_str() == value)
    }

    /// In words, for the log's page.
    pub const fn in_words(self) -> &'static str {
        match self {
            Self::Refund => "Refund",
            Self::Payout => "Payout",
            Self::DisputeEvidenceSaved => "Dispute evidence saved",
            Self::DisputeSubmitted => "Dispute evidence submitted",
            Self::DisputeAccepted => "Dispute accepted",
            Self::SubscriptionCanceled => "Subscription canceled",
            Self::EventReapplied => "Event applied again",
        }
    }
}

/// What came of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Succeeded,
    /// Stripe (or a rule of ours) refused it; nothing changed.
    Refused,
    /// Stripe or the database failed; it may be tried again.
    Failed,
}

impl Outcome {
    /// As stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }

    fn from_stored(value: &str) -> Self {
        match value {
            "succeeded" => Self::Succeeded,
            "refused" => Self::Refused,
            _ => Self::Failed,
        }
    }
}

/// One action to record.
#[derive(Clone, Debug)]
pub struct Record<'a> {
    /// What was done.
    pub action: Action,
    /// On what (`ch_…`, `du_…`, …).
    pub object_id: &'a str,
    /// Money moved or asked for.
    pub amount: Option<Money>,
    /// The Stripe call's key.
    pub idempotency_key: Option<&'a str>,
    /// Stripe's `Request-Id` for the call.
    pub stripe_request_id: Option<&'a str>,
    /// What came of it.
    pub outcome: Outcome,
    /// Stripe's words for a refusal, or what the admin gave.
    pub detail: Option<&'a str>,
}

/// Writes `record` as done by `admin`. A succeeded action whose key is already logged (the same
/// form submitted twice) is not logged again; whether this one was.
pub async fn record(
    db: impl PgExecutor<'_>,
    admin: &Admin,
    record: &Record<'_>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        r#"
        INSERT INTO admin_actions (admin_id, admin_email, action, object_id, amount, currency,
                                   idempotency_key, stripe_request_id, outcome, detail)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (idempotency_key) WHERE outcome = 'succeeded' AND idempotency_key IS NOT NULL
        DO NOTHING
        "#,
        admin.id,
        admin.email,
        record.action.as_str(),
        record.object_id,
        record.amount.as_ref().map(|money| money.minor),
        record.amount.as_ref().map(|money| money.currency.as_str()),
        record.idempotency_key,
        record.stripe_request_id,
        record.outcome.as_str(),
        record.detail,
    )
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Whether an action with this key already succeeded.
pub async fn succeeded(
    db: impl PgExecutor<'_>,
    idempotency_key: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT EXISTS (
            SELECT 1 FROM admin_actions WHERE idempotency_key = $1 AND outcome = 'succeeded'
        ) AS "exists!"
        "#,
        idempotency_key
    )
    .fetch_one(db)
    .await
}

/// One row of the log.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its place in the log (the cursor of the next page).
    pub id: i64,
    /// When.
    pub at: OffsetDateTime,
    /// Who (their address then).
    pub admin_email: String,
    /// What.
    pub action: Option<Action>,
    /// On what.
    pub object_id: String,
    /// How much.
    pub amount: Option<Money>,
    /// The Stripe call's key.
    pub idempotency_key: Option<String>,
    /// Stripe's `Request-Id`.
    pub stripe_request_id: Option<String>,
    /// What came of it.
    pub outcome: Outcome,
    /// Stripe's words, or the admin's.
    pub detail: Option<String>,
}

/// Rows per page of the log.
pub const PAGE: i64 = 50;

/// A page of the log, newest first, older than the entry `before` (the first page when `None`).
pub async fn page(db: impl PgExecutor<'_>, before: Option<i64>) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT id, created_at, admin_email, action, object_id, amount, currency,
               idempotency_key, stripe_request_id, outcome, detail
        FROM admin_actions
        WHERE $1::bigint IS NULL OR id < $1
        ORDER BY id DESC
        LIMIT $2
        "#,
        before,
        PAGE,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Entry {
            id: row.id,
            at: row.created_at,
            admin_email: row.admin_email,
            action: Action::from_stored(&row.action),
            object_id: row.object_id,
            amount: Money::from_parts(row.amount, row.currency),
            idempotency_key: row.idempotency_key,
            stripe_request_id: row.stripe_request_id,
            outcome: Outcome::from_stored(&row.outcome),
            detail: row.detail,
        })
        .collect())
}
