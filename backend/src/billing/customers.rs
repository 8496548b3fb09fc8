//! One Stripe customer per billing account (a person's, or an organization's), created exactly once: double clicks, retries, two tabs and two
//! replicas all end up with the same `cus_…`.
//!
//! One request per account at a time (per replica) goes on to create it, waiting in memory
//! rather than holding a pooled connection; the row is created under an advisory lock on the
//! account (which orders replicas), and the Stripe call carries an
//! idempotency key derived from the account id and what is sent, so even a crash between Stripe's
//! answer and our commit does not make a second customer (Stripe replays the first answer for 24
//! hours).

use sqlx::PgExecutor;
use uuid::Uuid;

use super::{payer::Payer, BillingError, Step};
use crate::{
    stripe::{Form, StripeClient, StripeError},
    AppState,
};

/// The billing account's Stripe customer id, if it has one.
pub async fn find(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT stripe_customer_id FROM billing_customers WHERE account_id = $1",
        account_id
    )
    .fetch_optional(db)
    .await
}

/// The billing account a Stripe customer belongs to.
pub async fn owner(db: impl PgExecutor<'_>, customer: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT account_id FROM billing_customers WHERE stripe_customer_id = $1",
        customer
    )
    .fetch_optional(db)
    .await
}

/// The id of the payment method the customer's invoices are charged to
/// (`invoice_settings.default_payment_method`), if any; `None` for a customer Stripe deleted.
pub async fn default_payment_method(
    stripe: &StripeClient,
    customer: &str,
) -> Result<Option<String>, StripeError> {
    match stripe.customer(customer).await {
        Ok(found) => Ok(found
            .invoice_settings
            .and_then(|settings| settings.default_payment_method)
            .map(|method| method.id().to_owned())),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// Forgets a customer Stripe deleted, remembering it was the user's (see [`ensure`]'s key), so
/// the user's next purchase creates a new one.
pub async fn forget_deleted(
    conn: &mut sqlx::PgConnection,
    customer: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        WITH gone AS (
            DELETE FROM billing_customers WHERE stripe_customer_id = $1
            RETURNING account_id, stripe_customer_id
        )
        INSERT INTO deleted_billing_customers (stripe_customer_id, account_id)
        SELECT stripe_customer_id, account_id FROM gone
        ON CONFLICT DO NOTHING
        "#,
        customer
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The payer's Stripe customer, created in Stripe (and recorded) the first time: named for the
/// organization (so its invoices name the company) or the person, with the acting person's
/// address.
pub async fn ensure(state: &AppState, payer: &Payer) -> Result<String, BillingError> {
    let account_id = payer.account_id();
    let user = &payer.actor;
    if let Some(id) = find(&state.db, account_id)
        .await
        .step("finding the account's Stripe customer")?
    {
        return Ok(id);
    }
    // One of this user's requests at a time goes on to hold a connection (see `waiting`).
    let _turn = state
        .turns
        .take(format!("billing_customer:{account_id}"))
        .await;
    if let Some(id) = find(&state.db, account_id)
        .await
        .step("finding the account's Stripe customer after waiting")?
    {
        return Ok(id);
    }
    let mut tx = state
        .db
        .begin()
        .await
        .step("starting the transaction creating the customer")?;
    super::lock_object(&mut tx, &format!("billing_customer:{account_id}"))
        .await
        .step("locking the account's customer creation")?;
    if let Some(id) = find(&mut *tx, account_id)
        .await
        .step("finding the account's Stripe customer under its lock")?
    {
        return Ok(id);
    }
    let form = Form::new()
        .set("email", user.email.as_str())
        .set_some("name", payer.name())
        .set("metadata[account_id]", account_id)
        .set_some(
            "metadata[organization_id]",
            payer
                .organization
                .as_ref()
                .map(|acting| acting.organization_id),
        );
    // The key names the user, what we send and how many of their customers were deleted before:
    // a retry after a crash gets the same customer back; a retry after the user changed their
    // name is a new request (Stripe would refuse the old key with other parameters); and after
    // their customer was deleted Stripe cannot replay the deleted one's creation.
    let deleted_before = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM deleted_billing_customers WHERE account_id = $1"#,
        account_id
    )
    .fetch_one(&mut *tx)
    .await
    .step("counting the account's deleted customers")?;
    let key = format!(
        "tollgate-customer-for-account-{}-{}-{deleted_before}",
        account_id,
        form.fingerprint()
    );
    let customer = state
        .stripe
        .create_customer(&form, &key)
        .await
        .step("creating the customer in Stripe")?;
    sqlx::query!(
        "INSERT INTO billing_customers (account_id, stripe_customer_id) VALUES ($1, $2)",
        account_id,
        customer.id
    )
    .execute(&mut *tx)
    .await
    .step("recording the new customer")?;
    tx.commit().await.step("committing the new customer")?;
    tracing::info!(%account_id, customer = %customer.id, "created the Stripe customer");
    Ok(customer.id)
}
