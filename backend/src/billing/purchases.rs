//! One-time purchases: a row per paid (or still processing) Checkout Session in `payment` mode.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

/// Where a purchase's payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurchaseStatus {
    /// The money arrived (or nothing was due).
    Paid,
    /// An asynchronous payment method (a bank debit) is still processing.
    Pending,
    /// The asynchronous payment failed; nothing was bought.
    Failed,
}

impl PurchaseStatus {
    /// The value stored in `purchases.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Paid => "paid",
            Self::Pending => "pending",
            Self::Failed => "failed",
        }
    }
}

/// A purchase as the account page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchase {
    /// `cs_…`.
    pub checkout_session_id: String,
    /// `prod_…`.
    pub product_id: String,
    /// What was bought.
    pub description: String,
    /// In minor units.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// `paid`, `pending` or `failed`.
    pub status: String,
    /// When.
    pub purchased_at: OffsetDateTime,
    /// Whether the payment was taken back (it then grants nothing).
    pub taken_back: Option<TakenBack>,
    /// How much of it was refunded, in minor units.
    pub refunded: i64,
}

/// How a purchase's payment was taken back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum TakenBack {
    /// Refunded in full.
    Refunded,
    /// Lost to a dispute (or the dispute was accepted).
    DisputeLost,
}

/// What a finished payment-mode Checkout Session bought.
pub struct NewPurchase<'a> {
    /// `cs_…`.
    pub checkout_session_id: &'a str,
    /// The buyer.
    pub account_id: Uuid,
    /// `price_…`.
    pub price_id: &'a str,
    /// `prod_…`.
    pub product_id: &'a str,
    /// The line's description.
    pub description: &'a str,
    /// In minor units.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: &'a str,
    /// Where the payment stands.
    pub status: PurchaseStatus,
    /// `pi_…`: the payment, whose refunds and disputes decide whether it still grants.
    pub payment_intent_id: Option<&'a str>,
}

/// Records a purchase once; a later call may only move it on from `pending`.
pub async fn record(
    conn: &mut PgConnection,
    purchase: &NewPurchase<'_>,
) -> Result<(), sqlx::Error> {
    let status = purchase.status.as_str();
    sqlx::query!(
        r#"
        INSERT INTO purchases
            (checkout_session_id, account_id, price_id, product_id, description, amount, currency,
             status, payment_intent_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (checkout_session_id) DO UPDATE
            SET status = CASE WHEN purchases.status = 'pending' THEN EXCLUDED.status
                              ELSE purchases.status END,
                payment_intent_id = COALESCE(purchases.payment_intent_id,
                                             EXCLUDED.payment_intent_id)
        "#,
        purchase.checkout_session_id,
        purchase.account_id,
        purchase.price_id,
        purchase.product_id,
        purchase.description,
        purchase.amount,
        purchase.currency,
        status,
        purchase.payment_intent_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A user's purchases, newest first.
pub async fn of_user(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
) -> Result<Vec<Purchase>, sqlx::Error> {
    sqlx::query_as!(
        Purchase,
        r#"
        SELECT checkout_session_id, product_id, description, amount, currency, status, purchased_at,
               purchase_taken_back(payment_intent_id) AS "taken_back: TakenBack",
               purchase_refunded(payment_intent_id) AS "refunded!"
        FROM purchases WHERE account_id = $1
        ORDER BY purchased_at DESC, checkout_session_id
        "#,
        account_id
    )
    .fetch_all(db)
    .await
}
