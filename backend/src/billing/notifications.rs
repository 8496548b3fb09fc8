//! Billing emails: a failed payment, a trial about to end, a trial paused for want of a card, a
//! subscription that ended — through an outbox.
//!
//! Each is rendered and queued in `billing_notifications` inside the transaction of the event that
//! causes it, keyed by what it is about, so a duplicate, replayed or re-ordered event never mails
//! twice. [`deliver_due`] sends what is queued — in the background right after the event commits,
//! and every minute from a background task — and retries a failed send with backoff, so a mail
//! server outage loses nothing and a slow one never holds up Stripe's webhook deliveries.

use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use tracing::Instrument;
use uuid::Uuid;

use super::{
    entitlements::SubscriptionState,
    money::{format_amount, format_date},
    BillingError, Step, SubscriptionStatus,
};
use crate::{
    auth::EmailAddress,
    mail::{
        billing::{self as messages, AfterTrial},
        Mail,
    },
    AppState,
};

/// Queues the "payment failed" mail for an invoice's latest failed attempt, unless it was queued
/// before. Returns whether it was queued now.
pub async fn payment_failed(
    conn: &mut PgConnection,
    base_url: &url::Url,
    invoice_id: &str,
) -> Result<bool, BillingError> {
    let Some(invoice) = sqlx::query!(
        r#"
        SELECT account_id, subscription_id, amount_remaining, currency, attempt_count, status,
               hosted_invoice_url
        FROM invoices WHERE id = $1
        "#,
        invoice_id
    )
    .fetch_optional(&mut *conn)
    .await
    .step("reading the failed invoice")?
    else {
        return Ok(false);
    };
    // Paid (or voided) meanwhile: nothing to ask of the user.
    if invoice.status != "open" {
        return Ok(false);
    }
    let subject = format!("{invoice_id}#{}", invoice.attempt_count);
    let kind = "payment_failed";
    let Some(to) = recipient_unless_queued(conn, kind, &subject, invoice.account_id).await? else {
        return Ok(false);
    };
    let plan = match &invoice.subscription_id {
        Some(subscription) => plan_name(conn, subscription).await?,
        None => "Tollgate".to_owned(),
    };
    let mail = messages::payment_failed(
        &to,
        &plan,
        &format_amount(invoice.amount_remaining, &invoice.currency),
        &link(base_url, "/account"),
        invoice.hosted_invoice_url.as_deref(),
    );
    queue(conn, kind, &subject, invoice.account_id, &mail).await
}

/// Queues the "trial ending" mail for a trialing subscription, once per trial end date.
pub async fn trial_ending(
    conn: &mut PgConnection,
    base_url: &url::Url,
    subscription_id: &str,
) -> Result<bool, BillingError> {
    let Some(subscription) = sqlx::query!(
        r#"
        SELECT account_id, status, trial_end, (cancel_at_period_end OR cancel_at IS NOT NULL) AS "ends!",
               card_last4 IS NOT NULL AS "has_card!"
        FROM subscriptions WHERE id = $1
        "#,
        subscription_id
    )
    .fetch_optional(&mut *conn)
    .await
    .step("reading the trialing subscription")?
    else {
        return Ok(false);
    };
    let status =
        super::status::stored(&subscription.status).step("reading the subscription's status")?;
    let Some(trial_end) = subscription
        .trial_end
        .filter(|_| status == SubscriptionStatus::Trialing)
    else {
        return Ok(false);
    };
    let subject = format!("{subscription_id}#{}", trial_end.unix_timestamp());
    let kind = "trial_ending";
    let Some(to) = recipient_unless_queued(conn, kind, &subject, subscription.account_id).await?
    else {
        return Ok(false);
    };
    let plan = plan_name(conn, subscription_id).await?;
    let after = match (subscription.ends, subscription.has_card) {
        (true, _) => AfterTrial::Ends,
        (false, true) => AfterTrial::Charged,
        // Our Checkout lets a trial start without a card only with Stripe told to pause it.
        (false, false) => AfterTrial::Pauses,
    };
    let mail = messages::trial_ending(
        &to,
        &plan,
        &format_date(trial_end),
        &link(base_url, "/account"),
        after,
    );
    queue(conn, kind, &subject, subscription.account_id, &mail).await
}

/// Queues the "paused: add a card" mail for a trial that ended without a card, once per pause.
pub async fn trial_paused(
    conn: &mut PgConnection,
    base_url: &url::Url,
    subscription_id: &str,
) -> Result<bool, BillingError> {
    let Some(subscription) = sqlx::query!(
        r#"
        SELECT account_id, (SELECT min(current_period_start) FROM subscription_items
                         WHERE subscription_id = s.id) AS period_start
        FROM subscriptions s WHERE id = $1 AND status = 'paused'
        "#,
        subscription_id
    )
    .fetch_optional(&mut *conn)
    .await
    .step("reading the paused subscription")?
    else {
        // Resumed meanwhile (a card came first): nothing to ask.
        return Ok(false);
    };
    let since = subscription
        .period_start
        .map_or(0, OffsetDateTime::unix_timestamp);
    let subject = format!("{subscription_id}#{since}");
    let kind = "trial_paused";
    let Some(to) = recipient_unless_queued(conn, kind, &subject, subscription.account_id).await?
    else {
        return Ok(false);
    };
    let plan = plan_name(conn, subscription_id).await?;
    let mail = messages::trial_paused(&to, &plan, &link(base_url, "/account"));
    queue(conn, kind, &subject, subscription.account_id, &mail).await
}

/// Queues the "subscription ended" mail, once per subscription; `now` is billing time (whether
/// it stays paid for a while depends on it).
pub async fn canceled(
    conn: &mut PgConnection,
    base_url: &url::Url,
    subscription_id: &str,
    now: OffsetDateTime,
) -> Result<bool, BillingError> {
    let Some(row) = sqlx::query!(
        r#"
        SELECT s.account_id, s.status, s.past_due_since, s.ended_at, s.trial_end,
               s.cancellation_reason, COALESCE(li.status = 'paid', false) AS "latest_invoice_paid!",
               (SELECT max(current_period_end) FROM subscription_items
                WHERE subscription_id = s.id) AS current_period_end
        FROM subscriptions s LEFT JOIN invoices li ON li.id = s.latest_invoice_id
        WHERE s.id = $1 AND s.status = 'canceled'
        "#,
        subscription_id
    )
    .fetch_optional(&mut *conn)
    .await
    .step("reading the canceled subscription")?
    else {
        return Ok(false);
    };
    let status = super::status::stored(&row.status).step("reading the subscription's status")?;
    let kind = "canceled";
    let Some(to) = recipient_unless_queued(conn, kind, subscription_id, row.account_id).await?
    else {
        return Ok(false);
    };
    // Canceled early but paid through the period: say until when it stays.
    let paid_until = row.current_period_end.filter(|&period_end| {
        SubscriptionState {
            status,
            past_due_since: row.past_due_since,
            ended_at: row.ended_at,
            trial_end: row.trial_end,
            cancellation_reason: row.cancellation_reason,
            latest_invoice_paid: row.latest_invoice_paid,
            current_period_end: period_end,
        }
        .grants(now, Duration::ZERO)
    });
    let plan = plan_name(conn, subscription_id).await?;
    let mail = messages::subscription_canceled(
        &to,
        &plan,
        &link(base_url, "/pricing"),
        paid_until.map(format_date).as_deref(),
    );
    queue(conn, kind, subscription_id, row.account_id, &mail).await
}

/// The billing account's address (an organization's: its longest-standing owner's), unless `kind` about `subject` was queued before.
async fn recipient_unless_queued(
    conn: &mut PgConnection,
    kind: &str,
    subject: &str,
    account_id: Uuid,
) -> Result<Option<EmailAddress>, BillingError> {
    let queued = sqlx::query_scalar!(
        r#"
        SELECT EXISTS (SELECT 1 FROM billing_notifications WHERE kind = $1 AND subject_id = $2)
            AS "queued!"
        "#,
        kind,
        subject
    )
    .fetch_one(&mut *conn)
    .await
    .step("checking whether the email was queued before")?;
    if queued {
        return Ok(None);
    }
    let email = sqlx::query_scalar!(
        r#"SELECT email AS "email!" FROM billing_contacts WHERE account_id = $1"#,
        account_id
    )
    .fetch_one(&mut *conn)
    .await
    .step("reading the recipient's address")?;
    Ok(Some(EmailAddress::from_stored(email)))
}

/// Puts `mail` in the outbox (once per `kind` and `subject`); whether it was queued now.
pub(crate) async fn queue(
    conn: &mut PgConnection,
    kind: &str,
    subject: &str,
    account_id: Uuid,
    mail: &Mail,
) -> Result<bool, BillingError> {
    Ok(sqlx::query!(
        r#"
        INSERT INTO billing_notifications
            (kind, subject_id, account_id, mail_to, mail_subject, body_text, body_html)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT DO NOTHING
        "#,
        kind,
        subject,
        account_id,
        mail.to.as_str(),
        mail.subject,
        mail.text,
        mail.html
    )
    .execute(&mut *conn)
    .await
    .step("queueing the email")?
    .rows_affected()
        == 1)
}

/// How many sends of one message are tried before it is given up (about two days of backoff).
const MAX_ATTEMPTS: i32 = 17;

/// Sends the queued billing emails that are due, a batch at a time; returns how many were sent.
///
/// Rows are first *claimed* in one short statement (their next attempt pushed ten minutes out,
/// the attempt counted), so no other sender — another replica, another event's delivery — takes
/// them meanwhile; each is then sent outside any transaction and marked on its own. A mail can
/// only be sent twice if the process dies between a send and its mark. A failed send is retried
/// after 1, 2, 4 … minutes, at most 6 hours apart.
pub async fn deliver_due(state: &AppState) -> Result<usize, BillingError> {
    let claimed = sqlx::query!(
        r#"
        UPDATE billing_notifications
        SET next_attempt_at = now() + interval '10 minutes', attempts = attempts + 1
        WHERE (kind, subject_id) IN (
            SELECT kind, subject_id FROM billing_notifications
            WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < $1
            ORDER BY next_attempt_at
            LIMIT 50
            FOR UPDATE SKIP LOCKED
        )
        RETURNING kind, subject_id, mail_to, mail_subject, body_text, body_html, attempts
        "#,
        MAX_ATTEMPTS
    )
    .fetch_all(&state.db)
    .await
    .step("claiming the billing emails due")?;
    let mut sent = 0;
    for row in claimed {
        // One span per email: every line logged while sending it names it.
        let email = tracing::info_span!(
            "deliver_billing_email",
            kind = %row.kind,
            subject = %row.subject_id
        );
        let delivered = async move {
            let mut delivered = false;
            let mail = Mail {
                to: EmailAddress::from_stored(row.mail_to),
                subject: row.mail_subject,
                text: row.body_text,
                html: row.body_html,
            };
            let marked = match state.mailer.send(&mail).await {
                Ok(()) => {
                    delivered = true;
                    sqlx::query!(
                        r#"
                    UPDATE billing_notifications SET sent_at = now(), last_error = NULL
                    WHERE kind = $1 AND subject_id = $2
                    "#,
                        row.kind,
                        row.subject_id
                    )
                    .execute(&state.db)
                    .await
                }
                Err(error) => {
                    let error = anyhow::Error::new(error);
                    if row.attempts >= MAX_ATTEMPTS {
                        tracing::error!(error.cause_chain = ?error, kind = %row.kind, subject = %row.subject_id, "giving up on a billing email");
                    } else {
                        tracing::warn!(error.cause_chain = ?error, kind = %row.kind, subject = %row.subject_id, "sending a billing email failed; it will be retried");
                    }
                    let backoff_minutes = 2_i32.pow((row.attempts - 1).clamp(0, 9) as u32).min(360);
                    sqlx::query!(
                        r#"
                    UPDATE billing_notifications
                    SET last_error = $3, next_attempt_at = now() + make_interval(mins => $4)
                    WHERE kind = $1 AND subject_id = $2
                    "#,
                        row.kind,
                        row.subject_id,
                        format!("{error:#}"),
                        backoff_minutes
                    )
                    .execute(&state.db)
                    .await
                }
            };
            if let Err(error) = marked {
                // The claim stands: the row is tried again once it is due.
                tracing::error!(error.cause_chain = ?anyhow::Error::new(error), kind = %row.kind, subject = %row.subject_id, "could not record a billing email's delivery");
            }
            delivered
        }
        .instrument(email)
        .await;
        sent += usize::from(delivered);
    }
    Ok(sent)
}

/// Sends queued billing emails every minute, for as long as the server runs (the ones queued
/// while the mail server was down, or by a replica that stopped before sending).
pub async fn deliver_forever(state: AppState) {
    let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
    every_minute.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every_minute.tick().await;
        if let Err(error) = deliver_due(&state).await {
            tracing::error!(error.cause_chain = ?anyhow::Error::new(error), "delivering billing emails failed");
        }
    }
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
    .await
    .step("reading the subscription's plan names")?;
    Ok(if names.is_empty() {
        "Tollgate".to_owned()
    } else {
        names.join(" + ")
    })
}

fn link(base_url: &url::Url, path: &str) -> url::Url {
    base_url.join(path).expect("a path joins onto the base URL")
}
