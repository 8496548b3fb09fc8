//! The billing emails, each caused by a real emulator event: a failed payment (once per failed
//! attempt), a trial about to end, a subscription that ended — each mailed once however often,
//! and under however many event ids, Stripe tells us.

use backend::billing::money::format_date;
use serde_json::Value;
use time::OffsetDateTime;

use super::{
    deliver, event, eventually,
    payment::GOOD_CARD,
    subscriber::{
        advance_days, confirm, events_of, last_event, paid_with, subscribed, FAILING_CARD,
    },
};
use crate::helpers::{link_in, TestApp};

/// Delivers `event` three times: as it is, again (a duplicate), and as a new event with the same
/// object (Stripe's own events repeat news, e.g. `invoice.updated` after `invoice.finalized`).
async fn deliver_thrice(app: &TestApp, event_to_repeat: &Value) {
    let (status, answer) = deliver(app, event_to_repeat).await;
    assert_eq!((status, answer.as_str()), (200, "applied"));
    let (status, answer) = deliver(app, event_to_repeat).await;
    assert!(status == 200 && answer.starts_with("duplicate"), "{answer}");
    let kind = event_to_repeat["type"].as_str().unwrap();
    let copy = event(kind, event_to_repeat["data"]["object"].clone());
    let (status, answer) = deliver(app, &copy).await;
    assert_eq!((status, answer.as_str()), (200, "applied"));
}

/// The billing emails of `kind` queued so far, and how many of them are still unsent.
pub async fn queued(app: &TestApp, kind: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL) \
         FROM billing_notifications WHERE kind = $1",
    )
    .bind(kind)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// Waits until `n` mails of `kind` are queued and every one is sent (sending runs in the
/// background once the webhook is answered).
pub async fn all_sent(app: &TestApp, kind: &str, n: i64) {
    let settled = eventually(10, || async { queued(app, kind).await == (n, 0) }).await;
    assert!(settled, "{kind}: {:?}", queued(app, kind).await);
}

/// A unix time as the emails write dates.
fn day(unix: &Value) -> String {
    format_date(OffsetDateTime::from_unix_timestamp(unix.as_i64().unwrap()).unwrap())
}

#[tokio::test]
async fn a_failed_renewal_mails_a_link_to_the_account_page_once_per_failed_attempt() {
    let (app, stripe, ada) = paid_with(false, "tollgate_pro_monthly", FAILING_CARD).await;
    confirm(&app, &app.client, &ada).await;
    advance_days(&stripe, 15).await;
    let failed = last_event(&stripe, "invoice.payment_failed", &ada.subscription).await;

    deliver_thrice(&app, &failed).await;

    let (subject, text, html) = app.mail_to("ada@example.com", 1).await;
    assert_eq!(subject, "Payment failed for your Tollgate Pro plan");
    assert!(text.contains("We could not charge $29"), "{text}");
    assert_eq!(link_in(&text), "/account");
    assert!(
        html.contains(r#"href="http://tollgate.test/account""#),
        "{html}"
    );
    all_sent(&app, "payment_failed", 1).await;
    assert_eq!(app.mail_count("ada@example.com").await, 1);

    // Stripe retries the card three days later: another failure, another mail.
    advance_days(&stripe, 3).await;
    let retries = events_of(&stripe, "invoice.payment_failed", &ada.subscription).await;
    assert_eq!(retries.len(), 2);
    assert_eq!(retries[1]["data"]["object"]["attempt_count"], 2);
    deliver_thrice(&app, &retries[1]).await;
    assert_eq!(app.mail_to("ada@example.com", 2).await.0, subject);
    all_sent(&app, "payment_failed", 2).await;
    assert_eq!(app.mail_count("ada@example.com").await, 2);
}

#[tokio::test]
async fn a_trial_about_to_end_is_mailed_once_with_its_end_date() {
    let (app, stripe, ada) = subscribed("tollgate_pro_monthly").await;
    advance_days(&stripe, 12).await;
    let notice = last_event(
        &stripe,
        "customer.subscription.trial_will_end",
        &ada.subscription,
    )
    .await;

    deliver_thrice(&app, &notice).await;

    let ends_on = day(&notice["data"]["object"]["trial_end"]);
    let (subject, text, _) = app.mail_to("ada@example.com", 1).await;
    assert_eq!(
        subject,
        format!("Your Tollgate Pro trial ends on {ends_on}")
    );
    assert!(
        text.contains(&format!(
            "Your free trial of Tollgate Pro ends on {ends_on}."
        )),
        "{text}"
    );
    assert_eq!(link_in(&text), "/account");
    all_sent(&app, "trial_ending", 1).await;
    assert_eq!(app.mail_count("ada@example.com").await, 1);
}

#[tokio::test]
async fn a_canceled_trial_is_mailed_once_that_it_has_ended_with_a_link_to_the_plans() {
    let (app, stripe, ada) = subscribed("tollgate_pro_monthly").await;
    let (status, _) = stripe
        .delete(&format!("/v1/subscriptions/{}", ada.subscription))
        .await;
    assert_eq!(status, 200);
    let deleted = last_event(&stripe, "customer.subscription.deleted", &ada.subscription).await;

    deliver_thrice(&app, &deleted).await;

    let (subject, text, _) = app.mail_to("ada@example.com", 1).await;
    assert_eq!(subject, "Your Tollgate Pro subscription has ended");
    assert!(text.contains("has ended"), "{text}");
    assert!(
        !text.contains("You keep its features"),
        "a trial was never paid for: {text}"
    );
    assert_eq!(link_in(&text), "/pricing");
    all_sent(&app, "canceled", 1).await;
    assert_eq!(app.mail_count("ada@example.com").await, 1);
}

#[tokio::test]
async fn a_paid_plan_canceled_at_once_is_mailed_that_it_stays_until_the_period_ends() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    let db = &app.db;
    let invoice_paid = eventually(10, || async move {
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM subscriptions s JOIN invoices i \
             ON i.id = s.latest_invoice_id WHERE i.status = 'paid')",
        )
        .fetch_one(db)
        .await
        .unwrap()
    })
    .await;
    assert!(invoice_paid, "the webhooks stored the paid first invoice");
    let path = format!("/v1/subscriptions/{}", ada.subscription);
    let period_end = day(&stripe.get(&path).await["items"]["data"][0]["current_period_end"]);

    let (status, _) = stripe.delete(&path).await;

    assert_eq!(status, 200);
    let (subject, text, _) = app.mail_to("ada@example.com", 1).await;
    assert_eq!(subject, "Your Tollgate Hobby subscription has ended");
    assert!(
        text.contains(&format!("You keep its features until {period_end}")),
        "{text}"
    );
    assert_eq!(
        app.get("/dashboard").await.status(),
        200,
        "as the mail says"
    );
}

#[tokio::test]
async fn when_mail_cannot_be_sent_the_event_is_still_applied_and_the_mail_is_retried_until_sent() {
    let (app, stripe, ada) = subscribed("tollgate_pro_monthly").await;
    let (status, _) = stripe
        .delete(&format!("/v1/subscriptions/{}", ada.subscription))
        .await;
    assert_eq!(status, 200);
    let deleted = last_event(&stripe, "customer.subscription.deleted", &ada.subscription).await;
    sqlx::query("ALTER TABLE dev_outbox RENAME TO dev_outbox_gone")
        .execute(&app.db)
        .await
        .unwrap();

    let (status, answer) = deliver(&app, &deleted).await;

    assert_eq!(
        (status, answer.as_str()),
        (200, "applied"),
        "the mail is not the event"
    );
    // The send runs after the answer: wait for its attempt to be recorded.
    let row = || async {
        sqlx::query_as::<_, (bool, i32, Option<String>)>(
            "SELECT sent_at IS NOT NULL, attempts, last_error FROM billing_notifications \
             WHERE kind = 'canceled'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap()
    };
    assert!(
        eventually(10, || async { row().await.2.is_some() }).await,
        "{:?}",
        row().await
    );
    let (sent, attempts, error) = row().await;
    assert_eq!((sent, attempts), (false, 1), "kept for the next try");
    assert!(error.unwrap().contains("dev_outbox"));

    // The mail server is back; when the retry is due, the sender (what the background task runs
    // every minute) delivers it, once.
    sqlx::query("ALTER TABLE dev_outbox_gone RENAME TO dev_outbox")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE billing_notifications SET next_attempt_at = now()")
        .execute(&app.db)
        .await
        .unwrap();
    let database_url = app.database.url().to_string();
    let config = backend::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(database_url.clone()),
        "DEV_MODE" => Some("true".to_owned()),
        "STRIPE_SECRET_KEY" => Some("sk_test_tollgate".to_owned()),
        "STRIPE_WEBHOOK_SECRET" => Some(crate::helpers::WEBHOOK_SECRET.to_owned()),
        _ => None,
    })
    .unwrap();
    let sender = backend::AppState::new(config, app.db.clone()).unwrap();
    let sent_now = backend::billing::notifications::deliver_due(&sender)
        .await
        .unwrap();
    assert_eq!(sent_now, 1);
    let ended: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dev_outbox WHERE to_address = 'ada@example.com' \
         AND subject LIKE '%has ended%'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(ended, 1);
    assert_eq!(
        backend::billing::notifications::deliver_due(&sender)
            .await
            .unwrap(),
        0,
        "sent once"
    );
}
