//! Checkout: starting a Checkout Session for a price, and applying a finished one — the same code
//! for the `checkout.session.*` webhooks and the success page, so the user sees their plan even
//! when the webhook has not arrived yet.

use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    customers,
    follow_ups::{self, FollowUp},
    payer::Payer,
    purchases::{self, PurchaseStatus},
    subscriptions,
    trials::{self, Offer},
    BillingError, Step, SubscriptionStatus,
};
use crate::{
    stripe::{
        objects::{CheckoutSession, Subscription},
        Form, StripeClient,
    },
    AppState,
};

/// Creates a Checkout Session for `price_id` and returns the hosted page's URL.
///
/// Subscription mode for recurring prices (with the price's trial, if [`trials::offer`] allows
/// one), payment mode for one-time ones; a per-seat price starts with as many seats as the
/// organization has members. Refused when the payer already holds a subscription, or when the
/// actor does not manage the payer's billing.
#[tracing::instrument(skip_all, fields(account_id = %payer.account_id(), price = price_id))]
pub async fn start(
    state: &AppState,
    payer: &Payer,
    price_id: &str,
) -> Result<String, BillingError> {
    if !payer.manages_billing() {
        return Err(BillingError::NotOwner);
    }
    let account_id = payer.account_id();
    let catalog = state
        .catalog
        .get(&state.db)
        .await
        .step("loading the catalog")?;
    let (product, price) = catalog
        .find_price(price_id)
        .ok_or(BillingError::PriceUnavailable)?;
    let seats = match &payer.organization {
        Some(acting) if product.per_seat => {
            crate::organizations::member_count(&state.db, acting.organization_id)
                .await
                .step("counting the organization's members")?
        }
        _ => 1,
    };
    let recurring = price.recurring.is_some();
    // One subscription per user: a second plan is a plan change (the account page), never a second
    // Checkout that would bill twice.
    if recurring
        && !subscriptions::held_by(&state.db, account_id)
            .await
            .step("finding the plans the user holds")?
            .is_empty()
    {
        return Err(BillingError::AlreadySubscribed);
    }
    let customer = customers::ensure(state, payer).await?;
    let base = state.config.base_url.as_str().trim_end_matches('/');
    let mut form = Form::new()
        .set("mode", if recurring { "subscription" } else { "payment" })
        .set("customer", &customer)
        .set("client_reference_id", account_id)
        .set("line_items[0][price]", &price.id)
        // A metered price bills the usage: Stripe takes no quantity for it.
        .set_some("line_items[0][quantity]", (!price.metered).then_some(seats))
        .set(
            "success_url",
            format!("{base}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}"),
        )
        // A credit pack is bought from the account page's usage, and goes back there.
        .set(
            "cancel_url",
            if product.credits.is_some() {
                format!("{base}/account#billing")
            } else {
                format!("{base}/pricing")
            },
        )
        .set("billing_address_collection", "required")
        .set("customer_update[address]", "auto")
        .set("metadata[account_id]", account_id);
    if state.config.checkout_promotion_codes {
        form = form.set("allow_promotion_codes", true);
    }
    if state.config.automatic_tax {
        form = form.set("automatic_tax[enabled]", true);
    }
    if state.config.automatic_tax || payer.organization.is_some() {
        // A business's tax id goes on its customer, whose name Checkout may then update to the
        // business's (Stripe requires allowing it).
        form = form
            .set("tax_id_collection[enabled]", true)
            .set("customer_update[name]", "auto");
    }
    if recurring {
        // One free trial per person: not again for this account, nor for its address after a
        // deletion; without a card only from a confirmed address.
        let offer = match price.trial_period_days {
            Some(_) => trials::offer(state, payer).await?,
            None => Offer::None,
        };
        let trial = price.trial_period_days.filter(|_| offer.has_trial());
        form = form
            .set_some("subscription_data[trial_period_days]", trial)
            .set("subscription_data[metadata][account_id]", account_id);
        if offer == Offer::WithoutCard {
            // A free trial needs no card; one that ends without a card pauses until one is
            // added (and `paused` resumes it then).
            form = form.set("payment_method_collection", "if_required").set(
                "subscription_data[trial_settings][end_behavior][missing_payment_method]",
                "pause",
            );
        }
    }
    // For a subscription, clicks (and tabs) within the same ten minutes get the same session
    // back from Stripe, so there is one page to pay; and once one subscription checkout
    // completes, `apply` expires the customer's other open ones. A one-time price may be bought
    // again, so each attempt gets its own key.
    let key = if recurring {
        let bucket = time::OffsetDateTime::now_utc().unix_timestamp() / 600;
        // What is sent is part of the key: the same request converges, another (no trial any
        // more, a changed address) is a new one rather than Stripe's idempotency error.
        format!(
            "tollgate-checkout-{}-{}-{bucket}-{}",
            account_id,
            price.id,
            form.fingerprint()
        )
    } else {
        Uuid::new_v4().to_string()
    };
    let create = |key: String| {
        let form = &form;
        async move {
            match state.stripe.create_checkout_session(form, &key).await {
                Ok(session) => Ok(session),
                // The cached catalog was a moment behind Stripe: the price was just archived.
                Err(error) if error.is_invalid_price() => Err(BillingError::PriceUnavailable),
                Err(error) => Err(error.step("creating the Checkout Session in Stripe")),
            }
        }
    };
    let mut session = create(key.clone()).await?;
    if recurring {
        // The key may have replayed an earlier click's session that has since expired or been
        // paid (Stripe answers with the session as it was then).
        match state.stripe.checkout_session(&session.id).await {
            // Expired unpaid: the next one, under a key every tab derives alike.
            Ok(current) if current.status.as_deref() == Some("expired") => {
                session = create(format!("{key}-after-{}", session.id)).await?;
            }
            // Paid in another tab a moment ago and not stored yet: store it now, and sell no
            // second subscription.
            Ok(current) if current.status.as_deref() == Some("complete") => {
                let mut tx = state
                    .db
                    .begin()
                    .await
                    .step("starting the transaction applying the paid session")?;
                super::lock_object(&mut tx, &current.id)
                    .await
                    .step("locking the Checkout Session")?;
                let (_, then) = refresh_and_apply(&mut tx, &state.stripe, &current).await?;
                tx.commit().await.step("committing the applied session")?;
                let key = &state.config.trial_ledger_key;
                follow_ups::run_all(then, &state.db, &state.stripe, key).await?;
                return Err(BillingError::AlreadySubscribed);
            }
            Ok(_) => {}
            // Checking is a courtesy: the replayed page still works if it is open.
            Err(error) => {
                tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), session = %session.id, "could not check a replayed Checkout Session");
            }
        }
    }
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
        status: SubscriptionStatus,
    },
    /// A one-time purchase.
    Purchased {
        /// What was bought.
        description: String,
        /// Paid, still processing, or failed.
        status: PurchaseStatus,
    },
}

/// For the success page: fetches the session from Stripe, checks it is this user's, applies it
/// under the session's lock (the one the webhook applying it takes).
#[tracing::instrument(skip_all, fields(account_id = %payer.account_id(), session = session_id))]
pub async fn confirm(
    state: &AppState,
    payer: &Payer,
    session_id: &str,
) -> Result<Outcome, BillingError> {
    let well_formed = session_id.len() <= 255
        && session_id.starts_with("cs_")
        && session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !well_formed {
        return Err(BillingError::NotFound);
    }
    let customer = customers::find(&state.db, payer.account_id())
        .await
        .step("finding the account's Stripe customer")?;
    if customer.is_none() {
        return Err(BillingError::NotFound);
    }
    let mut tx = state
        .db
        .begin()
        .await
        .step("starting the transaction applying the session")?;
    // Locked before it is fetched, as the webhook applying the same session does: whichever
    // comes second stores what Stripe says then.
    super::lock_object(&mut tx, session_id)
        .await
        .step("locking the Checkout Session")?;
    let session = match state.stripe.checkout_session(session_id).await {
        Ok(session) => session,
        Err(error) if error.is_not_found() => return Err(BillingError::NotFound),
        Err(error) => return Err(error.step("fetching the Checkout Session from Stripe")),
    };
    if session.customer != customer {
        return Err(BillingError::NotFound);
    }
    let (mut outcome, then) = refresh_and_apply(&mut tx, &state.stripe, &session).await?;
    tx.commit().await.step("committing the applied session")?;
    let key = &state.config.trial_ledger_key;
    for follow_up in then {
        if let Some(settled) = follow_up.run(&state.db, &state.stripe, key).await? {
            if let Outcome::Subscribed { status, .. } = &mut outcome {
                *status = settled.status;
            }
        }
    }
    Ok(outcome)
}

/// Re-fetches and stores the subscription a paid Checkout Session created (under its lock), then
/// applies the session ([`apply`]). The caller holds the session's lock.
async fn refresh_and_apply(
    conn: &mut PgConnection,
    stripe: &StripeClient,
    session: &CheckoutSession,
) -> Result<(Outcome, Vec<FollowUp>), BillingError> {
    let subscription = match &session.subscription {
        Some(subscription) => subscriptions::refresh(conn, stripe, subscription.id()).await?,
        None => None,
    };
    apply(conn, session, subscription, false).await
}

/// Applies a Checkout Session (fetched fresh, with `subscription` and `line_items` expanded),
/// given the subscription it created as the caller stored it (`None`: none, or not ours), or
/// records the purchase; with what is to follow once committed ([`FollowUp`]: the trial checked
/// against the ledger, the customer's other Checkout Sessions expired). `payment_failed` is set
/// for `checkout.session.async_payment_failed` (the session alone does not tell a failed bank
/// debit from one still processing). Idempotent.
pub async fn apply(
    conn: &mut PgConnection,
    session: &CheckoutSession,
    subscription: Option<Subscription>,
    payment_failed: bool,
) -> Result<(Outcome, Vec<FollowUp>), BillingError> {
    match session.status.as_deref() {
        Some("complete") => {}
        Some("expired") => return Ok((Outcome::Expired, Vec::new())),
        _ => return Ok((Outcome::Pending, Vec::new())),
    }
    let Some(account_id) = owner(conn, session)
        .await
        .step("finding the Checkout Session's owner")?
    else {
        tracing::warn!(session = %session.id, "ignored a Checkout Session that is not one of our users'");
        return Ok((Outcome::Pending, Vec::new()));
    };
    if session.mode == "subscription" {
        let Some(subscription) = subscription else {
            return Ok((Outcome::Pending, Vec::new()));
        };
        // Two tabs paid for two plans within seconds, before either could expire the other: the
        // account page asks the user to cancel one; operators see it here.
        let held = subscriptions::held_by(&mut *conn, account_id)
            .await
            .step("listing the plans the user holds")?;
        let mut live: Vec<&str> = held
            .iter()
            .map(|plan| plan.subscription_id.as_str())
            .collect();
        live.dedup();
        if live.len() > 1 {
            tracing::warn!(%account_id, subscriptions = ?live, "a user holds more than one subscription");
        }
        let product_name = subscription
            .items
            .data
            .first()
            .map(|item| product_name(session, &item.price.product))
            .unwrap_or_default();
        let status = subscription.status;
        let mut then = vec![FollowUp::SettleTrial(Box::new(subscription))];
        if let Some(customer) = &session.customer {
            then.push(FollowUp::ExpireOtherCheckouts {
                customer: customer.clone(),
                done: session.id.clone(),
            });
        }
        return Ok((
            Outcome::Subscribed {
                product_name,
                status,
            },
            then,
        ));
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
    let status = purchase_status(&session.payment_status, payment_failed);
    purchases::record(
        conn,
        &purchases::NewPurchase {
            checkout_session_id: &session.id,
            account_id,
            price_id: &price.id,
            product_id: &price.product,
            description: &description,
            amount: line.amount_total,
            currency: &line.currency,
            status,
            payment_intent_id: session.payment_intent.as_deref(),
        },
    )
    .await
    .step("recording the purchase")?;
    Ok((
        Outcome::Purchased {
            description,
            status,
        },
        Vec::new(),
    ))
}

/// What a payment-mode session's `payment_status` means for the purchase. `failed`: Stripe said
/// `checkout.session.async_payment_failed`. `no_payment_required`: a 100 %-off promotion code.
fn purchase_status(payment_status: &str, failed: bool) -> PurchaseStatus {
    match payment_status {
        "paid" | "no_payment_required" => PurchaseStatus::Paid,
        _ if failed => PurchaseStatus::Failed,
        _ => PurchaseStatus::Pending,
    }
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

/// Expires the customer's other open Checkout Sessions once one subscription checkout is done,
/// so a second tab cannot start a second subscription. Best effort: a failure is logged.
pub(super) async fn expire_other_sessions(stripe: &StripeClient, customer: &str, done: &str) {
    let open = match stripe.open_checkout_sessions(customer).await {
        Ok(open) => open,
        Err(error) => {
            tracing::warn!(%error, customer, "could not list open Checkout Sessions");
            return;
        }
    };
    for session in open
        .iter()
        .filter(|s| s.id != done && s.mode == "subscription")
    {
        if let Err(error) = stripe.expire_checkout_session(&session.id).await {
            tracing::warn!(%error, session = %session.id, "could not expire a Checkout Session");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purchase_is_paid_pending_or_failed_as_stripe_reports_its_session() {
        assert_eq!(purchase_status("paid", false), PurchaseStatus::Paid);
        assert_eq!(
            purchase_status("no_payment_required", false),
            PurchaseStatus::Paid
        );
        assert_eq!(
            purchase_status("unpaid", false),
            PurchaseStatus::Pending,
            "a bank debit in flight"
        );
        assert_eq!(purchase_status("unpaid", true), PurchaseStatus::Failed);
        assert_eq!(
            purchase_status("paid", true),
            PurchaseStatus::Paid,
            "Stripe's session wins"
        );
    }
}
