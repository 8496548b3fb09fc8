//! Checkout: starting a Checkout Session for a price, and applying a finished one — the same code
//! for the `checkout.session.*` webhooks and the success page, so the user sees their plan even
//! when the webhook has not arrived yet.

use sqlx::PgConnection;
use uuid::Uuid;

use super::{customers, purchases, subscriptions, BillingError};
use crate::{
    auth::User,
    stripe::{objects::CheckoutSession, Form, StripeClient},
    AppState,
};

/// Creates a Checkout Session for `price_id` and returns the hosted page's URL.
///
/// Subscription mode for recurring prices (with the price's trial), payment mode for one-time
/// ones. Refused when the user already holds a subscription to the product.
pub async fn start(state: &AppState, user: &User, price_id: &str) -> Result<String, BillingError> {
    let catalog = state.catalog.get(&state.db).await?;
    let (product, price) = catalog
        .find_price(price_id)
        .ok_or(BillingError::PriceUnavailable)?;
    let recurring = price.recurring.is_some();
    if recurring
        && subscriptions::held_by(&state.db, user.id)
            .await?
            .iter()
            .any(|held| held.product_id == product.id)
    {
        return Err(BillingError::AlreadySubscribed);
    }
    let customer = customers::ensure(state, user).await?;
    let base = state.config.base_url.as_str().trim_end_matches('/');
    let mut form = Form::new()
        .set("mode", if recurring { "subscription" } else { "payment" })
        .set("customer", &customer)
        .set("client_reference_id", user.id)
        .set("line_items[0][price]", &price.id)
        .set("line_items[0][quantity]", 1)
        .set(
            "success_url",
            format!("{base}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}"),
        )
        .set("cancel_url", format!("{base}/pricing"))
        .set("allow_promotion_codes", true)
        .set("billing_address_collection", "required")
        .set("customer_update[address]", "auto")
        .set("metadata[user_id]", user.id);
    if recurring {
        form = form
            .set_some(
                "subscription_data[trial_period_days]",
                price.trial_period_days,
            )
            .set("subscription_data[metadata][user_id]", user.id);
    }
    // A fresh key per attempt: our own retries of this call reuse it; a second click makes a
    // second (harmless, expiring) session for the same customer.
    let session = state
        .stripe
        .create_checkout_session(&form, &Uuid::new_v4().to_string())
        .await?;
    session.url.ok_or_else(|| {
        anyhow::anyhow!(
            "Stripe returned Checkout Session {} without a URL",
            session.id
        )
        .into()
    })
}

/// What a Checkout Session came to, for the success page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not paid yet: the session is still open, or the payment is processing.
    Pending,
    /// The session expired unpaid.
    Expired,
    /// A subscription now exists, in this status.
    Subscribed {
        /// The product subscribed to.
        product_name: String,
        /// Stripe's status (`trialing`, `active`, `incomplete`, …).
        status: String,
    },
    /// A one-time purchase.
    Purchased {
        /// What was bought.
        description: String,
        /// Whether the payment has arrived (else it is processing).
        paid: bool,
    },
}

/// For the success page: fetches the session from Stripe, checks it is this user's, applies it.
pub async fn confirm(
    state: &AppState,
    user: &User,
    session_id: &str,
) -> Result<Outcome, BillingError> {
    if !session_id.starts_with("cs_") {
        return Err(BillingError::NotFound);
    }
    let session = match state.stripe.checkout_session(session_id).await {
        Ok(session) => session,
        Err(error) if error.is_not_found() => return Err(BillingError::NotFound),
        Err(error) => return Err(error.into()),
    };
    let customer = customers::find(&state.db, user.id).await?;
    if customer.is_none() || session.customer != customer {
        return Err(BillingError::NotFound);
    }
    let mut tx = state.db.begin().await?;
    let outcome = apply(&mut tx, &state.stripe, &session).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Applies a Checkout Session (fetched fresh, with `subscription` and `line_items` expanded):
/// stores the subscription it created or records the purchase. Idempotent.
pub async fn apply(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    session: &CheckoutSession,
) -> Result<Outcome, BillingError> {
    match session.status.as_deref() {
        Some("complete") => {}
        Some("expired") => return Ok(Outcome::Expired),
        _ => return Ok(Outcome::Pending),
    }
    let Some(user_id) = owner(conn, session).await? else {
        tracing::warn!(session = %session.id, "ignored a Checkout Session that is not one of our users'");
        return Ok(Outcome::Pending);
    };
    if session.mode == "subscription" {
        let Some(subscription) = &session.subscription else {
            return Ok(Outcome::Pending);
        };
        let Some(subscription) = subscriptions::refresh(conn, stripe, subscription.id()).await?
        else {
            return Ok(Outcome::Pending);
        };
        let product_name = subscription
            .items
            .data
            .first()
            .map(|item| product_name(session, &item.price.product))
            .unwrap_or_default();
        return Ok(Outcome::Subscribed {
            product_name,
            status: subscription.status,
        });
    }
    let Some(line) = session
        .line_items
        .as_ref()
        .and_then(|lines| lines.data.first())
    else {
        return Err(anyhow::anyhow!("Checkout Session {} has no line items", session.id).into());
    };
    let Some(price) = &line.price else {
        return Err(
            anyhow::anyhow!("Checkout Session {} has a line without a price", session.id).into(),
        );
    };
    let description = line
        .description
        .clone()
        .unwrap_or_else(|| product_name(session, &price.product));
    let paid = session.payment_status == "paid";
    purchases::record(
        conn,
        &purchases::NewPurchase {
            checkout_session_id: &session.id,
            user_id,
            price_id: &price.id,
            product_id: &price.product,
            description: &description,
            amount: line.amount_total,
            currency: &line.currency,
            paid,
        },
    )
    .await?;
    Ok(Outcome::Purchased { description, paid })
}

/// The user a session belongs to: the owner of its customer (every session we create names the
/// user's customer; a session without one was not made by this app).
async fn owner(
    conn: &mut PgConnection,
    session: &CheckoutSession,
) -> Result<Option<Uuid>, sqlx::Error> {
    match &session.customer {
        Some(customer) => customers::owner(conn, customer).await,
        None => Ok(None),
    }
}

/// A product's name from the session's line items (the description Stripe gives each line).
fn product_name(session: &CheckoutSession, product_id: &str) -> String {
    session
        .line_items
        .as_ref()
        .and_then(|lines| {
            lines.data.iter().find(|line| {
                line.price
                    .as_ref()
                    .is_some_and(|price| price.product == product_id)
            })
        })
        .and_then(|line| line.description.clone())
        .unwrap_or_else(|| product_id.to_owned())
}
