//! Invoices as Stripe last returned them: stored from `invoice.*` events and `server stripe
//! sync`, listed on the account page.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use super::{customers, BillingError, Step, Ticket};
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
    /// What discounts took off, minor units.
    pub discount: i64,
    /// The tax in its total, minor units.
    pub tax: i64,
}

/// Fetches an invoice, holding no database connection. `None` when Stripe no longer has it
/// (drafts can be deleted).
pub async fn fetch(
    stripe: &StripeClient,
    invoice_id: &str,
) -> Result<Option<Invoice>, BillingError> {
    match stripe.invoice(invoice_id).await {
        Ok(invoice) => Ok(Some(invoice)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error.step("fetching the invoice")),
    }
}

/// Stores what fetching `invoice_id` returned, under its lock, unless something fetched after
/// `ticket` was stored for it first: the invoice if its customer is one of our users' (returned
/// when stored), or its removal when Stripe no longer has it.
pub async fn store_fetched(
    conn: &mut PgConnection,
    invoice_id: &str,
    fetched: Option<Invoice>,
    ticket: Ticket,
) -> Result<Option<Invoice>, BillingError> {
    super::lock_object(conn, invoice_id)
        .await
        .step("locking the invoice")?;
    if !ticket
        .is_latest_for(conn, invoice_id)
        .await
        .step("checking the invoice's fetch order")?
    {
        tracing::debug!(invoice = invoice_id, "a later fetch was stored already");
        return Ok(None);
    }
    let Some(invoice) = fetched else {
        sqlx::query!("DELETE FROM invoices WHERE id = $1", invoice_id)
            .execute(&mut *conn)
            .await
            .step("removing an invoice Stripe no longer has")?;
        return Ok(None);
    };
    Ok(store(conn, &invoice).await?.then_some(invoice))
}

/// Re-fetches an invoice under its lock and stores it, if its customer is one of our users'.
/// Returns it when stored.
pub async fn refresh(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    invoice_id: &str,
) -> Result<Option<Invoice>, BillingError> {
    super::lock_object(conn, invoice_id)
        .await
        .step("locking the invoice")?;
    let ticket = Ticket::draw(&mut *conn)
        .await
        .step("drawing a fetch ticket")?;
    let fetched = fetch(stripe, invoice_id).await?;
    store_fetched(conn, invoice_id, fetched, ticket).await
}

/// An invoice as `invoices` stores it (its owner left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceRow {
    /// `in_…`.
    pub id: String,
    /// `cus_…`.
    pub stripe_customer_id: String,
    /// `sub_…`, for subscription invoices.
    pub subscription_id: Option<String>,
    /// Assigned when finalized.
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible` or `void`.
    pub status: String,
    /// Lower-case ISO code.
    pub currency: String,
    /// Minor units.
    pub total: i64,
    /// Minor units.
    pub amount_due: i64,
    /// Minor units.
    pub amount_paid: i64,
    /// Minor units.
    pub amount_remaining: i64,
    /// `subscription_create`, `subscription_cycle`, …
    pub billing_reason: Option<String>,
    /// Stripe's page for it.
    pub hosted_invoice_url: Option<String>,
    /// Its PDF.
    pub invoice_pdf: Option<String>,
    /// The period billed.
    pub period_start: Option<OffsetDateTime>,
    /// Its end.
    pub period_end: Option<OffsetDateTime>,
    /// Payment attempts.
    pub attempt_count: i32,
    /// When Stripe made it.
    pub created: OffsetDateTime,
}

impl InvoiceRow {
    /// The row for `invoice`; `None` for a preview (no id) or an invoice billed to a customer
    /// account instead of a customer (never one of our users').
    pub fn new(invoice: &Invoice) -> Option<Self> {
        let at = |seconds: Option<i64>| {
            seconds.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        };
        Some(Self {
            id: invoice.id.clone()?,
            stripe_customer_id: invoice.customer.clone()?,
            subscription_id: invoice.subscription_id().map(str::to_owned),
            number: invoice.number.clone(),
            status: invoice.status.clone().unwrap_or_else(|| "draft".to_owned()),
            currency: invoice.currency.clone(),
            total: invoice.total,
            amount_due: invoice.amount_due,
            amount_paid: invoice.amount_paid,
            amount_remaining: invoice.amount_remaining,
            billing_reason: invoice.billing_reason.clone(),
            hosted_invoice_url: invoice.hosted_invoice_url.clone(),
            invoice_pdf: invoice.invoice_pdf.clone(),
            period_start: at(invoice.period_start),
            period_end: at(invoice.period_end),
            attempt_count: invoice.attempt_count,
            created: at(Some(invoice.created)).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        })
    }
}

/// Stores `invoice` if its customer is one of our users'. Returns whether it was stored.
async fn store(conn: &mut PgConnection, invoice: &Invoice) -> Result<bool, BillingError> {
    let Some(row) = InvoiceRow::new(invoice) else {
        return Ok(false);
    };
    let Some(account_id) = customers::owner(&mut *conn, &row.stripe_customer_id)
        .await
        .step("finding the invoice's owner")?
    else {
        return Ok(false);
    };
    sqlx::query!(
        r#"
        INSERT INTO invoices
            (id, account_id, stripe_customer_id, subscription_id, number, status, currency, total,
             amount_due, amount_paid, amount_remaining, billing_reason, hosted_invoice_url,
             invoice_pdf, period_start, period_end, attempt_count, created, discount, tax)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                $19, $20)
        ON CONFLICT (id) DO UPDATE SET
            account_id = EXCLUDED.account_id, stripe_customer_id = EXCLUDED.stripe_customer_id,
            subscription_id = EXCLUDED.subscription_id, number = EXCLUDED.number,
            status = EXCLUDED.status, currency = EXCLUDED.currency, total = EXCLUDED.total,
            amount_due = EXCLUDED.amount_due, amount_paid = EXCLUDED.amount_paid,
            amount_remaining = EXCLUDED.amount_remaining,
            billing_reason = EXCLUDED.billing_reason,
            hosted_invoice_url = EXCLUDED.hosted_invoice_url,
            invoice_pdf = EXCLUDED.invoice_pdf, period_start = EXCLUDED.period_start,
            period_end = EXCLUDED.period_end, attempt_count = EXCLUDED.attempt_count,
            discount = EXCLUDED.discount, tax = EXCLUDED.tax, synced_at = now()
        "#,
        row.id,
        account_id,
        row.stripe_customer_id,
        row.subscription_id,
        row.number,
        row.status,
        row.currency,
        row.total,
        row.amount_due,
        row.amount_paid,
        row.amount_remaining,
        row.billing_reason,
        row.hosted_invoice_url,
        row.invoice_pdf,
        row.period_start,
        row.period_end,
        row.attempt_count,
        row.created,
        invoice
            .total_discount_amounts
            .iter()
            .map(|entry| entry.amount)
            .sum::<i64>(),
        invoice
            .total_taxes
            .iter()
            .map(|entry| entry.amount)
            .sum::<i64>(),
    )
    .execute(&mut *conn)
    .await
    .step("storing the invoice")?;
    if let Some(payment_intent) = invoice.paid_by() {
        sqlx::query!(
            "UPDATE invoices SET payment_intent_id = $2 WHERE id = $1",
            row.id,
            payment_intent
        )
        .execute(&mut *conn)
        .await
        .step("recording the invoice's payment")?;
    }
    Ok(true)
}

/// The stored invoices of `customer`, by id.
pub async fn stored_of(
    db: impl PgExecutor<'_>,
    customer: &str,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    sqlx::query_as!(
        InvoiceRow,
        r#"
        SELECT id, stripe_customer_id, subscription_id, number, status, currency, total,
               amount_due, amount_paid, amount_remaining, billing_reason, hosted_invoice_url,
               invoice_pdf, period_start, period_end, attempt_count, created
        FROM invoices WHERE stripe_customer_id = $1 ORDER BY id
        "#,
        customer
    )
    .fetch_all(db)
    .await
}
