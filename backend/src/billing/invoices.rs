//! Invoices as Stripe last returned them: stored from `invoice.*` events and `server stripe
//! sync`, listed on the account page.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{customers, BillingError};
use crate::stripe::{objects::Invoice, StripeClient};

/// An invoice as the account page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredInvoice {
    /// `in_…`.
    pub id: String,
    /// e.g. `EMU1A2B-0001`; `None` while a draft.
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible` or `void`.
    pub status: String,
    /// Lower-case ISO code.
    pub currency: String,
    /// Minor units.
    pub total: i64,
    /// Still owed, minor units.
    pub amount_remaining: i64,
    /// Stripe's page for it.
    pub hosted_invoice_url: Option<String>,
    /// Its PDF.
    pub invoice_pdf: Option<String>,
    /// When Stripe made it.
    pub created: OffsetDateTime,
}

/// Re-fetches an invoice under its lock and stores it, if its customer is one of our users'.
/// Returns it when stored.
pub async fn refresh(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    invoice_id: &str,
) -> Result<Option<Invoice>, BillingError> {
    super::lock_object(conn, invoice_id).await?;
    let invoice = match stripe.invoice(invoice_id).await {
        Ok(invoice) => invoice,
        // Drafts can be deleted; nothing to keep.
        Err(error) if error.is_not_found() => {
            sqlx::query!("DELETE FROM invoices WHERE id = $1", invoice_id)
                .execute(&mut *conn)
                .await?;
            return Ok(None);
        }
        Err(error) => return Err(error.into()),
    };
    Ok(store(conn, &invoice).await?.then_some(invoice))
}

/// Stores `invoice` if its customer is one of our users'. Returns whether it was stored.
async fn store(conn: &mut PgConnection, invoice: &Invoice) -> Result<bool, BillingError> {
    let Some(id) = invoice.id.as_deref() else {
        return Ok(false);
    };
    let Some(customer) = invoice.customer.as_deref() else {
        return Ok(false);
    };
    let Some(user_id) = customers::owner(&mut *conn, customer).await? else {
        return Ok(false);
    };
    let at =
        |seconds: Option<i64>| seconds.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
    sqlx::query!(
        r#"
        INSERT INTO invoices
            (id, user_id, stripe_customer_id, subscription_id, number, status, currency, total,
             amount_due, amount_paid, amount_remaining, billing_reason, hosted_invoice_url,
             invoice_pdf, period_start, period_end, attempt_count, created)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
        ON CONFLICT (id) DO UPDATE SET
            user_id = EXCLUDED.user_id, stripe_customer_id = EXCLUDED.stripe_customer_id,
            subscription_id = EXCLUDED.subscription_id, number = EXCLUDED.number,
            status = EXCLUDED.status, currency = EXCLUDED.currency, total = EXCLUDED.total,
            amount_due = EXCLUDED.amount_due, amount_paid = EXCLUDED.amount_paid,
            amount_remaining = EXCLUDED.amount_remaining,
            billing_reason = EXCLUDED.billing_reason,
            hosted_invoice_url = EXCLUDED.hosted_invoice_url,
            invoice_pdf = EXCLUDED.invoice_pdf, period_start = EXCLUDED.period_start,
            period_end = EXCLUDED.period_end, attempt_count = EXCLUDED.attempt_count,
            synced_at = now()
        "#,
        id,
        user_id,
        customer,
        invoice.subscription_id(),
        invoice.number,
        invoice.status.as_deref().unwrap_or("draft"),
        invoice.currency,
        invoice.total,
        invoice.amount_due,
        invoice.amount_paid,
        invoice.amount_remaining,
        invoice.billing_reason,
        invoice.hosted_invoice_url,
        invoice.invoice_pdf,
        at(invoice.period_start),
        at(invoice.period_end),
        invoice.attempt_count,
        at(Some(invoice.created)).unwrap_or(OffsetDateTime::UNIX_EPOCH),
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// The user's invoices, newest first (drafts left out: they may still change or vanish).
pub async fn of_user(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<StoredInvoice>, sqlx::Error> {
    sqlx::query_as!(
        StoredInvoice,
        r#"
        SELECT id, number, status, currency, total, amount_remaining, hosted_invoice_url,
               invoice_pdf, created
        FROM invoices
        WHERE user_id = $1 AND status <> 'draft'
        ORDER BY created DESC, id DESC
        LIMIT 50
        "#,
        user_id
    )
    .fetch_all(db)
    .await
}
