//! Subscriptions as Stripe last returned them, and what a user holds.

use sqlx::{PgConnection, PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{customers, BillingError, Step, Ticket};
use crate::stripe::{
    objects::{Card, Expandable, Subscription},
    StripeClient,
};

/// A plan a user holds: one subscription item with its subscription's state (what the pricing
/// page marks as held).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldPlan {
    /// `sub_…`.
    pub subscription_id: String,
    /// Its subscription's state.
    pub state: super::entitlements::SubscriptionState,
    /// `prod_…`.
    pub product_id: String,
    /// The product's name, when the catalog knows it.
    pub product_name: Option<String>,
    /// `price_…`.
    pub price_id: String,
    /// Ends at the period's end.
    pub cancel_at_period_end: bool,
}

/// A plan change waiting for its invoice to be paid (Stripe's `pending_update`): the
/// subscription keeps its items — and grants only what they grant — until Stripe applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingChange {
    /// The price the first item moves to (`None`: the change leaves the prices alone).
    pub price_id: Option<String>,
    /// When Stripe discards it if the invoice is still unpaid.
    pub expires_at: OffsetDateTime,
}

impl PendingChange {
    /// The change waiting on `subscription`, if any.
    pub fn of(subscription: &Subscription) -> Option<Self> {
        let pending = subscription.pending_update.as_ref()?;
        Some(Self {
            price_id: pending
                .subscription_items
                .as_ref()
                .and_then(|items| items.first())
                .map(|item| item.price.id.clone()),
            expires_at: at(Some(pending.expires_at)).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        })
    }

    /// The change as stored (`pending_price_id`, `pending_update_expires_at`).
    pub fn stored(price_id: Option<String>, expires_at: Option<OffsetDateTime>) -> Option<Self> {
        expires_at.map(|expires_at| Self {
            price_id,
            expires_at,
        })
    }
}

/// A subscription as fetched from Stripe, with what storing it needs besides: the card it is
/// charged to and, when it is `past_due`, when it fell behind.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// Stripe's answer.
    pub subscription: Subscription,
    card: Option<Card>,
    past_due_at: Option<OffsetDateTime>,
}

/// Fetches a subscription and what storing it needs, holding no database connection. `None` when
/// Stripe no longer has it (test data deleted): nothing to store, and nothing to retry.
pub async fn fetch(
    stripe: &StripeClient,
    subscription_id: &str,
) -> Result<Option<Fetched>, BillingError> {
    let subscription = match stripe.subscription(subscription_id).await {
        Ok(subscription) => subscription,
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error) => return Err(error.step("fetching the subscription")),
    };
    let card = card_of(stripe, &subscription).await?;
    let past_due_at = past_due_at(stripe, &subscription).await?;
    Ok(Some(Fetched {
        subscription,
        card,
        past_due_at,
    }))
}

/// Stores a fetched subscription under its lock, if its customer is one of our users' and
/// nothing fetched after `ticket` was stored for it first. Returns it when stored.
pub async fn store_fetched(
    conn: &mut PgConnection,
    fetched: Fetched,
    ticket: Ticket,
) -> Result<Option<Subscription>, BillingError> {
    let subscription = fetched.subscription;
    super::lock_object(conn, &subscription.id)
        .await
        .step("locking the subscription")?;
    if !ticket
        .is_latest_for(conn, &subscription.id)
        .await
        .step("checking the subscription's fetch order")?
    {
        tracing::debug!(subscription = %subscription.id, "a later fetch was stored already");
        return Ok(None);
    }
    // The customer's owner; for a subscription we keep whose customer was deleted meanwhile
    // (its `customer.deleted` applied first), the user we stored it for.
    let owner = match customers::owner(&mut *conn, &subscription.customer)
        .await
        .step("finding the customer's owner")?
    {
        Some(account_id) => Some(account_id),
        None => sqlx::query_scalar!(
            "SELECT account_id FROM subscriptions WHERE id = $1",
            subscription.id
        )
        .fetch_optional(&mut *conn)
        .await
        .step("finding whom the subscription was stored for")?,
    };
    let Some(account_id) = owner else {
        tracing::warn!(
            subscription = %subscription.id,
            customer = %subscription.customer,
            "ignored a subscription whose customer is not one of our users"
        );
        return Ok(None);
    };
    store(
        conn,
        account_id,
        &subscription,
        fetched.card.as_ref(),
        fetched.past_due_at,
    )
    .await
    .step("storing the subscription")?;
    Ok(Some(subscription))
}

/// Re-fetches a subscription from Stripe under its lock and stores it, if its customer is one of
/// our users'. Returns the stored subscription (`None` when the customer is not ours).
pub async fn refresh(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    subscription_id: &str,
) -> Result<Option<Subscription>, BillingError> {
    super::lock_object(conn, subscription_id)
        .await
        .step("locking the subscription")?;
    let ticket = Ticket::draw(&mut *conn)
        .await
        .step("drawing a fetch ticket")?;
    match fetch(stripe, subscription_id).await? {
        Some(fetched) => store_fetched(conn, fetched, ticket).await,
        None => Ok(None),
    }
}

/// As [`refresh`], holding no database connection while Stripe answers: the ticket drawn before
/// the fetch keeps it from overwriting what a fetch that started later stored (the workers'
/// rule). Returns the subscription when stored.
pub async fn refresh_unheld(
    db: &PgPool,
    stripe: &StripeClient,
    subscription_id: &str,
) -> Result<Option<Subscription>, BillingError> {
    let ticket = Ticket::draw(db).await.step("drawing a fetch ticket")?;
    let Some(fetched) = fetch(stripe, subscription_id).await? else {
        return Ok(None);
    };
    let mut tx = db
        .begin()
        .await
        .step("starting the transaction storing a subscription")?;
    let stored = store_fetched(&mut tx, fetched, ticket).await?;
    tx.commit().await.step("committing a stored subscription")?;
    Ok(stored)
}

/// When a `past_due` subscription fell behind, by Stripe's clock: its unpaid (latest) invoice's
/// creation (for invoices charged automatically, as ours are, when the renewal was attempted).
/// `None` for other statuses or if the invoice is gone. A stamp stored already stays.
async fn past_due_at(
    stripe: &StripeClient,
    subscription: &Subscription,
) -> Result<Option<OffsetDateTime>, BillingError> {
    let Some(invoice) = subscription
        .latest_invoice
        .as_deref()
        .filter(|_| subscription.status == super::SubscriptionStatus::PastDue)
    else {
        return Ok(None);
    };
    match stripe.invoice(invoice).await {
        Ok(invoice) => Ok(OffsetDateTime::from_unix_timestamp(invoice.created).ok()),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error.step("fetching the customer for its default card")),
    }
}

/// The card a subscription is charged to: its own default payment method (when expanded), else
/// its customer's.
pub(crate) async fn card_of(
    stripe: &StripeClient,
    subscription: &Subscription,
) -> Result<Option<Card>, BillingError> {
    if let Some(method) = &subscription.default_payment_method {
        if let Some(card) = method.object().and_then(|method| method.card()) {
            return Ok(Some(card.clone()));
        }
    }
    let customer = match stripe.customer(&subscription.customer).await {
        Ok(customer) => customer,
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error) => {
            return Err(error.step("fetching the invoice a past-due subscription did not pay"))
        }
    };
    Ok(customer
        .invoice_settings
        .and_then(|settings| settings.default_payment_method)
        .and_then(|method| match method {
            Expandable::Object(method) => method.card,
            Expandable::Id(_) => None,
        }))
}

/// The subscriptions of `customer` that we keep and that have not ended (whose cards a card
/// change may have changed).
pub async fn live_of_customer(
    db: impl PgExecutor<'_>,
    customer: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM subscriptions WHERE stripe_customer_id = $1 AND ended_at IS NULL ORDER BY id",
        customer
    )
    .fetch_all(db)
    .await
}

/// A subscription as `subscriptions` stores it: what Stripe says, with the card it is charged
/// to (the columns of our own — the owner, `past_due_since` — left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRow {
    /// `sub_…`.
    pub id: String,
    /// `cus_…`.
    pub stripe_customer_id: String,
    /// Stripe's status.
    pub status: String,
    /// Ends with the current period.
    pub cancel_at_period_end: bool,
    /// When it is set to end.
    pub cancel_at: Option<OffsetDateTime>,
    /// When it was canceled.
    pub canceled_at: Option<OffsetDateTime>,
    /// When it ended.
    pub ended_at: Option<OffsetDateTime>,
    /// Trial start.
    pub trial_start: Option<OffsetDateTime>,
    /// Trial end.
    pub trial_end: Option<OffsetDateTime>,
    /// When Stripe made it.
    pub created: OffsetDateTime,
    /// `in_…`.
    pub latest_invoice_id: Option<String>,
    /// The card charged: brand.
    pub card_brand: Option<String>,
    /// Last four digits.
    pub card_last4: Option<String>,
    /// Expiry month.
    pub card_exp_month: Option<i32>,
    /// Expiry year.
    pub card_exp_year: Option<i32>,
    /// `cancellation_details.reason`.
    pub cancellation_reason: Option<String>,
    /// The price a waiting plan change moves to (see [`PendingChange`]).
    pub pending_price_id: Option<String>,
    /// When the waiting plan change expires.
    pub pending_update_expires_at: Option<OffsetDateTime>,
}

/// A subscription item as `subscription_items` stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRow {
    /// `si_…`.
    pub id: String,
    /// `sub_…`.
    pub subscription_id: String,
    /// `price_…`.
    pub price_id: String,
    /// `prod_…`.
    pub product_id: String,
    /// How many.
    pub quantity: i32,
    /// The current period's start.
    pub current_period_start: OffsetDateTime,
    /// Its end.
    pub current_period_end: OffsetDateTime,
}

fn at(seconds: Option<i64>) -> Option<OffsetDateTime> {
    seconds.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
}

impl SubscriptionRow {
    /// The row for `subscription`, charged to `card`.
    pub fn new(subscription: &Subscription, card: Option<&Card>) -> Self {
        let pending = PendingChange::of(subscription);
        Self {
            id: subscription.id.clone(),
            stripe_customer_id: subscription.customer.clone(),
            status: subscription.status.as_str().to_owned(),
            cancel_at_period_end: subscription.cancel_at_period_end,
            cancel_at: at(subscription.cancel_at),
            canceled_at: at(subscription.canceled_at),
            ended_at: at(subscription.ended_at),
            trial_start: at(subscription.trial_start),
            trial_end: at(subscription.trial_end),
            created: at(Some(subscription.created)).unwrap_or(OffsetDateTime::UNIX_EPOCH),
            latest_invoice_id: subscription.latest_invoice.clone(),
            card_brand: card.map(|card| card.brand.clone()),
            card_last4: card.map(|card| card.last4.clone()),
            card_exp_month: card.map(|card| card.exp_month),
            card_exp_year: card.map(|card| card.exp_year),
            cancellation_reason: subscription
                .cancellation_details
                .as_ref()
                .and_then(|details| details.reason.clone()),
            pending_price_id: pending.as_ref().and_then(|change| change.price_id.clone()),
            pending_update_expires_at: pending.map(|change| change.expires_at),
        }
    }
}

impl ItemRow {
    /// The rows of `subscription`'s items.
    pub fn all_of(subscription: &Subscription) -> Vec<Self> {
        subscription
            .items
            .data
            .iter()
            .map(|item| Self {
                id: item.id.clone(),
                subscription_id: subscription.id.clone(),
                price_id: item.price.id.clone(),
                product_id: item.price.product.clone(),
                quantity: item.quantity.unwrap_or(1).clamp(0, i64::from(i32::MAX)) as i32,
                current_period_start: at(Some(item.current_period_start))
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                current_period_end: at(Some(item.current_period_end))
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            })
            .collect()
    }
}

/// Overwrites the stored subscription and its items with `subscription`. `past_due_at`: when a
/// `past_due` one fell behind, by Stripe's clock (else now, ours).
pub async fn store(
    conn: &mut PgConnection,
    account_id: Uuid,
    subscription: &Subscription,
    card: Option<&Card>,
    past_due_at: Option<OffsetDateTime>,
) -> Result<(), sqlx::Error> {
    let row = SubscriptionRow::new(subscription, card);
    sqlx::query!(
        r#"
        INSERT INTO subscriptions
            (id, account_id, stripe_customer_id, status, cancel_at_period_end, cancel_at,
             canceled_at, ended_at, trial_start, trial_end, created, latest_invoice_id,
             card_brand, card_last4, card_exp_month, card_exp_year, cancellation_reason,
             pending_price_id, pending_update_expires_at, past_due_since)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $19, $20, CASE WHEN $4 = 'past_due' THEN COALESCE($18, now()) END)
        ON CONFLICT (id) DO UPDATE SET
            account_id = EXCLUDED.account_id, stripe_customer_id = EXCLUDED.stripe_customer_id,
            status = EXCLUDED.status, cancel_at_period_end = EXCLUDED.cancel_at_period_end,
            cancel_at = EXCLUDED.cancel_at, canceled_at = EXCLUDED.canceled_at,
            ended_at = EXCLUDED.ended_at, trial_start = EXCLUDED.trial_start,
            trial_end = EXCLUDED.trial_end, latest_invoice_id = EXCLUDED.latest_invoice_id,
            card_brand = EXCLUDED.card_brand, card_last4 = EXCLUDED.card_last4,
            card_exp_month = EXCLUDED.card_exp_month, card_exp_year = EXCLUDED.card_exp_year,
            cancellation_reason = EXCLUDED.cancellation_reason,
            pending_price_id = EXCLUDED.pending_price_id,
            pending_update_expires_at = EXCLUDED.pending_update_expires_at,
            -- The grace period counts from when it fell behind (its unpaid invoice's creation,
            -- Stripe's clock), as first stored.
            past_due_since = CASE WHEN EXCLUDED.status = 'past_due'
                THEN COALESCE(subscriptions.past_due_since, EXCLUDED.past_due_since) END,
            synced_at = now()
        "#,
        row.id,
        account_id,
        row.stripe_customer_id,
        row.status,
        row.cancel_at_period_end,
        row.cancel_at,
        row.canceled_at,
        row.ended_at,
        row.trial_start,
        row.trial_end,
        row.created,
        row.latest_invoice_id,
        row.card_brand,
        row.card_last4,
        row.card_exp_month,
        row.card_exp_year,
        row.cancellation_reason,
        past_due_at,
        row.pending_price_id,
        row.pending_update_expires_at,
    )
    .execute(&mut *conn)
    .await?;
    store_schedule_and_discount(conn, subscription).await?;
    let items = ItemRow::all_of(subscription);
    let item_ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    sqlx::query!(
        "DELETE FROM subscription_items WHERE subscription_id = $1 AND NOT (id = ANY($2))",
        subscription.id,
        &item_ids
    )
    .execute(&mut *conn)
    .await?;
    for item in &items {
        sqlx::query!(
            r#"
            INSERT INTO subscription_items
                (id, subscription_id, price_id, product_id, quantity, current_period_start,
                 current_period_end)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (id) DO UPDATE SET
                price_id = EXCLUDED.price_id, product_id = EXCLUDED.product_id,
                quantity = EXCLUDED.quantity,
                current_period_start = EXCLUDED.current_period_start,
                current_period_end = EXCLUDED.current_period_end
            "#,
            item.id,
            item.subscription_id,
            item.price_id,
            item.product_id,
            item.quantity,
            item.current_period_start,
            item.current_period_end,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Stores what the subscription's schedule changes next (a downgrade at renewal) and its
/// discount, both as expanded in `subscription` (see [`fetch`]).
async fn store_schedule_and_discount(
    conn: &mut PgConnection,
    subscription: &Subscription,
) -> Result<(), sqlx::Error> {
    let at = |seconds: i64| OffsetDateTime::from_unix_timestamp(seconds).ok();
    let schedule = subscription.schedule.as_ref();
    let next = schedule
        .and_then(|schedule| schedule.object())
        .and_then(|schedule| schedule.next_phase())
        .and_then(|phase| Some((phase.items.first()?, phase.start_date)));
    let discount = subscription
        .discounts
        .iter()
        .filter_map(|discount| discount.object())
        .find_map(|discount| {
            let coupon = discount.source.coupon.as_ref()?.object()?;
            Some((discount, coupon))
        });
    sqlx::query!(
        r#"
        UPDATE subscriptions SET
            schedule_id = $2, scheduled_price_id = $3, scheduled_quantity = $4,
            scheduled_at = $5, discount_name = $6, discount_percent_off = $7,
            discount_amount_off = $8, discount_currency = $9, discount_ends_at = $10
        WHERE id = $1
        "#,
        subscription.id,
        schedule.map(|schedule| schedule.id()),
        next.map(|(item, _)| item.price.as_str()),
        next.and_then(|(item, _)| item.quantity)
            .map(|quantity| quantity.clamp(0, i64::from(i32::MAX)) as i32),
        next.and_then(|(_, start)| at(start)),
        discount.map(|(_, coupon)| coupon.name.clone().unwrap_or_else(|| coupon.id.clone())),
        discount.and_then(|(_, coupon)| coupon.percent_off),
        discount.and_then(|(_, coupon)| coupon.amount_off),
        discount.and_then(|(_, coupon)| coupon.currency.clone()),
        discount.and_then(|(discount, _)| discount.end).and_then(at),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The stored subscriptions of `customer`, by id, and their items.
pub async fn stored_of(
    db: impl PgExecutor<'_> + Copy,
    customer: &str,
) -> Result<(Vec<SubscriptionRow>, Vec<ItemRow>), sqlx::Error> {
    let subscriptions = sqlx::query_as!(
        SubscriptionRow,
        r#"
        SELECT id, stripe_customer_id, status, cancel_at_period_end, cancel_at, canceled_at,
               ended_at, trial_start, trial_end, created, latest_invoice_id, card_brand,
               card_last4, card_exp_month, card_exp_year, cancellation_reason, pending_price_id,
               pending_update_expires_at
        FROM subscriptions WHERE stripe_customer_id = $1 ORDER BY id
        "#,
        customer
    )
    .fetch_all(db)
    .await?;
    let items = sqlx::query_as!(
        ItemRow,
        r#"
        SELECT i.id, i.subscription_id, i.price_id, i.product_id, i.quantity,
               i.current_period_start, i.current_period_end
        FROM subscription_items i JOIN subscriptions s ON s.id = i.subscription_id
        WHERE s.stripe_customer_id = $1 ORDER BY i.id
        "#,
        customer
    )
    .fetch_all(db)
    .await?;
    Ok((subscriptions, items))
}

/// Whether the user has had a free trial before (one trial per user: later subscriptions start
/// paid).
pub async fn had_trial(db: impl PgExecutor<'_>, account_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT EXISTS (SELECT 1 FROM subscriptions WHERE account_id = $1 AND trial_start IS NOT NULL)
            AS "had!"
        "#,
        account_id
    )
    .fetch_one(db)
    .await
}

/// The plans a user holds now (every item of every subscription whose status
/// [holds the plan](super::SubscriptionStatus::holds_plan)).
pub async fn held_by(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
) -> Result<Vec<HeldPlan>, sqlx::Error> {
    use super::SubscriptionStatus;
    let rows = sqlx::query!(
        r#"
        SELECT s.id AS subscription_id, i.product_id, p.name AS "product_name?", i.price_id,
               s.status, s.cancel_at_period_end, i.current_period_end, s.trial_end,
               s.past_due_since, s.ended_at, s.cancellation_reason,
               COALESCE(li.status = 'paid', false) AS "latest_invoice_paid!"
        FROM subscriptions s
        JOIN subscription_items i ON i.subscription_id = s.id
        LEFT JOIN stripe_products p ON p.id = i.product_id
        LEFT JOIN invoices li ON li.id = s.latest_invoice_id
        WHERE s.account_id = $1 AND s.status = ANY($2)
        ORDER BY s.created, i.id
        "#,
        account_id,
        &SubscriptionStatus::names_where(SubscriptionStatus::holds_plan) as &[&str]
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(HeldPlan {
                subscription_id: row.subscription_id,
                state: super::entitlements::SubscriptionState {
                    status: super::status::stored(&row.status)?,
                    past_due_since: row.past_due_since,
                    ended_at: row.ended_at,
                    trial_end: row.trial_end,
                    cancellation_reason: row.cancellation_reason,
                    latest_invoice_paid: row.latest_invoice_paid,
                    current_period_end: row.current_period_end,
                },
                product_id: row.product_id,
                product_name: row.product_name,
                price_id: row.price_id,
                cancel_at_period_end: row.cancel_at_period_end,
            })
        })
        .collect()
}
