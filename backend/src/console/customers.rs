//! Customers in the console: search by email, name or Stripe id; one customer's account,
//! subscriptions, invoices, payments (with their refunds), cards and event timeline, as
//! mirrored; and canceling a subscription now or at the period's end.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    actions::{self, Act, Ran, Requester},
    audit::Action,
    events::{self, Received},
    payments::{self, ChargeRow},
    ConsoleError,
};
use crate::{
    billing::{money::Money, status, subscriptions, BillingError, Step, SubscriptionStatus},
    stripe::Form,
    AppState,
};

/// Customers per page.
pub const PAGE: i64 = 25;

/// A customer in the search results.
#[derive(Clone, Debug)]
pub struct CustomerRow {
    /// `cus_…`.
    pub stripe_customer_id: String,
    /// The account's address.
    pub email: String,
    /// The account's display name.
    pub name: Option<String>,
    /// Subscriptions that hold a plan now.
    pub live_subscriptions: i64,
    /// When the account signed up.
    pub signed_up: OffsetDateTime,
}

/// A page of customers, newest first, after the customer `after`; `search` matches an email, a
/// name or a `cus_`/`sub_`/`ch_` id.
pub async fn page(
    db: impl PgExecutor<'_>,
    search: Option<&str>,
    after: Option<&str>,
) -> Result<Vec<CustomerRow>, sqlx::Error> {
    let pattern = super::like_pattern(search, super::Match::Anywhere);
    sqlx::query_as!(
        CustomerRow,
        r#"
        SELECT bc.stripe_customer_id, u.email, u.display_name AS name,
               (SELECT count(*) FROM subscriptions s
                WHERE s.stripe_customer_id = bc.stripe_customer_id
                  AND s.status IN ('trialing', 'active', 'past_due', 'unpaid', 'paused'))
                   AS "live_subscriptions!",
               u.created_at AS signed_up
        FROM billing_customers bc JOIN users u ON u.id = bc.account_id
        WHERE ($1::text IS NULL
               OR u.email ILIKE $1 OR u.display_name ILIKE $1 OR bc.stripe_customer_id ILIKE $1
               OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.stripe_customer_id =
                          bc.stripe_customer_id AND s.id ILIKE $1)
               OR EXISTS (SELECT 1 FROM stripe_charges c WHERE c.stripe_customer_id =
                          bc.stripe_customer_id AND c.id ILIKE $1))
          AND ($2::text IS NULL OR (u.created_at, bc.stripe_customer_id) <
               (SELECT u2.created_at, bc2.stripe_customer_id FROM billing_customers bc2
                JOIN users u2 ON u2.id = bc2.account_id WHERE bc2.stripe_customer_id = $2))
        ORDER BY u.created_at DESC, bc.stripe_customer_id DESC
        LIMIT $3
        "#,
        pattern,
        after,
        PAGE,
    )
    .fetch_all(db)
    .await
}

/// One subscription of the customer.
#[derive(Clone, Debug)]
pub struct SubscriptionRow {
    /// `sub_…`.
    pub id: String,
    /// Its plans' names.
    pub plan: String,
    /// Where it is.
    pub status: SubscriptionStatus,
    /// Set to end at the period's end.
    pub cancel_at_period_end: bool,
    /// The current period's end.
    pub period_end: Option<OffsetDateTime>,
    /// The card it is charged to: `visa •••• 4242`.
    pub card: Option<String>,
}

/// One invoice of the customer.
#[derive(Clone, Debug)]
pub struct InvoiceRow {
    /// `in_…`.
    pub id: String,
    /// Its number, once finalized.
    pub number: Option<String>,
    /// `paid`, `open`, …
    pub status: String,
    /// Its total.
    pub total: Money,
    /// When.
    pub created: OffsetDateTime,
}

/// Everything the customer page shows.
#[derive(Clone, Debug)]
pub struct CustomerDetail {
    /// The account's id.
    pub user_id: Uuid,
    /// As the search shows it.
    pub customer: CustomerRow,
    /// Newest first.
    pub subscriptions: Vec<SubscriptionRow>,
    /// Newest first.
    pub invoices: Vec<InvoiceRow>,
    /// Newest first, with what was refunded.
    pub charges: Vec<ChargeRow>,
    /// The cards seen on its subscriptions and payments.
    pub cards: Vec<String>,
    /// The events about it, newest first.
    pub timeline: Vec<Received>,
}

/// One customer, by `cus_…`; `None` if it is not one of ours.
pub async fn customer(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<CustomerDetail>, BillingError> {
    let Some(row) = sqlx::query!(
        r#"
        SELECT u.id AS user_id, bc.stripe_customer_id, u.email, u.display_name, u.created_at
        FROM billing_customers bc JOIN users u ON u.id = bc.account_id
        WHERE bc.stripe_customer_id = $1
        "#,
        id
    )
    .fetch_optional(&mut *conn)
    .await
    .step("reading the customer")?
    else {
        return Ok(None);
    };
    let subscriptions: Vec<SubscriptionRow> = sqlx::query!(
        r#"
        SELECT s.id, s.status, s.cancel_at_period_end, s.card_brand, s.card_last4,
               (SELECT max(i.current_period_end) FROM subscription_items i
                WHERE i.subscription_id = s.id) AS period_end,
               COALESCE((SELECT string_agg(COALESCE(p.name, i.product_id), ', ' ORDER BY i.id)
                         FROM subscription_items i
                         LEFT JOIN stripe_products p ON p.id = i.product_id
                         WHERE i.subscription_id = s.id), '') AS "plan!"
        FROM subscriptions s WHERE s.stripe_customer_id = $1
        ORDER BY s.created DESC, s.id DESC
        "#,
        id
    )
    .fetch_all(&mut *conn)
    .await
    .step("reading the customer's subscriptions")?
    .into_iter()
    .filter_map(|row| {
        Some(SubscriptionRow {
            status: status::stored(&row.status).ok()?,
            card: row
                .card_last4
                .map(|last4| format!("{} •••• {last4}", row.card_brand.unwrap_or_default())),
            id: row.id,
            plan: row.plan,
            cancel_at_period_end: row.cancel_at_period_end,
            period_end: row.period_end,
        })
    })
    .collect();
    let invoices = sqlx::query!(
        r#"
        SELECT id, number, status, total, currency, created
        FROM invoices WHERE stripe_customer_id = $1 ORDER BY created DESC, id DESC
        "#,
        id
    )
    .fetch_all(&mut *conn)
    .await
    .step("reading the customer's invoices")?
    .into_iter()
    .map(|row| InvoiceRow {
        total: Money::new(row.total, &row.currency),
        id: row.id,
        number: row.number,
        status: row.status,
        created: row.created,
    })
    .collect::<Vec<_>>();
    let charges = payments::of_customer(&mut *conn, id)
        .await
        .step("reading the customer's payments")?;
    let mut cards: Vec<String> = subscriptions
        .iter()
        .filter_map(|subscription| subscription.card.clone())
        .chain(charges.iter().filter_map(|charge| charge.card.clone()))
        .collect();
    cards.sort();
    cards.dedup();
    let objects: Vec<String> = std::iter::once(id.to_owned())
        .chain(subscriptions.iter().map(|s| s.id.clone()))
        .chain(invoices.iter().map(|i| i.id.clone()))
        .chain(charges.iter().map(|c| c.id.clone()))
        .collect();
    let timeline = events::about(&mut *conn, &objects)
        .await
        .step("reading the customer's timeline")?;
    Ok(Some(CustomerDetail {
        user_id: row.user_id,
        customer: CustomerRow {
            stripe_customer_id: row.stripe_customer_id,
            email: row.email,
            name: row.display_name,
            live_subscriptions: subscriptions
                .iter()
                .filter(|s| s.status.holds_plan())
                .count() as i64,
            signed_up: row.created_at,
        },
        subscriptions,
        invoices,
        charges,
        cards,
        timeline,
    }))
}

/// The cards Stripe holds for the customer now (`visa •••• 4242, expires 12/2034`), older card
/// sources included: the one thing on the customer page read from Stripe, as the mirror keeps
/// only the cards seen on subscriptions and payments. The caller bounds the wait.
pub async fn cards_in_stripe(
    stripe: &crate::stripe::StripeClient,
    customer: &str,
) -> Result<Vec<String>, crate::stripe::StripeError> {
    Ok(stripe
        .cards_of(customer)
        .await?
        .into_iter()
        .filter_map(|method| {
            let card = method.card?;
            Some(format!(
                "{} •••• {}, expires {:02}/{}",
                card.brand.to_lowercase(),
                card.last4,
                card.exp_month,
                card.exp_year
            ))
        })
        .collect())
}

/// When a canceled subscription ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// At once; nothing more is billed.
    Now,
    /// At the end of the period paid for.
    PeriodEnd,
}

impl When {
    /// As the form sends it.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "now" => Some(Self::Now),
            "period_end" => Some(Self::PeriodEnd),
            _ => None,
        }
    }
}

/// Cancels a customer's subscription, now or at the period's end; its `cus_…`.
pub async fn cancel(
    state: &AppState,
    by: Requester<'_>,
    subscription_id: &str,
    when: When,
    form_id: &str,
) -> Result<String, ConsoleError> {
    let stored = sqlx::query!(
        "SELECT stripe_customer_id, status FROM subscriptions WHERE id = $1",
        subscription_id
    )
    .fetch_optional(&state.db)
    .await
    .step("reading the subscription")?
    .ok_or(ConsoleError::NotFound)?;
    let key = actions::key(
        Action::SubscriptionCanceled,
        subscription_id,
        form_id,
        match when {
            When::Now => "now",
            When::PeriodEnd => "period_end",
        },
    )?;
    let already = super::audit::succeeded(&state.db, &key)
        .await
        .step("checking whether this form was already done")?;
    if !already
        && status::stored(&stored.status)
            .step("reading the subscription's status")?
            .has_ended()
    {
        return Err(ConsoleError::NotNow("This subscription has already ended."));
    }
    let act = Act {
        action: Action::SubscriptionCanceled,
        object_id: subscription_id,
        amount: None,
        key,
        detail: Some(match when {
            When::Now => "now",
            When::PeriodEnd => "at period end",
        }),
        moves_money: false,
        password: None,
    };
    let ran = actions::run(state, &by, act, |key| async move {
        match when {
            When::Now => {
                state
                    .stripe
                    .cancel_subscription_answered(subscription_id)
                    .await
            }
            When::PeriodEnd => {
                let form = Form::new().set("cancel_at_period_end", true);
                state
                    .stripe
                    .update_subscription_answered(subscription_id, &form, &key)
                    .await
            }
        }
    })
    .await;
    // Best effort, as for every action: the outcome stands; the webhook that follows stores it.
    let mirrored = if actions::reached_stripe(&ran) {
        subscriptions::refresh_unheld(&state.db, &state.stripe, subscription_id)
            .await
            .map(|_| ())
    } else {
        Ok(())
    };
    if let Err(error) = mirrored {
        tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), subscription = subscription_id, "storing the canceled subscription failed; the webhook will");
    }
    match ran? {
        Ran::Done(_) | Ran::AlreadyDone => Ok(stored.stripe_customer_id),
    }
}
