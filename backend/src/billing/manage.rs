//! What a subscriber does from the account page: cancel at period end, resume, change plan after
//! seeing Stripe's proration preview; and a plan as the page lists it ([`PlanDetails`], read
//! with the rest of the page by [`super::overview::account`]).
//!
//! Every action first checks the actor manages the payer's billing (an organization's owners),
//! finds the subscription among the payer's own (another account's id answers "not found"),
//! calls Stripe, then re-fetches and stores the result under the
//! subscription's lock — the same path a webhook takes, so the page shows the new state at once.
//!
//! A plan change is billed at once and applies only once that invoice is paid (Stripe's pending
//! updates): a declined card leaves the plan as it was, the change waiting, until a new card pays
//! it or Stripe discards it (after 23 hours).

use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    entitlements::SubscriptionState,
    payer::Payer,
    subscriptions::{self, PendingChange},
    BillingError, Step, SubscriptionStatus,
};
use crate::{
    stripe::{Form, StripeClient},
    AppState,
};

/// A subscription item as the account page shows it: its subscription's state, and what the
/// page says about the plan, its price and its card. Read from the JSON of
/// [`super::overview::account`]'s one statement.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PlanDetails {
    /// `sub_…`.
    pub subscription_id: String,
    /// Its subscription's state (status, trial, period, payment).
    #[serde(flatten)]
    pub state: SubscriptionState,
    /// Set to end when the period does.
    pub cancel_at_period_end: bool,
    /// When it is set to end (also set by a cancellation at period end).
    #[serde(with = "time::serde::rfc3339::option")]
    pub cancel_at: Option<OffsetDateTime>,
    /// `si_…`.
    pub item_id: String,
    /// `prod_…`.
    pub product_id: String,
    /// The product's name, when the catalog has it.
    pub product_name: Option<String>,
    /// `price_…`.
    pub price_id: String,
    /// The price's amount (minor units), when the catalog has it.
    pub unit_amount: Option<i64>,
    /// Its currency.
    pub currency: Option<String>,
    /// `month`, `year`, …
    pub interval: Option<String>,
    /// Every this many intervals.
    pub interval_count: Option<i32>,
    /// The card charged.
    pub card_brand: Option<String>,
    /// Its last four digits.
    pub card_last4: Option<String>,
    /// Its expiry month.
    pub card_exp_month: Option<i32>,
    /// Its expiry year.
    pub card_exp_year: Option<i32>,
    /// The price a plan change waiting for payment moves to.
    pub pending_price_id: Option<String>,
    /// The name of that price's product, when the catalog has it.
    pub pending_product_name: Option<String>,
    /// When that change expires.
    #[serde(with = "time::serde::rfc3339::option")]
    pub pending_update_expires_at: Option<OffsetDateTime>,
    /// Seats (or units) billed.
    pub quantity: i32,
    /// Priced per seat.
    pub per_seat: bool,
    /// Priced per unit of usage, billed at the period's end.
    pub metered: bool,
    /// What a unit of usage is (`report`).
    pub usage_unit: Option<String>,
    /// The meter its product counts use on (`metered`), if any.
    pub meter: Option<String>,
    /// A change at renewal: the price it moves to.
    pub scheduled_price_id: Option<String>,
    /// The name of that price's product, when the catalog has it.
    pub scheduled_product_name: Option<String>,
    /// The quantity it moves to.
    pub scheduled_quantity: Option<i32>,
    /// When.
    #[serde(with = "time::serde::rfc3339::option")]
    pub scheduled_at: Option<OffsetDateTime>,
    /// The discount's coupon name.
    pub discount_name: Option<String>,
    /// Its percentage off, as written (`20`).
    pub discount_percent_off: Option<String>,
    /// Or its amount off (minor units of `discount_currency`).
    pub discount_amount_off: Option<i64>,
    pub discount_currency: Option<String>,
    /// When it stops applying (`None`: forever).
    #[serde(with = "time::serde::rfc3339::option")]
    pub discount_ends_at: Option<OffsetDateTime>,
}

impl PlanDetails {
    /// Whether it ends on its own: canceled at period end, or at a set date.
    pub fn ends_as_scheduled(&self) -> bool {
        self.cancel_at_period_end || self.cancel_at.is_some()
    }

    /// The plan change waiting for its invoice to be paid, if any.
    pub fn pending_change(&self) -> Option<PendingChange> {
        PendingChange::stored(
            self.pending_price_id.clone(),
            self.pending_update_expires_at,
        )
    }
}

/// The one item of a subscription the user owns, as the actions need it.
pub(super) struct Owned {
    status: SubscriptionStatus,
    cancel_at_period_end: bool,
    cancel_at: Option<OffsetDateTime>,
    pub(super) item_id: String,
    pub(super) price_id: String,
    stripe_customer_id: String,
    currency: Option<String>,
}

async fn owned(
    state: &AppState,
    payer: &Payer,
    subscription_id: &str,
) -> Result<Owned, BillingError> {
    if !payer.manages_billing() {
        return Err(BillingError::NotOwner);
    }
    let row = sqlx::query!(
        r#"
        SELECT s.status, s.cancel_at_period_end, s.cancel_at, i.id AS item_id, i.price_id,
               s.stripe_customer_id, pr.currency AS "currency?"
        FROM subscriptions s JOIN subscription_items i ON i.subscription_id = s.id
        LEFT JOIN stripe_prices pr ON pr.id = i.price_id
        WHERE s.id = $1 AND s.account_id = $2
        ORDER BY i.id LIMIT 1
        "#,
        subscription_id,
        payer.account_id()
    )
    .fetch_optional(&state.db)
    .await
    .step("finding the account's subscription")?
    .ok_or(BillingError::NoSuchSubscription)?;
    Ok(Owned {
        status: super::status::stored(&row.status).step("reading the subscription's status")?,
        cancel_at_period_end: row.cancel_at_period_end,
        cancel_at: row.cancel_at,
        item_id: row.item_id,
        price_id: row.price_id,
        stripe_customer_id: row.stripe_customer_id,
        currency: row.currency,
    })
}

/// How a cancellation took effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canceled {
    /// It ends with its current period and keeps its features until then.
    AtPeriodEnd,
    /// A paused plan (a trial that ended without a card): ended at once, nothing owed.
    Now,
}

/// Sets the subscription to end when its current period does (it keeps its features until
/// then); a paused one, which has no paid period, ends at once.
#[tracing::instrument(skip_all, fields(account_id = %payer.account_id(), subscription = subscription_id))]
pub async fn cancel(
    state: &AppState,
    payer: &Payer,
    subscription_id: &str,
) -> Result<Canceled, BillingError> {
    let owned = owned(state, payer, subscription_id).await?;
    if owned.status.has_ended() {
        return Err(BillingError::NotNow("This subscription has already ended."));
    }
    if owned.status == SubscriptionStatus::Paused {
        state
            .stripe
            .cancel_subscription(subscription_id)
            .await
            .step("canceling the paused subscription in Stripe")?;
        store_latest(state, subscription_id).await?;
        return Ok(Canceled::Now);
    }
    if owned.cancel_at_period_end || owned.cancel_at.is_some() {
        return Ok(Canceled::AtPeriodEnd); // a second click, or an end date already set
    }
    update(
        state,
        subscription_id,
        Form::new().set("cancel_at_period_end", true),
        "cancel",
    )
    .await?;
    Ok(Canceled::AtPeriodEnd)
}

/// Undoes a cancellation at period end.
#[tracing::instrument(skip_all, fields(account_id = %payer.account_id(), subscription = subscription_id))]
pub async fn resume(
    state: &AppState,
    payer: &Payer,
    subscription_id: &str,
) -> Result<(), BillingError> {
    let owned = owned(state, payer, subscription_id).await?;
    if owned.status.has_ended() {
        return Err(BillingError::NotNow(
            "This subscription has ended; choose a plan on the pricing page to subscribe again.",
        ));
    }
    // Undone with the parameter that set it (Stripe refuses both in one call).
    let form = if owned.cancel_at_period_end {
        Form::new().set("cancel_at_period_end", false)
    } else if owned.cancel_at.is_some() {
        Form::new().set("cancel_at", "")
    } else {
        return Ok(());
    };
    update(state, subscription_id, form, "resume").await
}

/// What changing plan would bill at once, from Stripe's invoice preview.
///
/// A change is invoiced immediately (`proration_behavior=always_invoice`): an upgrade is paid now
/// — with prorations left for the next invoice, a user who upgrades and then cancels at period
/// end would never pay for the better plan — and a downgrade's credit goes to the customer's
/// balance, which Stripe applies to the next invoices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangePreview {
    /// The moment prorations are computed for; the change itself uses the same moment, so it
    /// bills what the preview showed.
    pub proration_date: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// The invoice's lines: `(description, amount)`; credits are negative.
    pub lines: Vec<(String, i64)>,
    /// Its total: charged now when positive, credited when negative.
    pub total: i64,
}

/// What a confirmed plan change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanChange {
    /// The new plan is the user's (its invoice was paid).
    Changed,
    /// Its invoice was not paid (the card was declined): the plan stays as it was and the change
    /// waits for a new card to pay it.
    AwaitingPayment,
}

/// How a change is prorated and billed (see [`ChangePreview`]).
const PRORATION: &str = "always_invoice";

/// Asks Stripe what swapping the subscription's price for `price_id` would bill.
pub async fn preview_change(
    state: &AppState,
    payer: &Payer,
    subscription_id: &str,
    price_id: &str,
) -> Result<ChangePreview, BillingError> {
    let owned = changeable(state, payer, subscription_id, price_id).await?;
    let proration_date = super::clock::now(state).await.unix_timestamp();
    let form = Form::new()
        .set("customer", &owned.stripe_customer_id)
        .set("subscription", subscription_id)
        .set("subscription_details[items][0][id]", &owned.item_id)
        .set("subscription_details[items][0][price]", price_id)
        .set("subscription_details[proration_behavior]", PRORATION)
        .set("subscription_details[proration_date]", proration_date)
        .set_some(
            "automatic_tax[enabled]",
            state.config.automatic_tax.then_some(true),
        );
    let invoice = state
        .stripe
        .preview_invoice(&form)
        .await
        .step("previewing the plan change's invoice in Stripe")?;
    let lines: Vec<(String, i64)> = invoice
        .lines
        .map(|lines| lines.data)
        .unwrap_or_default()
        .into_iter()
        .map(|line| (line.description.unwrap_or_default(), line.amount))
        .collect();
    Ok(ChangePreview {
        proration_date,
        currency: invoice.currency,
        lines,
        total: invoice.total,
    })
}

/// Swaps the subscription's price for `price_id`, prorated as of `proration_date` (the
/// preview's moment; at most an hour old), once the invoice for it is paid
/// (`payment_behavior=pending_if_incomplete`).
#[tracing::instrument(skip_all, fields(account_id = %payer.account_id(), subscription = subscription_id, price = price_id))]
pub async fn change_plan(
    state: &AppState,
    payer: &Payer,
    subscription_id: &str,
    price_id: &str,
    proration_date: i64,
) -> Result<PlanChange, BillingError> {
    let owned = changeable(state, payer, subscription_id, price_id).await?;
    let now = super::clock::now(state).await.unix_timestamp();
    if !(now - 3600..=now + 60).contains(&proration_date) {
        return Err(BillingError::NotNow(
            "That preview is out of date. Choose the plan again to see the current amounts.",
        ));
    }
    let form = change_request(&owned.item_id, price_id, proration_date).set_some(
        "automatic_tax[enabled]",
        state.config.automatic_tax.then_some(true),
    );
    // The same confirmation sent twice (a double click, a retry) is one change.
    let key = format!(
        "tollgate-change-{subscription_id}-{}-{price_id}-{proration_date}",
        owned.item_id
    );
    state
        .stripe
        .update_subscription(subscription_id, &form, &key)
        .await
        .step("changing the subscription's price in Stripe")?;
    store_latest(state, subscription_id).await?;
    let stored = sqlx::query!(
        r#"
        SELECT i.price_id, s.pending_price_id
        FROM subscription_items i JOIN subscriptions s ON s.id = i.subscription_id
        WHERE i.id = $1 AND s.id = $2
        "#,
        owned.item_id,
        subscription_id
    )
    .fetch_optional(&state.db)
    .await
    .step("reading the changed subscription's price")?;
    match stored {
        Some(row) if row.price_id == price_id => Ok(PlanChange::Changed),
        Some(row) if row.pending_price_id.as_deref() == Some(price_id) => {
            Ok(PlanChange::AwaitingPayment)
        }
        // The same confirmation sent again after a later change: Stripe replays the first
        // answer and changes nothing. Say so rather than claim success.
        _ => Err(BillingError::NotNow(
            "That preview is out of date. Choose the plan again to see the current amounts.",
        )),
    }
}

/// Whether `invoice_id` is the invoice a stored plan change waits for (its failure leaves the
/// plan as it is: nothing to warn about beyond the page's own notice).
pub async fn change_waits_for(
    conn: &mut PgConnection,
    invoice_id: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT EXISTS (SELECT 1 FROM subscriptions
                       WHERE latest_invoice_id = $1 AND pending_update_expires_at IS NOT NULL)
            AS "waits!"
        "#,
        invoice_id
    )
    .fetch_one(conn)
    .await
}

/// The subscription update that swaps item `item_id` to `price_id`, prorated as of
/// `proration_date` and billed at once, applied only once paid.
pub fn change_request(item_id: &str, price_id: &str, proration_date: i64) -> Form {
    Form::new()
        .set("items[0][id]", item_id)
        .set("items[0][price]", price_id)
        .set("proration_behavior", PRORATION)
        .set("proration_date", proration_date)
        .set("payment_behavior", "pending_if_incomplete")
}

/// The customer's default payment method changed: pays the invoices their waiting plan changes
/// wait for (Stripe does not retry them by itself — the subscription is not past due), and
/// stores what Stripe made of each (the change applied, or still waiting if the new card is
/// declined too). Run after the customer's subscriptions were stored; holds no connection while
/// Stripe answers.
pub async fn pay_waiting_changes(
    db: &PgPool,
    stripe: &StripeClient,
    customer: &str,
) -> Result<usize, BillingError> {
    let waiting = sqlx::query!(
        r#"
        SELECT id, latest_invoice_id AS "invoice!" FROM subscriptions
        WHERE stripe_customer_id = $1 AND pending_update_expires_at IS NOT NULL
          AND latest_invoice_id IS NOT NULL
        ORDER BY id
        "#,
        customer
    )
    .fetch_all(db)
    .await
    .step("finding the plan changes waiting for payment")?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let Some(method) = super::customers::default_payment_method(stripe, customer)
        .await
        .step("fetching the customer's default payment method from Stripe")?
    else {
        return Ok(0);
    };
    let mut paid = 0;
    for subscription in waiting {
        // One attempt per invoice and card: a redelivered event replays Stripe's first answer.
        let key = format!("tollgate-pay-change-{}-{method}", subscription.invoice);
        match stripe.pay_invoice(&subscription.invoice, &key).await {
            Ok(_) => paid += 1,
            // Declined again, or paid or voided meanwhile: what Stripe holds is stored below.
            Err(error) if error.is_refusal() => {
                tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), subscription = %subscription.id, "Stripe did not pay a waiting plan change's invoice");
            }
            Err(error) => {
                return Err(error.step("paying a waiting plan change's invoice in Stripe"))
            }
        }
        subscriptions::refresh_unheld(db, stripe, &subscription.id).await?;
    }
    Ok(paid)
}

/// The subscription, if its price may be swapped for `price_id`: a live subscription, and a
/// recurring price for sale other than the current one.
pub(super) async fn changeable(
    state: &AppState,
    payer: &Payer,
    subscription_id: &str,
    price_id: &str,
) -> Result<Owned, BillingError> {
    let owned = owned(state, payer, subscription_id).await?;
    if !owned.status.is_live() {
        return Err(BillingError::NotNow(
            "Only an active subscription can change plans.",
        ));
    }
    if owned.price_id == price_id {
        return Err(BillingError::NotNow("You are on this plan already."));
    }
    let catalog = state
        .catalog
        .get(&state.db)
        .await
        .step("loading the catalog")?;
    match catalog.find_price(price_id) {
        Some((_, price))
            if price.recurring.is_some()
                && owned
                    .currency
                    .as_deref()
                    .is_none_or(|c| c == price.currency) =>
        {
            Ok(owned)
        }
        _ => Err(BillingError::PriceUnavailable),
    }
}

async fn update(
    state: &AppState,
    subscription_id: &str,
    form: Form,
    action: &str,
) -> Result<(), BillingError> {
    // Each click is its own request (cancel, resume, cancel again must all happen); our retries
    // of this one call reuse the key.
    let key = format!("tollgate-{action}-{subscription_id}-{}", Uuid::new_v4());
    state
        .stripe
        .update_subscription(subscription_id, &form, &key)
        .await
        .step("updating the subscription in Stripe")?;
    store_latest(state, subscription_id).await
}

/// Re-fetches and stores the subscription, so the next page shows the change.
pub(super) async fn store_latest(
    state: &AppState,
    subscription_id: &str,
) -> Result<(), BillingError> {
    let mut tx = state
        .db
        .begin()
        .await
        .step("starting the transaction storing the subscription")?;
    subscriptions::refresh(&mut tx, &state.stripe, subscription_id).await?;
    tx.commit()
        .await
        .step("committing the stored subscription")?;
    Ok(())
}
