//! A subscription's life as the emulator's clock moves on, with its events delivered to the real
//! app: a trial that ends and is billed, monthly renewals, a failed renewal paid with a new card
//! from the portal or retried until Stripe gives up, cancellation at the period's end (and taking
//! it back), cancellation at once, plan changes with their prorations and downgrades at renewal — each checked in the
//! stored rows, in what the user may open, and in the billing emails. Here: what they share.

mod billing_cycle;
mod cancellation;
mod dunning;
mod plan_changes;
mod scheduled_changes;

use super::{
    eventually,
    subscriber::{expected_from, in_stripe, stored_subscription, StoredSubscription, Subscriber},
    Stripe,
};
use crate::helpers::{form_error, location, TestApp};

/// The subscriber's address.
pub const ADA: &str = "ada@example.com";

/// Waits for the webhooks to bring the stored subscription to what the emulator holds now (which
/// must be `status`), and returns it.
pub async fn settled(app: &TestApp, stripe: &Stripe, id: &str, status: &str) -> StoredSubscription {
    let (now, card) = in_stripe(stripe, id).await;
    let expected = expected_from(&now, card.as_ref());
    assert_eq!(expected.status, status, "in the emulator: {now}");
    let stored = || stored_subscription(app, id);
    let converged = eventually(10, || async { stored().await.as_ref() == Some(&expected) }).await;
    assert!(
        converged,
        "stored {:?}\nemulator {expected:?}",
        stored().await
    );
    expected
}

/// The subscription's invoices as stored, oldest first: `(billing_reason, status, total)`.
async fn invoices_of(app: &TestApp, subscription: &str) -> Vec<(String, String, i64)> {
    sqlx::query_as(
        "SELECT COALESCE(billing_reason, ''), status, total FROM invoices \
         WHERE subscription_id = $1 ORDER BY created, number",
    )
    .bind(subscription)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// Waits for the webhooks to store exactly these invoices of the subscription.
pub async fn invoices_are(app: &TestApp, subscription: &str, expected: &[(&str, &str, i64)]) {
    let expected: Vec<(String, String, i64)> = expected
        .iter()
        .map(|(reason, status, total)| (reason.to_string(), status.to_string(), *total))
        .collect();
    let stored = || invoices_of(app, subscription);
    let matched = eventually(10, || async { stored().await == expected }).await;
    assert!(matched, "stored {:?}", stored().await);
}

/// Presses "Manage billing" as the signed-in user: the Customer Portal's URL.
pub async fn open_portal(app: &TestApp) -> String {
    let response = app.post_form("/api/open_portal", &[]).await;
    assert_eq!(response.status(), 302, "{:?}", form_error(&response));
    location(&response)
}

/// Submits one of the portal page's forms (`card`, `switch`, …) as the customer's browser; it
/// must succeed.
pub async fn portal_form(portal: &str, action: &str, form: &[(&str, &str)]) {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{portal}/{action}"))
        .form(form)
        .send()
        .await
        .expect("the portal answers");
    assert_eq!(response.status(), 303);
    let back = location(&response);
    assert!(back.contains("?done="), "{action}: {back}");
}

/// Replaces the card on file in the portal with `card` (for the customer and each of its
/// subscriptions, as the portal does).
pub async fn replace_card(portal: &str, card: &str) {
    let form = [
        ("card_number", card),
        ("card_expiry", "12 / 34"),
        ("card_cvc", "123"),
    ];
    portal_form(portal, "card", &form).await;
}

/// Posts a plan action of the account page (`subscription_id` and `more`); where it leads.
pub async fn act(
    app: &TestApp,
    path: &str,
    subscriber: &Subscriber,
    more: &[(&str, &str)],
) -> String {
    let mut form = vec![("subscription_id", subscriber.subscription.as_str())];
    form.extend_from_slice(more);
    let response = app.post_form(path, &form).await;
    assert_eq!(response.status(), 302, "{path}");
    assert_eq!(form_error(&response), None, "{path}");
    location(&response)
}
