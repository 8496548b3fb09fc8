//! Managing a plan from the account page through the real router: cancel after a confirmation,
//! resume, change plan after Stripe's preview, each checked in the emulator and on the page; a
//! subscription of someone else's and a stale confirmation are refused; invoices and the card.

use app::server_fns::billing::{CancelSubscription, ChangePlan, ResumeSubscription};
use backend::billing::money::format_date;
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{
    checkout::sign_up_with,
    eventually,
    payment::GOOD_CARD,
    price_id,
    subscriber::{paid_with, stored_subscription, subscribed, Subscriber},
    Stripe,
};
use crate::helpers::{form_error, location, TestApp};

/// The emulator's subscription.
async fn in_stripe(stripe: &Stripe, subscriber: &Subscriber) -> Value {
    stripe
        .get(&format!("/v1/subscriptions/{}", subscriber.subscription))
        .await
}

/// A unix time as the account page writes dates (`9 December 2026`).
fn day(unix: &Value) -> String {
    format_date(OffsetDateTime::from_unix_timestamp(unix.as_i64().unwrap()).unwrap())
}

/// The `value` of the hidden input `name` in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// Posts a plan action's form as `client`; it must answer a redirect.
async fn act(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let response = app.post_form_with(client, path, form).await;
    assert_eq!(response.status(), 302, "{path}");
    response
}

#[tokio::test]
async fn canceling_asks_for_confirmation_then_cancels_at_the_period_end_and_says_when() {
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
    let period_end = day(&in_stripe(&stripe, &ada).await["items"]["data"][0]["current_period_end"]);
    let account = app.account_page(&app.client).await.unwrap();
    assert!(
        account.contains(&format!("Renews on {period_end}")),
        "{account}"
    );
    assert!(account.contains(&format!(
        r#"href="/account?cancel={}#billing""#,
        ada.subscription
    )));
    assert!(!account.contains("Yes, cancel at period end"));

    let confirmation = app
        .page(&format!("/account?cancel={}", ada.subscription))
        .await;

    assert!(
        confirmation.contains("Yes, cancel at period end"),
        "{confirmation}"
    );
    assert_eq!(hidden(&confirmation, "subscription_id"), ada.subscription);
    assert_eq!(
        in_stripe(&stripe, &ada).await["cancel_at_period_end"],
        false,
        "not yet"
    );
    let form = [("subscription_id", ada.subscription.as_str())];
    let response = act(&app, &app.client, CancelSubscription::PATH, &form).await;

    assert_eq!(location(&response), "/account?notice=plan-canceled");
    assert_eq!(in_stripe(&stripe, &ada).await["cancel_at_period_end"], true);
    let account = app.page("/account?notice=plan-canceled").await;
    assert!(
        account.contains(&format!("Cancels on {period_end}")),
        "{account}"
    );
    assert!(account.contains("Your plan is canceled."));
    assert!(account.contains("Resume plan"));
    assert!(!account.contains("Renews on"));
}

#[tokio::test]
async fn resuming_a_trial_set_to_end_undoes_the_cancellation_in_stripe_and_on_the_page() {
    let (app, stripe, ada) = subscribed("tollgate_pro_monthly").await;
    let trial_end = day(&in_stripe(&stripe, &ada).await["trial_end"]);
    let form = [("subscription_id", ada.subscription.as_str())];
    act(&app, &app.client, CancelSubscription::PATH, &form).await;
    let account = app.account_page(&app.client).await.unwrap();
    assert!(
        account.contains(&format!("Free trial until {trial_end}, then it ends")),
        "{account}"
    );

    let response = act(&app, &app.client, ResumeSubscription::PATH, &form).await;

    assert_eq!(location(&response), "/account?notice=plan-resumed");
    let now = in_stripe(&stripe, &ada).await;
    assert_eq!(
        (&now["cancel_at_period_end"], &now["cancel_at"]),
        (&json!(false), &json!(null))
    );
    let account = app.account_page(&app.client).await.unwrap();
    assert!(
        account.contains(&format!("Free trial until {trial_end}")),
        "{account}"
    );
    assert!(!account.contains("then it ends"));
    assert!(account.contains("Cancel plan"));
    assert!(
        !stored_subscription(&app, &ada.subscription)
            .await
            .unwrap()
            .cancel_at_period_end
    );
}

#[tokio::test]
async fn changing_plan_shows_stripes_preview_and_confirming_swaps_the_price_in_stripe_and_here() {
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let account = app.account_page(&app.client).await.unwrap();
    assert!(account.contains("Change plan to"), "{account}");
    assert!(account.contains(&format!(
        r#"<option value="{pro}">Pro — $29 per month</option>"#
    )));

    let preview = app
        .page(&format!("/account?change={}&to={pro}", ada.subscription))
        .await;

    assert!(
        preview.contains("Change to Pro — $29 per month"),
        "{preview}"
    );
    assert!(preview.contains("Unused time on Hobby"));
    assert!(preview.contains("Remaining time on Pro"));
    // Nine dollars back for the unused month of Hobby, 29 for the rest of it on Pro: paid now.
    assert!(
        preview.contains("<strong>You pay $20 now, for the rest of this period.</strong>"),
        "{preview}"
    );
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let unchanged = &in_stripe(&stripe, &ada).await["items"]["data"][0]["price"]["id"];
    assert_eq!(unchanged, hobby.as_str(), "a preview changes nothing");
    let proration_date = hidden(&preview, "proration_date");
    let form = [
        ("subscription_id", ada.subscription.as_str()),
        ("price_id", pro.as_str()),
        ("proration_date", proration_date.as_str()),
    ];

    let response = act(&app, &app.client, ChangePlan::PATH, &form).await;

    assert_eq!(
        location(&response),
        "/account?notice=plan-changed",
        "{:?}",
        form_error(&response)
    );
    assert_eq!(
        in_stripe(&stripe, &ada).await["items"]["data"][0]["price"]["id"],
        pro.as_str()
    );
    // Invoiced and paid at once, as the preview said.
    let invoices = stripe
        .get(&format!("/v1/invoices?subscription={}", ada.subscription))
        .await;
    let newest = &invoices["data"][0];
    assert_eq!(
        (newest["amount_paid"].as_i64(), newest["status"].as_str()),
        (Some(2000), Some("paid")),
        "{invoices}"
    );
    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert_eq!(stored.price_id, pro);
    let account = app.account_page(&app.client).await.unwrap();
    assert!(account.contains("<strong>Pro</strong>"), "{account}");
    assert!(account.contains("$29 per month"));
    assert_eq!(
        app.get("/api/reports").await.status(),
        200,
        "Pro includes the API"
    );
}

#[tokio::test]
async fn another_users_subscription_is_not_found_and_nothing_changes_in_stripe() {
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let eve = app.new_browser();
    sign_up_with(&app, &eve, "eve@example.com").await;
    let not_found = Some(json!({ "Form": "We could not find that subscription." }));
    let theirs = ada.subscription.as_str();
    let now = OffsetDateTime::now_utc().unix_timestamp().to_string();

    for (path, form) in [
        (CancelSubscription::PATH, vec![("subscription_id", theirs)]),
        (ResumeSubscription::PATH, vec![("subscription_id", theirs)]),
        (
            ChangePlan::PATH,
            vec![
                ("subscription_id", theirs),
                ("price_id", &pro),
                ("proration_date", &now),
            ],
        ),
    ] {
        let response = act(&app, &eve, path, &form).await;

        assert_eq!(form_error(&response), not_found, "{path}");
    }
    let preview = app
        .get_with(&eve, &format!("/account?change={theirs}&to={pro}"))
        .await;
    let preview = preview.text().await.unwrap();
    assert!(
        preview.contains("We could not find that subscription."),
        "{preview}"
    );
    assert!(!preview.contains("Confirm change"));
    let now = in_stripe(&stripe, &ada).await;
    assert_eq!(now["cancel_at_period_end"], false);
    assert_eq!(now["items"]["data"][0]["price"]["id"], hobby.as_str());
}

#[tokio::test]
async fn a_confirmation_from_a_preview_two_hours_old_is_refused_and_the_plan_stays() {
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let two_hours_ago = (OffsetDateTime::now_utc().unix_timestamp() - 7200).to_string();
    let form = [
        ("subscription_id", ada.subscription.as_str()),
        ("price_id", pro.as_str()),
        ("proration_date", two_hours_ago.as_str()),
    ];

    let response = act(&app, &app.client, ChangePlan::PATH, &form).await;

    assert_eq!(
        form_error(&response),
        Some(
            json!({ "Form": "That preview is out of date. Choose the plan again to see the current amounts." })
        )
    );
    assert_eq!(
        in_stripe(&stripe, &ada).await["items"]["data"][0]["price"]["id"],
        hobby.as_str()
    );
    assert_eq!(
        stored_subscription(&app, &ada.subscription)
            .await
            .unwrap()
            .price_id,
        hobby
    );
}

#[tokio::test]
async fn the_account_page_lists_the_invoices_with_stripes_pages_and_shows_the_card() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    let db = &app.db;
    // Each arrives with its own webhook (`invoice.finalized` may store the paid invoice before
    // `customer.subscription.created` stores the subscription).
    let paid = eventually(10, || async move {
        sqlx::query_scalar::<_, bool>(
            "SELECT (SELECT count(*) FROM invoices WHERE status = 'paid') = 1 \
             AND EXISTS (SELECT 1 FROM subscriptions WHERE card_last4 = '4242')",
        )
        .fetch_one(db)
        .await
        .unwrap()
    })
    .await;
    assert!(
        paid,
        "the webhooks stored the paid invoice and the subscription"
    );
    let invoice = stripe
        .get(&format!("/v1/invoices?subscription={}", ada.subscription))
        .await["data"][0]
        .clone();

    let account = app.account_page(&app.client).await.unwrap();

    assert!(account.contains("<h3>Invoices</h3>"), "{account}");
    assert!(account.contains(invoice["number"].as_str().unwrap()));
    assert!(account.contains("<td>$9</td>"));
    assert!(account.contains("<td>Paid</td>"));
    let hosted = invoice["hosted_invoice_url"].as_str().unwrap();
    assert!(hosted.starts_with(stripe.base_url()));
    assert!(account.contains(&format!(
        r#"<a href="{hosted}" rel="noopener" target="_blank">View</a>"#
    )));
    let pdf = invoice["invoice_pdf"].as_str().unwrap();
    assert!(account.contains(&format!(r#"href="{pdf}""#)));
    assert!(account.contains("Charged to Visa ending in 4242, expires 12/2034"));
}

#[tokio::test]
async fn with_stripe_down_canceling_fails_politely_and_changes_nothing() {
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
    drop(stripe);

    let form = [("subscription_id", ada.subscription.as_str())];
    let response = act(&app, &app.client, CancelSubscription::PATH, &form).await;

    assert_eq!(
        form_error(&response),
        Some(
            json!({ "Form": "We could not reach our payment provider. Please try again in a moment." })
        )
    );
    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert!(!stored.cancel_at_period_end);
    let account = app.account_page(&app.client).await.unwrap();
    assert!(account.contains("Renews on"), "{account}");
}
