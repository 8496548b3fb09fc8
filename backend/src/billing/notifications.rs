//! Billing emails: a failed payment, a trial about to end, a subscription that ended.
//!
//! Each is recorded in `billing_notifications` inside the transaction of the event that causes
//! it, keyed by what it is about, so a duplicate, replayed or re-ordered event never mails twice.
//! The mail is built there and sent once the transaction has committed.

use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{
    entitlements::Access,
    money::{format_amount, format_date},
    BillingError,
};
use crate::{
    auth::EmailAddress,
    mail::{billing as messages, Mail},
};

/// Builds the "payment failed" mail for an invoice's latest failed attempt, unless it was sent.
pub async fn payment_failed(
    conn: &mut PgConnection,
    base_url: &url::Url,
    invoice_id: &str,
) -> Result<Option<Mail>, BillingError> {
    let Some(invoice) = sqlx::query!(
        r#"
        SELECT user_id, subscription_id, amount_remaining, currency, attempt_count, status,
               hosted_invoice_url
        FROM invoices WHERE id = $1
        "#,
        invoice_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    // Paid (or voided) meanwhile: nothing to ask of the user.
    if invoice.status != "open" {
        return Ok(None);
    }
    let subject = format!("{invoice_id}#{}", invoice.attempt_count);
    let Some(to) = claim(conn, "payment_failed", &subject, invoice.user_id).await? else {
        return Ok(None);
    };
    let plan = match &invoice.subscription_id {
        Some(subscription) => plan_name(conn, subscription).await?,
        None => "Tollgate".to_owned(),
    };
    Ok(Some(messages::payment_failed(
        &to,
        &plan,
        &format_amount(invoice.amount_remaining, &invoice.currency),
        &link(base_url, "/account"),
        invoice.hosted_invoice_url.as_deref(),
    )))
}

/// Builds the "trial ending" mail for a trialing subscription, once per trial end date.
pub async fn trial_ending(
    conn: &mut PgConnection,
    base_url: &url::Url,
    subscription_id: &str,
) -> Result<Option<Mail>, BillingError> {
    let Some(subscription) = sqlx::query!(
        r#"
        SELECT user_id, status, trial_end, (cancel_at_period_end OR cancel_at IS NOT NULL) AS "ends!"
        FROM subscriptions WHERE id = $1
        "#,
        subscription_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let Some(trial_end) = subscription
        .trial_end
        .filter(|_| subscription.status == "trialing")
    else {
        return Ok(None);
    };
    let subject = format!("{subscription_id}#{}", trial_end.unix_timestamp());
    let Some(to) = claim(conn, "trial_ending", &subject, subscription.user_id).await? else {
        return Ok(None);
    };
    let plan = plan_name(conn, subscription_id).await?;
    Ok(Some(messages::trial_ending(
        &to,
        &plan,
        &format_date(trial_end),
        &link(base_url, "/account"),
        !subscription.ends,
    )))
}

/// Builds the "subscription ended" mail, once per subscription.
pub async fn canceled(
    conn: &mut PgConnection,
    base_url: &url::Url,
    subscription_id: &str,
) -> Result<Option<Mail>, BillingError> {
    let Some(row) = sqlx::query!(
        r#"
        SELECT s.user_id, s.status, s.past_due_since, s.ended_at, s.trial_end,
               s.cancellation_reason, COALESCE(li.status = 'paid', false) AS "latest_invoice_paid!",
               (SELECT max(current_period_end) FROM subscription_items
                WHERE subscription_id = s.id) AS current_period_end
        FROM subscriptions s LEFT JOIN invoices li ON li.id = s.latest_invoice_id
        WHERE s.id = $1 AND s.status = 'canceled'
        "#,
        subscription_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let Some(to) = claim(conn, "canceled", subscription_id, row.user_id).await? else {
        return Ok(None);
    };
    // Canceled early but paid through the period: say until when it stays.
    let paid_until = row.current_period_end.filter(|&period_end| {
        Access {
            status: row.status,
            past_due_since: row.past_due_since,
            ended_at: row.ended_at,
            trial_end: row.trial_end,
            cancellation_reason: row.cancellation_reason,
            latest_invoice_paid: row.latest_invoice_paid,
            current_period_end: period_end,
        }
        .grants(OffsetDateTime::now_utc(), Duration::ZERO)
    });
    let plan = plan_name(conn, subscription_id).await?;
    Ok(Some(messages::subscription_canceled(
        &to,
        &plan,
        &link(base_url, "/pricing"),
        paid_until.map(format_date).as_deref(),
    )))
}

/// Records that `kind` about `subject` is being sent; returns the user's address, or `None` when
/// it was sent before.
async fn claim(
    conn: &mut PgConnection,
    kind: &str,
    subject: &str,
    user_id: Uuid,
) -> Result<Option<EmailAddress>, BillingError> {
    let first = sqlx::query!(
        r#"
        INSERT INTO billing_notifications (kind, subject_id, user_id) VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING
        "#,
        kind,
        subject,
        user_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !first {
        return Ok(None);
    }
    let email = sqlx::query_scalar!("SELECT email FROM users WHERE id = $1", user_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Some(EmailAddress::from_stored(email)))
}

/// The names of the products a subscription bills, e.g. `Pro`.
async fn plan_name(conn: &mut PgConnection, subscription_id: &str) -> Result<String, BillingError> {
    let names = sqlx::query_scalar!(
        r#"
        SELECT COALESCE(p.name, i.product_id) AS "name!"
        FROM subscription_items i LEFT JOIN stripe_products p ON p.id = i.product_id
        WHERE i.subscription_id = $1 ORDER BY i.id
        "#,
        subscription_id
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(if names.is_empty() {
        "Tollgate".to_owned()
    } else {
        names.join(" + ")
    })
}

fn link(base_url: &url::Url, path: &str) -> url::Url {
    base_url.join(path).expect("a path joins onto the base URL")
}
