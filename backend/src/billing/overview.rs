//! What the signed-in pages read about a user's billing, one statement each: the features they
//! hold with the plans that say why the dashboard is locked ([`standing`]), and the account
//! page's plans, invoices and purchases ([`account`]). Each statement returns one row whose
//! lists come as JSON arrays (`json_agg`), decoded into the types the rest of billing uses; the
//! catalog comes from memory ([`super::cache`]), not from here.

use serde::Deserialize;
use sqlx::{types::Json, PgExecutor};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{
    entitlements::{parse_features, Entitlements, SubscriptionState},
    invoices::StoredInvoice,
    manage::PlanDetails,
    purchases::Purchase,
    SubscriptionStatus,
};

/// Where the user stands: what they may use now, and what they hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The features granted now (see [`super::entitlements`] for the rule).
    pub entitlements: Entitlements,
    /// The statuses of the plans held (one per subscription item whose status
    /// [holds the plan](SubscriptionStatus::holds_plan), oldest first), which say what would
    /// open a locked page.
    pub held: Vec<SubscriptionStatus>,
}

/// The user's standing at `now`, with `grace` for past-due subscriptions: one statement.
pub async fn standing(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    now: OffsetDateTime,
    grace: Duration,
) -> Result<Standing, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT
            COALESCE((
                SELECT json_agg(json_build_object(
                    'status', s.status, 'past_due_since', s.past_due_since,
                    'ended_at', s.ended_at, 'trial_end', s.trial_end,
                    'cancellation_reason', s.cancellation_reason,
                    'latest_invoice_paid', COALESCE(li.status = 'paid', false),
                    'current_period_end', i.current_period_end,
                    'features', p.metadata->>'features')
                    ORDER BY s.created, i.id)
                FROM subscriptions s
                JOIN subscription_items i ON i.subscription_id = s.id
                LEFT JOIN stripe_products p ON p.id = i.product_id
                LEFT JOIN invoices li ON li.id = s.latest_invoice_id
                WHERE s.account_id = $1
                  AND (s.status = ANY($3)
                       OR (s.status = 'canceled' AND i.current_period_end > $2))
            ), '[]') AS "items!: Json<Vec<Subscribed>>",
            ARRAY(
                SELECT p.metadata->>'features'
                FROM purchases b JOIN stripe_products p ON p.id = b.product_id
                WHERE b.account_id = $1 AND b.status = 'paid'
                  AND p.metadata->>'features' IS NOT NULL
                  -- Refunded in full or lost to a dispute: it no longer grants.
                  AND purchase_taken_back(b.payment_intent_id) IS NULL
            ) AS "bought!"
        "#,
        account_id,
        now,
        &SubscriptionStatus::names_where(SubscriptionStatus::holds_plan) as &[&str]
    )
    .fetch_one(db)
    .await?;
    let items = row.items.0;
    let held = items
        .iter()
        .map(|item| item.state.status)
        .filter(|status| status.holds_plan())
        .collect();
    let entitlements = items
        .into_iter()
        .filter(|item| item.state.grants(now, grace))
        .filter_map(|item| item.features)
        .chain(row.bought)
        .flat_map(|features| parse_features(&features).collect::<Vec<_>>())
        .collect();
    Ok(Standing { entitlements, held })
}

/// One subscription item that holds a plan, or ended but may still grant its product's features
/// (canceled within its period), oldest first.
#[derive(Debug, Deserialize)]
struct Subscribed {
    /// Its subscription's state.
    #[serde(flatten)]
    state: SubscriptionState,
    /// Its product's `features` metadata.
    features: Option<String>,
}

/// The account page's billing section, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountBilling {
    /// The plans worth showing: every subscription not ended, and ended ones that still grant
    /// their features (canceled early but paid through the period); oldest first.
    pub plans: Vec<PlanDetails>,
    /// The invoices, newest first, at most 50 (drafts left out: they may still change or
    /// vanish).
    pub invoices: Vec<StoredInvoice>,
    /// The one-time purchases, newest first.
    pub purchases: Vec<Purchase>,
    /// Whether the user has a Stripe customer (the portal has something to show).
    pub has_customer: bool,
}

/// The account page's billing at `now`: one statement.
pub async fn account(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    now: OffsetDateTime,
) -> Result<AccountBilling, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT
            COALESCE((
                SELECT json_agg(plan ORDER BY plan.created, plan.item_id)
                FROM (
                    SELECT s.created, s.id AS subscription_id, s.status, s.cancel_at_period_end,
                           s.cancel_at, s.ended_at, s.trial_end,
                           i.id AS item_id, i.product_id, p.name AS product_name, i.price_id,
                           pr.unit_amount, pr.currency, pr.recurring_interval AS interval,
                           pr.interval_count, i.current_period_end, s.card_brand, s.card_last4,
                           s.card_exp_month, s.card_exp_year, s.past_due_since,
                           s.cancellation_reason,
                           COALESCE(li.status = 'paid', false) AS latest_invoice_paid,
                           s.pending_price_id, pp.name AS pending_product_name,
                           s.pending_update_expires_at, i.quantity, s.scheduled_price_id,
                           sp.name AS scheduled_product_name, s.scheduled_quantity,
                           s.scheduled_at, s.discount_name,
                           s.discount_percent_off::text AS discount_percent_off,
                           s.discount_amount_off, s.discount_currency, s.discount_ends_at,
                           p.metadata->>'billing' IS NOT DISTINCT FROM 'per_seat' AS per_seat,
                           pr.usage_type IS NOT DISTINCT FROM 'metered' AS metered,
                           p.metadata->>'unit' AS usage_unit, p.metadata->>'metered' AS meter
                    FROM subscriptions s
                    JOIN subscription_items i ON i.subscription_id = s.id
                    LEFT JOIN stripe_products p ON p.id = i.product_id
                    LEFT JOIN stripe_prices pr ON pr.id = i.price_id
                    LEFT JOIN invoices li ON li.id = s.latest_invoice_id
                    LEFT JOIN stripe_prices ppr ON ppr.id = s.pending_price_id
                    LEFT JOIN stripe_products pp ON pp.id = ppr.product_id
                    LEFT JOIN stripe_prices spr ON spr.id = s.scheduled_price_id
                    LEFT JOIN stripe_products sp ON sp.id = spr.product_id
                    WHERE s.account_id = $1
                      AND s.status <> 'incomplete_expired'
                      AND (s.status <> 'canceled' OR i.current_period_end > $2)
                ) plan
            ), '[]') AS "plans!: Json<Vec<PlanDetails>>",
            COALESCE((
                SELECT json_agg(invoice ORDER BY invoice.created DESC, invoice.id DESC)
                FROM (
                    SELECT id, number, status, currency, total, amount_remaining,
                           hosted_invoice_url, invoice_pdf, created, discount, tax
                    FROM invoices
                    WHERE account_id = $1 AND status <> 'draft'
                    ORDER BY created DESC, id DESC
                    LIMIT 50
                ) invoice
            ), '[]') AS "invoices!: Json<Vec<InvoiceRow>>",
            COALESCE((
                SELECT json_agg(purchase
                                ORDER BY purchase.purchased_at DESC, purchase.checkout_session_id)
                FROM (
                    SELECT checkout_session_id, product_id, description, amount, currency,
                           status, purchased_at,
                           purchase_taken_back(payment_intent_id) AS taken_back,
                           purchase_refunded(payment_intent_id) AS refunded
                    FROM purchases WHERE account_id = $1
                ) purchase
            ), '[]') AS "purchases!: Json<Vec<PurchaseRow>>",
            EXISTS (SELECT 1 FROM billing_customers WHERE account_id = $1) AS "has_customer!"
        "#,
        account_id,
        now
    )
    .fetch_one(db)
    .await?;
    let mut plans = row.plans.0;
    // A canceled plan is shown only while it still grants access (no grace period plays a part).
    plans.retain(|plan| {
        plan.state.status != SubscriptionStatus::Canceled || plan.state.grants(now, Duration::ZERO)
    });
    Ok(AccountBilling {
        plans,
        invoices: row
            .invoices
            .0
            .into_iter()
            .map(StoredInvoice::from)
            .collect(),
        purchases: row.purchases.0.into_iter().map(Purchase::from).collect(),
        has_customer: row.has_customer,
    })
}

/// A [`StoredInvoice`] as the statement's JSON holds it.
#[derive(Debug, Deserialize)]
struct InvoiceRow {
    id: String,
    number: Option<String>,
    status: String,
    currency: String,
    total: i64,
    amount_remaining: i64,
    hosted_invoice_url: Option<String>,
    invoice_pdf: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    created: OffsetDateTime,
    discount: i64,
    tax: i64,
}

impl From<InvoiceRow> for StoredInvoice {
    fn from(row: InvoiceRow) -> Self {
        Self {
            id: row.id,
            number: row.number,
            status: row.status,
            currency: row.currency,
            total: row.total,
            amount_remaining: row.amount_remaining,
            hosted_invoice_url: row.hosted_invoice_url,
            invoice_pdf: row.invoice_pdf,
            created: row.created,
            discount: row.discount,
            tax: row.tax,
        }
    }
}

/// A [`Purchase`] as the statement's JSON holds it.
#[derive(Debug, Deserialize)]
struct PurchaseRow {
    checkout_session_id: String,
    product_id: String,
    description: String,
    amount: i64,
    currency: String,
    status: String,
    #[serde(with = "time::serde::rfc3339")]
    purchased_at: OffsetDateTime,
    taken_back: Option<super::purchases::TakenBack>,
    refunded: i64,
}

impl From<PurchaseRow> for Purchase {
    fn from(row: PurchaseRow) -> Self {
        Self {
            checkout_session_id: row.checkout_session_id,
            product_id: row.product_id,
            description: row.description,
            amount: row.amount,
            currency: row.currency,
            status: row.status,
            purchased_at: row.purchased_at,
            taken_back: row.taken_back,
            refunded: row.refunded,
        }
    }
}
