//! Commissions taken back: a refunded payment takes back the same share of the commission it
//! earned (a partial refund in proportion), a lost dispute all of it. Recorded in the
//! transaction that stores the charge or dispute; an unpaid commission is simply reduced, one
//! already transferred owes a transfer reversal, made by the next pay run ([`recover_pending`])
//! under a key naming the commission and the total taken back, so it is never made twice.

use sqlx::{PgConnection, PgPool};

use super::payrun::Report;
use crate::{
    billing::{money::Money, BillingError, Step},
    stripe::StripeClient,
};

/// Brings the commission earned by the invoice `charge` paid in line with the charge as now
/// stored: refunded share, or all of it once a dispute on it is lost. Only ever takes more
/// back. Whether anything changed.
pub async fn record_for_charge(conn: &mut PgConnection, charge: &str) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query_scalar!(
        r#"
        WITH target AS (
            SELECT pc.invoice_id, pc.transfer_id, pc.amount_taken_back AS before,
                   CASE WHEN EXISTS (SELECT 1 FROM stripe_disputes d
                                     WHERE d.charge_id = c.id AND d.status = 'lost')
                        THEN pc.amount
                        ELSE LEAST(pc.amount,
                                   (pc.amount * c.amount_refunded + c.amount / 2) / NULLIF(c.amount, 0))
                   END AS taken_back
            FROM stripe_charges c
            JOIN invoices i ON i.payment_intent_id = c.payment_intent_id
            JOIN partner_commissions pc ON pc.invoice_id = i.id
            WHERE c.id = $1 AND c.payment_intent_id IS NOT NULL
            FOR UPDATE OF pc
        ),
        updated AS (
            UPDATE partner_commissions pc SET amount_taken_back = t.taken_back
            FROM target t
            WHERE pc.invoice_id = t.invoice_id AND t.taken_back > t.before
            RETURNING pc.invoice_id, pc.transfer_id, t.before, t.taken_back
        ),
        owed AS (
            INSERT INTO partner_transfer_reversals (idempotency_key, transfer_id, invoice_id, amount)
            SELECT 'tollgate-commission-reversal-' || u.invoice_id || '-' || u.taken_back,
                   u.transfer_id, u.invoice_id, u.taken_back - u.before
            FROM updated u
            WHERE u.transfer_id IS NOT NULL
            ON CONFLICT (idempotency_key) DO NOTHING
        )
        SELECT count(*) AS "changed!" FROM updated
        "#,
        charge
    )
    .fetch_one(conn)
    .await?;
    Ok(changed > 0)
}

/// Makes the reversals owed on paid transfers. A reversal owed on a transfer that was never
/// made (refused) is dropped: its commission was released, less what was taken back.
pub(super) async fn recover_pending(
    db: &PgPool,
    stripe: &StripeClient,
    report: &mut Report,
) -> Result<(), BillingError> {
    sqlx::query!(
        r#"
        UPDATE partner_transfer_reversals r
        SET status = 'failed', failure = 'the transfer was never made', settled_at = now()
        FROM partner_transfers t
        WHERE r.transfer_id = t.id AND r.status = 'pending' AND t.status = 'failed'
        "#
    )
    .execute(db)
    .await
    .step("dropping reversals of transfers never made")?;
    let owed = sqlx::query!(
        r#"
        SELECT r.idempotency_key, r.amount, t.stripe_transfer_id AS "transfer!", t.currency
        FROM partner_transfer_reversals r JOIN partner_transfers t ON t.id = r.transfer_id
        WHERE r.status = 'pending' AND t.status = 'paid' AND t.stripe_transfer_id IS NOT NULL
        ORDER BY r.created_at
        "#
    )
    .fetch_all(db)
    .await
    .step("listing the reversals owed")?;
    for row in owed {
        let amount = Money::new(row.amount, &row.currency);
        match stripe
            .reverse_transfer(&row.transfer, row.amount, &row.idempotency_key)
            .await
        {
            Ok(reversal) => {
                let mut tx = db
                    .begin()
                    .await
                    .step("starting the reversal's transaction")?;
                sqlx::query!(
                    "UPDATE partner_transfer_reversals SET status = 'reversed', \
                     stripe_reversal_id = $2, settled_at = now() WHERE idempotency_key = $1",
                    row.idempotency_key,
                    reversal.id,
                )
                .execute(&mut *tx)
                .await
                .step("recording the reversal")?;
                // What our reversals took back (a `transfer.reversed` may have said so first).
                sqlx::query!(
                    r#"
                    UPDATE partner_transfers t SET amount_reversed = GREATEST(t.amount_reversed,
                        (SELECT COALESCE(sum(r.amount), 0) FROM partner_transfer_reversals r
                         WHERE r.transfer_id = t.id AND r.status = 'reversed'))
                    WHERE t.stripe_transfer_id = $1
                    "#,
                    row.transfer,
                )
                .execute(&mut *tx)
                .await
                .step("recording what the transfer lost")?;
                tx.commit().await.step("committing the reversal")?;
                report.reversed.push((row.transfer, amount));
            }
            Err(error) if error.is_refusal() => {
                let why = error
                    .refusal_message()
                    .unwrap_or("Stripe refused the reversal.")
                    .to_owned();
                sqlx::query!(
                    "UPDATE partner_transfer_reversals SET status = 'failed', failure = $2, \
                     settled_at = now() WHERE idempotency_key = $1",
                    row.idempotency_key,
                    why,
                )
                .execute(db)
                .await
                .step("recording the refused reversal")?;
                report.reversals_failed.push((row.transfer, amount, why));
            }
            Err(error) => {
                let why = "Stripe did not answer; the next run tries again".to_owned();
                tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), "a transfer reversal's outcome is unknown");
                report.reversals_failed.push((row.transfer, amount, why));
            }
        }
    }
    Ok(())
}
