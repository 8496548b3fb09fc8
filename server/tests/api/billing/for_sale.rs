//! What is for sale is what the pricing page offers, and nothing else can be bought by id: not a
//! dearer price of a plan's cadence, not a one-time price on a plan sold by subscription, not a
//! metered price; neither at Checkout nor as a plan change.

use app::server_fns::billing::ChangePlan;
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};

use super::{now, stripe_cli, subscriber::subscribed, Stripe};
use crate::helpers::{form_error, TestApp};

const NOT_FOR_SALE: &str = "This plan is not available any more. Please pick another one.";

/// Creates a price for the product in Stripe; its id.
async fn price(stripe: &Stripe, product: &str, amount: &str, interval: Option<&str>) -> String {
    let mut form = vec![
        ("product", product),
        ("currency", "usd"),
        ("unit_amount", amount),
    ];
    form.extend(interval.map(|interval| ("recurring[interval]", interval)));
    stripe.ok("/v1/prices", &form).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Stores a metered monthly price of one cent on the product, as a webhook would, and announces
/// the catalog change. (The emulator has no meters to back a metered price with, as Stripe
/// requires.)
async fn store_metered_price(app: &TestApp, product: &str) -> String {
    sqlx::query(
        "INSERT INTO stripe_prices
             (id, product_id, active, currency, unit_amount, kind, recurring_interval,
              interval_count, usage_type)
         VALUES ('price_metered_calls', $1, true, 'usd', 1, 'recurring', 'month', 1, 'metered')",
    )
    .bind(product)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("SELECT pg_notify('catalog_changed', '')")
        .execute(&app.db)
        .await
        .unwrap();
    "price_metered_calls".to_owned()
}

async fn checkout_sessions(stripe: &Stripe) -> Vec<Value> {
    stripe.get("/v1/checkout/sessions?limit=100").await["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn prices_the_pricing_page_does_not_offer_cannot_be_bought_or_changed_to_by_id() {
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
    let pro: String = sqlx::query_scalar("SELECT id FROM stripe_products WHERE name = 'Pro'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let dearer_monthly = price(&stripe, &pro, "4900", Some("month")).await;
    let once_on_a_plan = price(&stripe, &pro, "9900", None).await;
    let sync = stripe_cli(app.database.url().as_str(), &stripe, &["sync"]).await;
    assert!(sync.status.success(), "{sync:?}");
    let metered = store_metered_price(&app, &pro).await;
    let hidden = [&dearer_monthly, &once_on_a_plan, &metered];

    let pricing = app.page("/pricing").await;
    for id in hidden {
        assert!(!pricing.contains(id.as_str()), "{id} is not offered");
    }
    assert!(pricing.contains("$29"), "Pro's offered monthly price stays");

    // A second user, not subscribed yet, names each id at Checkout.
    let bob = app.new_browser();
    super::checkout::sign_up_with(&app, &bob, "bob@example.com").await;
    let sessions_before = checkout_sessions(&stripe).await.len();
    for id in hidden {
        let response = app
            .post_form_with(&bob, "/api/start_checkout", &[("price", id)])
            .await;
        assert_eq!(
            form_error(&response),
            Some(json!({ "Form": NOT_FOR_SALE })),
            "Checkout for {id}"
        );
    }
    assert_eq!(checkout_sessions(&stripe).await.len(), sessions_before);

    // The subscriber names each as a plan change.
    let proration_date = now().to_string();
    for id in hidden {
        let form = [
            ("subscription_id", ada.subscription.as_str()),
            ("price_id", id.as_str()),
            ("proration_date", proration_date.as_str()),
        ];
        let response = app.post_form(ChangePlan::PATH, &form).await;
        assert_eq!(
            form_error(&response),
            Some(json!({ "Form": NOT_FOR_SALE })),
            "a change to {id}"
        );
    }
    let subscription = stripe
        .get(&format!("/v1/subscriptions/{}", ada.subscription))
        .await;
    let hobby = super::price_id(&app, "tollgate_hobby_monthly").await;
    assert_eq!(
        subscription["items"]["data"][0]["price"]["id"],
        hobby.as_str(),
        "the plan is unchanged"
    );
}
