//! `invoice.*`: each stores the invoice re-fetched; `paid` and `payment_failed` also move the
//! subscription; `upcoming` (no id) refreshes its subscription.

use serde_json::json;

use super::apply_latest;
use crate::billing::{
    deliver,
    subscriber::{
        advance_days, confirm, count, last_event, paid, paid_with, stored_invoice,
        stored_subscription, subscribed, FAILING_CARD,
    },
};

#[tokio::test]
async fn invoice_finalized_stores_the_invoice_as_stripe_has_it_now_with_number_and_pages() {
    let (app, stripe, ada) = paid("tollgate_hobby_monthly").await;
    let event = last_event(&stripe, "invoice.finalized", &ada.subscription).await;
    assert_eq!(
        event["data"]["object"]["status"], "open",
        "finalized before it was paid"
    );

    let (status, answer) = deliver(&app, &event).await;

    assert_eq!((status, answer.as_str()), (200, "applied"));
    let id = event["data"]["object"]["id"].as_str().unwrap();
    let invoice = stripe.get(&format!("/v1/invoices/{id}")).await;
    let expected = (
        invoice["number"].as_str().map(str::to_owned),
        "paid".to_owned(),
        900,
        900,
        Some(format!("{}/invoices/{id}", stripe.base_url())),
        Some(ada.subscription.clone()),
    );
    assert_eq!(stored_invoice(&app, id).await, Some(expected));
    assert!(invoice["number"].as_str().unwrap().ends_with("-0001"));
}

#[tokio::test]
async fn invoice_paid_for_the_first_renewal_stores_it_and_brings_the_subscription_to_active() {
    let (app, stripe, ada) = subscribed("tollgate_pro_monthly").await;
    advance_days(&stripe, 15).await;

    let event = apply_latest(&app, &stripe, "invoice.paid", &ada.subscription).await;

    let id = event["data"]["object"]["id"].as_str().unwrap();
    let (_, status, total, paid, _, _) = stored_invoice(&app, id).await.unwrap();
    assert_eq!((status.as_str(), total, paid), ("paid", 2900, 2900));
    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert_eq!(
        stored.status, "active",
        "no subscription event was delivered"
    );
    assert_eq!(stored.latest_invoice_id.as_deref(), Some(id));
}

#[tokio::test]
async fn invoice_payment_failed_stores_the_open_invoice_and_the_subscription_past_due() {
    let (app, stripe, ada) = paid_with(false, "tollgate_pro_monthly", FAILING_CARD).await;
    confirm(&app, &app.client, &ada).await;
    advance_days(&stripe, 15).await;

    let event = apply_latest(&app, &stripe, "invoice.payment_failed", &ada.subscription).await;

    let id = event["data"]["object"]["id"].as_str().unwrap();
    let (status, remaining, attempts): (String, i64, i32) = sqlx::query_as(
        "SELECT status, amount_remaining, attempt_count FROM invoices WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((status.as_str(), remaining, attempts), ("open", 2900, 1));
    let (status, grace_started): (String, bool) = sqlx::query_as(
        "SELECT status, past_due_since IS NOT NULL FROM subscriptions WHERE id = $1",
    )
    .bind(&ada.subscription)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((status.as_str(), grace_started), ("past_due", true));
}

#[tokio::test]
async fn invoice_upcoming_has_no_id_and_brings_its_subscription_up_to_date() {
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
    // A card change nobody told the app about.
    let attach = "/v1/payment_methods/pm_card_mastercard/attach";
    let card = stripe.ok(attach, &[("customer", &ada.customer)]).await;
    let path = format!("/v1/subscriptions/{}", ada.subscription);
    stripe
        .ok(
            &path,
            &[("default_payment_method", card["id"].as_str().unwrap())],
        )
        .await;
    advance_days(&stripe, 25).await;
    let upcoming = last_event(&stripe, "invoice.upcoming", &ada.subscription).await;
    assert_eq!(upcoming["data"]["object"]["id"], json!(null));

    let (status, answer) = deliver(&app, &upcoming).await;

    assert_eq!((status, answer.as_str()), (200, "applied"));
    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    let card = (stored.card_brand.as_deref(), stored.card_last4.as_deref());
    assert_eq!(card, (Some("mastercard"), Some("4444")));
    assert_eq!(
        count(&app, "invoices").await,
        0,
        "a preview is not an invoice"
    );
}

#[tokio::test]
async fn an_invoice_billed_to_a_customer_account_is_acknowledged_and_not_stored() {
    let (app, stripe, ada) = paid("tollgate_hobby_monthly").await;
    let event = last_event(&stripe, "invoice.finalized", &ada.subscription).await;
    let id = event["data"]["object"]["id"].as_str().unwrap().to_owned();
    // At this API version an invoice may be billed to a customer account instead of a
    // customer: Stripe answers `customer: null` (and `customer_account: "acct_…"`).
    stripe.emulator().mutate(|world| {
        let mut invoice = world.get("invoice", &id, "id").unwrap();
        invoice["customer"] = json!(null);
        world.put(invoice);
    });
    sqlx::query("DELETE FROM invoices WHERE id = $1")
        .bind(&id)
        .execute(&app.db)
        .await
        .unwrap();

    let (status, answer) = deliver(&app, &event).await;

    assert_eq!((status, answer.as_str()), (200, "applied"));
    assert_eq!(
        stored_invoice(&app, &id).await,
        None,
        "not one of our users'"
    );
}
