//! What the payments pages show, read from the mirror: a page of charges (newest first, by
//! cursor, searchable by email, name or Stripe id) and one charge with its PaymentIntent, balance
//! transaction, refunds and dispute.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::{
    billing::{money::Money, BillingError, Step},
    stripe::payments::{BalanceStatus, ChargeStatus, DisputeStatus, RefundStatus},
};

/// A [`ChargeRow`] from a row of any of this module's charge queries (they select the same
/// columns).
macro_rules! charge_row {
    ($row:expr) => {{
        let row = $row;
        ChargeRow {
            amount: Money::new(row.amount, &row.currency),
            fee: row.fee.map(|fee| Money::new(fee, &row.currency)),
            net: row.net.map(|net| Money::new(net, &row.currency)),
            refunded: Money::new(row.amount_refunded, &row.currency),
            status: ChargeStatus::from_stored(&row.status),
            card: card(row.card_brand, row.card_last4),
            id: row.id,
            user_email: row.user_email,
            stripe_customer_id: row.stripe_customer_id,
            billing_email: row.billing_email,
            disputed: row.disputed,
            description: row.description,
            created: row.created,
        }
    }};
}

/// Charges per page.
pub const PAGE: i64 = 25;

/// One charge, as the list shows it.
#[derive(Clone, Debug)]
pub struct ChargeRow {
    /// `ch_…`.
    pub id: String,
    /// The account that paid (its address), if the charge's customer is one of ours.
    pub user_email: Option<String>,
    /// `cus_…`; `None`: a charge without a customer.
    pub stripe_customer_id: Option<String>,
    /// The payer's address as the payment method gave it.
    pub billing_email: Option<String>,
    /// Asked for.
    pub amount: Money,
    /// Stripe's fee, once its balance transaction is known.
    pub fee: Option<Money>,
    /// What reached the balance.
    pub net: Option<Money>,
    /// Given back so far.
    pub refunded: Money,
    /// Whether it went through.
    pub status: Option<ChargeStatus>,
    /// Whether it was disputed.
    pub disputed: bool,
    /// What it was for.
    pub description: Option<String>,
    /// `visa •••• 4242`.
    pub card: Option<String>,
    /// When.
    pub created: OffsetDateTime,
}

/// A page of charges, newest first, after the charge `after` (the first page when `None`);
/// `search` matches an email (the account's or the payer's), a name, or a `ch_`/`cus_`/`pi_` id.
pub async fn page(
    db: impl PgExecutor<'_>,
    search: Option<&str>,
    after: Option<&str>,
) -> Result<Vec<ChargeRow>, sqlx::Error> {
    let pattern = super::like_pattern(search, super::Match::Anywhere);
    let rows = sqlx::query!(
        r#"
        SELECT c.id, u.email AS "user_email?", c.stripe_customer_id, c.billing_email,
               c.billing_name, c.amount, c.amount_refunded, c.currency, c.fee, c.net, c.status,
               c.disputed, c.description, c.card_brand, c.card_last4, c.created
        FROM stripe_charges c
        LEFT JOIN billing_customers bc ON bc.stripe_customer_id = c.stripe_customer_id
        LEFT JOIN users u ON u.id = bc.account_id
        WHERE ($1::text IS NULL
               OR u.email ILIKE $1 OR c.billing_email ILIKE $1 OR c.billing_name ILIKE $1
               OR u.display_name ILIKE $1 OR c.id ILIKE $1 OR c.stripe_customer_id ILIKE $1
               OR c.payment_intent_id ILIKE $1)
          AND ($2::text IS NULL
               OR (c.created, c.id) < (SELECT created, id FROM stripe_charges WHERE id = $2))
        ORDER BY c.created DESC, c.id DESC
        LIMIT $3
        "#,
        pattern,
        after,
        PAGE,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| charge_row!(row)).collect())
}

/// Every charge of a customer, newest first.
pub async fn of_customer(
    db: impl PgExecutor<'_>,
    customer: &str,
) -> Result<Vec<ChargeRow>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT c.id, u.email AS "user_email?", c.stripe_customer_id, c.billing_email,
               c.amount, c.amount_refunded, c.currency, c.fee, c.net, c.status,
               c.disputed, c.description, c.card_brand, c.card_last4, c.created
        FROM stripe_charges c
        LEFT JOIN billing_customers bc ON bc.stripe_customer_id = c.stripe_customer_id
        LEFT JOIN users u ON u.id = bc.account_id
        WHERE c.stripe_customer_id = $1
        ORDER BY c.created DESC, c.id DESC
        "#,
        customer,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| charge_row!(row)).collect())
}

/// `visa •••• 4242`.
fn card(brand: Option<String>, last4: Option<String>) -> Option<String> {
    Some(format!(
        "{} •••• {}",
        brand.unwrap_or_else(|| "card".to_owned()),
        last4?
    ))
}

/// One charge with everything about it.
#[derive(Clone, Debug)]
pub struct ChargeDetail {
    /// The charge as the list shows it.
    pub charge: ChargeRow,
    /// What was captured (what can be refunded, less what was).
    pub captured: Money,
    /// `pi_…`.
    pub payment_intent_id: Option<String>,
    /// Its balance transaction.
    pub balance_transaction: Option<TransactionRow>,
    /// Its refunds, oldest first.
    pub refunds: Vec<RefundRow>,
    /// Its dispute, if it was disputed.
    pub dispute: Option<DisputeRow>,
}

impl ChargeDetail {
    /// What is left to refund.
    pub fn refundable(&self) -> Money {
        let refunded = self.charge.refunded.minor;
        Money::new(
            (self.captured.minor - refunded).max(0),
            &self.captured.currency,
        )
    }

    /// Whether a dispute of it is not decided yet (refunds are refused meanwhile).
    pub fn dispute_open(&self) -> bool {
        self.dispute
            .as_ref()
            .is_some_and(|dispute| dispute.status.is_some_and(DisputeStatus::is_open))
    }
}

/// A balance transaction, as pages show it.
#[derive(Clone, Debug)]
pub struct TransactionRow {
    /// `txn_…`.
    pub id: String,
    /// Stripe's `type`: `charge`, `refund`, `adjustment`, `payout`, …
    pub kind: String,
    /// Gross.
    pub amount: Money,
    /// Stripe's fee.
    pub fee: Money,
    /// Net.
    pub net: Money,
    /// `available` or `pending`.
    pub available: bool,
    /// When it can be paid out.
    pub available_on: OffsetDateTime,
}

/// A refund, as pages show it.
#[derive(Clone, Debug)]
pub struct RefundRow {
    /// `re_…`.
    pub id: String,
    /// How much.
    pub amount: Money,
    /// Where it is.
    pub status: Option<RefundStatus>,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub created: OffsetDateTime,
}

/// A dispute, as pages show it.
#[derive(Clone, Debug)]
pub struct DisputeRow {
    /// `du_…`.
    pub id: String,
    /// How much.
    pub amount: Money,
    /// Where it is.
    pub status: Option<DisputeStatus>,
    /// The bank's reason.
    pub reason: String,
    /// When evidence is due.
    pub due_by: Option<OffsetDateTime>,
}

/// One charge with its balance transaction, refunds and dispute; `None` if it is not mirrored.
pub async fn charge(
    conn: &mut sqlx::PgConnection,
    id: &str,
) -> Result<Option<ChargeDetail>, BillingError> {
    let Some(row) = sqlx::query!(
        r#"
        SELECT c.id, u.email AS "user_email?", c.stripe_customer_id, c.billing_email,
               c.amount, c.amount_captured, c.amount_refunded, c.currency, c.fee, c.net,
               c.status, c.disputed, c.description, c.card_brand, c.card_last4, c.created,
               c.payment_intent_id, c.balance_transaction_id
        FROM stripe_charges c
        LEFT JOIN billing_customers bc ON bc.stripe_customer_id = c.stripe_customer_id
        LEFT JOIN users u ON u.id = bc.account_id
        WHERE c.id = $1
        "#,
        id
    )
    .fetch_optional(&mut *conn)
    .await
    .step("reading the charge")?
    else {
        return Ok(None);
    };
    let balance_transaction = match &row.balance_transaction_id {
        Some(txn) => transaction(&mut *conn, txn)
            .await
            .step("reading the charge's balance transaction")?,
        None => None,
    };
    let refunds = sqlx::query!(
        r#"
        SELECT id, amount, currency, status, reason, created
        FROM stripe_refunds WHERE charge_id = $1 ORDER BY created, id
        "#,
        id
    )
    .fetch_all(&mut *conn)
    .await
    .step("reading the charge's refunds")?
    .into_iter()
    .map(|refund| RefundRow {
        amount: Money::new(refund.amount, &refund.currency),
        status: RefundStatus::from_stored(&refund.status),
        id: refund.id,
        reason: refund.reason,
        created: refund.created,
    })
    .collect();
    let dispute = sqlx::query!(
        r#"
        SELECT id, amount, currency, status, reason, evidence_due_by
        FROM stripe_disputes WHERE charge_id = $1 ORDER BY created DESC LIMIT 1
        "#,
        id
    )
    .fetch_optional(&mut *conn)
    .await
    .step("reading the charge's dispute")?
    .map(|dispute| DisputeRow {
        amount: Money::new(dispute.amount, &dispute.currency),
        status: DisputeStatus::from_stored(&dispute.status),
        id: dispute.id,
        reason: dispute.reason,
        due_by: dispute.evidence_due_by,
    });
    let captured = Money::new(row.amount_captured, &row.currency);
    let payment_intent_id = row.payment_intent_id.clone();
    Ok(Some(ChargeDetail {
        captured,
        payment_intent_id,
        balance_transaction,
        refunds,
        dispute,
        charge: charge_row!(row),
    }))
}

async fn transaction(
    db: impl PgExecutor<'_>,
    id: &str,
) -> Result<Option<TransactionRow>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"
        SELECT id, kind, amount, fee, net, currency, status, available_on
        FROM stripe_balance_transactions WHERE id = $1
        "#,
        id
    )
    .fetch_optional(db)
    .await?
    .map(|row| TransactionRow {
        amount: Money::new(row.amount, &row.currency),
        fee: Money::new(row.fee, &row.currency),
        net: Money::new(row.net, &row.currency),
        available: BalanceStatus::from_stored(&row.status) == Some(BalanceStatus::Available),
        id: row.id,
        kind: row.kind,
        available_on: row.available_on,
    }))
}
