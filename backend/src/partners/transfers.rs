//! One transfer attempt of the pay run: [`prepare`] writes it with the commissions it pays, in
//! one transaction under the partner's lock; [`settle`] makes it in Stripe with its key and
//! records the outcome. A partner's transfers, for their page and the console.

use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::payrun::Report;
use crate::{
    billing::{money::Money, BillingError, Step},
    stripe::StripeClient,
};

/// Writes the next attempt to pay `partner` everything payable in `currency` as of `now`, with
/// its commissions, unless nothing is payable (another run paid it) or an attempt is already
/// unsettled (settled first by the run). The attempt's id.
pub(super) async fn prepare(
    db: &PgPool,
    partner: Uuid,
    currency: &str,
    period: Date,
    now: OffsetDateTime,
) -> Result<Option<Uuid>, BillingError> {
    let mut tx = db
        .begin()
        .await
        .step("starting the transfer's transaction")?;
    sqlx::query!(
        "SELECT user_id FROM partners WHERE user_id = $1 FOR UPDATE",
        partner
    )
    .fetch_optional(&mut *tx)
    .await
    .step("locking the partner")?;
    let account = super::accounts::of_partner(&mut *tx, partner)
        .await
        .step("reading the partner's connected account")?;
    let Some(account) = account.filter(|account| account.why_not_payable().is_none()) else {
        return Ok(None);
    };
    let payable = sqlx::query!(
        r#"
        SELECT COALESCE(sum(amount - amount_taken_back), 0)::bigint AS "amount!"
        FROM partner_commissions
        WHERE partner_id = $1 AND currency = $2 AND payable_at <= $3 AND transfer_id IS NULL
          AND amount > amount_taken_back
        "#,
        partner,
        currency,
        now,
    )
    .fetch_one(&mut *tx)
    .await
    .step("adding up the partner's payable commissions")?
    .amount;
    if payable <= 0 {
        return Ok(None);
    }
    let attempt = sqlx::query_scalar!(
        r#"
        SELECT COALESCE(max(attempt), 0) + 1 AS "attempt!"
        FROM partner_transfers WHERE partner_id = $1 AND currency = $2 AND period = $3
        "#,
        partner,
        currency,
        period,
    )
    .fetch_one(&mut *tx)
    .await
    .step("numbering the transfer attempt")?;
    let key = format!("tollgate-partner-transfer-{partner}-{currency}-{period}-{attempt}");
    // The partial unique index allows one unsettled attempt per partner and currency: a
    // concurrent run that got here first leaves nothing to do.
    let id = sqlx::query_scalar!(
        r#"
        INSERT INTO partner_transfers (partner_id, stripe_account_id, period, attempt, currency,
                                       amount, idempotency_key)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT DO NOTHING
        RETURNING id
        "#,
        partner,
        account.stripe_account_id,
        period,
        attempt,
        currency,
        payable,
        key,
    )
    .fetch_optional(&mut *tx)
    .await
    .step("recording the transfer attempt")?;
    let Some(id) = id else { return Ok(None) };
    sqlx::query!(
        r#"
        UPDATE partner_commissions SET transfer_id = $4
        WHERE partner_id = $1 AND currency = $2 AND payable_at <= $3 AND transfer_id IS NULL
          AND amount > amount_taken_back
        "#,
        partner,
        currency,
        now,
        id,
    )
    .execute(&mut *tx)
    .await
    .step("attaching the commissions to the transfer")?;
    tx.commit().await.step("committing the transfer attempt")?;
    Ok(Some(id))
}

/// Makes the unsettled attempt `id` in Stripe (its own key: a repeat is answered with the first
/// result) and records what Stripe said.
#[tracing::instrument(skip(db, stripe, report))]
pub(super) async fn settle(
    db: &PgPool,
    stripe: &StripeClient,
    id: Uuid,
    report: &mut Report,
) -> Result<(), BillingError> {
    let row = sqlx::query!(
        r#"
        SELECT t.stripe_account_id, t.amount, t.currency, t.period, t.idempotency_key, u.email
        FROM partner_transfers t JOIN users u ON u.id = t.partner_id
        WHERE t.id = $1 AND t.status = 'pending'
        "#,
        id
    )
    .fetch_optional(db)
    .await
    .step("reading the transfer attempt")?;
    let Some(row) = row else { return Ok(()) };
    let amount = Money::new(row.amount, &row.currency);
    let group = format!("partners-{}", row.period);
    match stripe
        .create_transfer(
            &row.stripe_account_id,
            row.amount,
            &row.currency,
            &group,
            &row.idempotency_key,
        )
        .await
    {
        Ok(answered) => {
            sqlx::query!(
                "UPDATE partner_transfers SET status = 'paid', stripe_transfer_id = $2, \
                 settled_at = now() WHERE id = $1",
                id,
                answered.object.id,
            )
            .execute(db)
            .await
            .step("recording the transfer")?;
            tracing::info!(transfer = %answered.object.id, "partner paid");
            report.paid.push((row.email, amount, answered.object.id));
        }
        Err(error) if error.is_refusal() => {
            let why = error
                .refusal_message()
                .unwrap_or("Stripe refused the transfer.")
                .to_owned();
            let mut tx = db
                .begin()
                .await
                .step("starting the refusal's transaction")?;
            sqlx::query!(
                "UPDATE partner_transfers SET status = 'failed', failure = $2, settled_at = now() \
                 WHERE id = $1",
                id,
                why,
            )
            .execute(&mut *tx)
            .await
            .step("recording the refused transfer")?;
            sqlx::query!(
                "UPDATE partner_commissions SET transfer_id = NULL WHERE transfer_id = $1",
                id
            )
            .execute(&mut *tx)
            .await
            .step("releasing the refused transfer's commissions")?;
            tx.commit().await.step("committing the refusal")?;
            tracing::warn!(error = %error, "Stripe refused a partner transfer");
            report.refused.push((row.email, amount, why));
        }
        Err(error) => {
            tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), "a partner transfer's outcome is unknown; the next run settles it");
            report.unsettled.push((row.email, amount));
        }
    }
    Ok(())
}

/// Stores what Stripe says of a transfer the pay run made: what has been reversed of it (a
/// reversal made in the Dashboard shows here too).
pub async fn store_fetched(
    conn: &mut sqlx::PgConnection,
    transfer: &crate::stripe::connect::Transfer,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE partner_transfers SET amount_reversed = GREATEST(amount_reversed, LEAST($2, amount)) \
         WHERE stripe_transfer_id = $1",
        transfer.id,
        transfer.amount_reversed,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Where a transfer attempt stands (`partner_transfers.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferStatus {
    /// Written; Stripe's answer not recorded yet.
    Pending,
    /// Made in Stripe.
    Paid,
    /// Refused by Stripe; its commissions were released.
    Failed,
}

impl TransferStatus {
    /// As stored, and as the pages say it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Failed => "failed",
        }
    }

    /// The stored value read back (an unknown one reads as pending: not settled).
    pub fn from_stored(value: &str) -> Self {
        match value {
            "paid" => Self::Paid,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// A transfer to a partner, as their page and the console list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferLine {
    /// Its partner's email.
    pub email: String,
    /// The amount.
    pub amount: Money,
    /// What was taken back of it.
    pub reversed: Money,
    /// Where it stands.
    pub status: TransferStatus,
    /// `tr_…`, once made.
    pub stripe_transfer_id: Option<String>,
    /// The period (`partners-2026-12-04`).
    pub group: String,
    /// Why it failed.
    pub failure: Option<String>,
    /// When it was attempted.
    pub created_at: OffsetDateTime,
}

/// The newest transfers, of one partner or of all.
pub async fn list(
    db: &PgPool,
    partner: Option<Uuid>,
    limit: i64,
) -> Result<Vec<TransferLine>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"
        SELECT u.email, t.amount, t.amount_reversed, t.currency, t.status, t.stripe_transfer_id,
               t.period, t.failure, t.created_at
        FROM partner_transfers t JOIN users u ON u.id = t.partner_id
        WHERE $1::uuid IS NULL OR t.partner_id = $1
        ORDER BY t.created_at DESC LIMIT $2
        "#,
        partner,
        limit,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|row| TransferLine {
        email: row.email,
        amount: Money::new(row.amount, &row.currency),
        reversed: Money::new(row.amount_reversed, &row.currency),
        status: TransferStatus::from_stored(&row.status),
        stripe_transfer_id: row.stripe_transfer_id,
        group: format!("partners-{}", row.period),
        failure: row.failure,
        created_at: row.created_at,
    })
    .collect())
}
