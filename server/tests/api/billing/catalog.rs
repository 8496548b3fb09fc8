//! The catalog mirrored from Stripe: product and price events in any order converge on Stripe's
//! latest state, `server stripe sync` replaces the stored catalog, and the pricing page reads an
//! in-memory copy invalidated by `NOTIFY catalog_changed`.

use serde_json::Value;

use super::{app_for, deliver, eventually, seed, spawn_billing, stripe_cli, Stripe};
use crate::helpers::TestApp;

/// `(id, name, active, description)`, by id.
type Products = Vec<(String, String, bool, Option<String>)>;
/// `(id, product, active, unit_amount, interval, trial days, lookup key)`, by id.
type Prices = Vec<(
    String,
    String,
    bool,
    Option<i64>,
    Option<String>,
    Option<i32>,
    Option<String>,
)>;

async fn stored_catalog(app: &TestApp) -> (Products, Prices) {
    let mut products: Products =
        sqlx::query_as("SELECT id, name, active, description FROM stripe_products ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let mut prices: Prices = sqlx::query_as(
        "SELECT id, product_id, active, unit_amount, recurring_interval, trial_period_days, \
         lookup_key FROM stripe_prices ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    // Byte order, as Rust sorts the other side (the database's collation may differ).
    products.sort();
    prices.sort();
    (products, prices)
}

/// Every object of a catalog list, active and archived (Stripe lists only active ones unless
/// `active=false` is asked for).
async fn active_and_archived(stripe: &Stripe, path: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for active in ["true", "false"] {
        let list = stripe
            .get(&format!("{path}?limit=100&active={active}"))
            .await;
        all.extend(list["data"].as_array().unwrap().iter().cloned());
    }
    all
}

/// The same tuples from what the emulator holds now.
async fn stripe_catalog(stripe: &Stripe) -> (Products, Prices) {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let mut products: Products = active_and_archived(stripe, "/v1/products")
        .await
        .iter()
        .map(|p| {
            let active = p["active"].as_bool().unwrap();
            (
                text(&p["id"]).unwrap(),
                text(&p["name"]).unwrap(),
                active,
                text(&p["description"]),
            )
        })
        .collect();
    let mut prices: Prices = active_and_archived(stripe, "/v1/prices")
        .await
        .iter()
        .map(|p| {
            (
                text(&p["id"]).unwrap(),
                text(&p["product"]).unwrap(),
                p["active"].as_bool().unwrap(),
                p["unit_amount"].as_i64(),
                text(&p["recurring"]["interval"]),
                p["recurring"]["trial_period_days"]
                    .as_i64()
                    .map(|d| d as i32),
                text(&p["lookup_key"]),
            )
        })
        .collect();
    products.sort();
    prices.sort();
    (products, prices)
}

/// Every stored column but `synced_at`, row by row.
async fn stored_rows(app: &TestApp) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar(
        "SELECT (to_jsonb(p) - 'synced_at')::text FROM stripe_products p \
         UNION ALL SELECT (to_jsonb(p) - 'synced_at')::text FROM stripe_prices p",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    rows.sort();
    rows
}

async fn create(stripe: &Stripe, path: &str, form: &[(&str, &str)]) -> String {
    let object = stripe.ok(path, form).await;
    object["id"].as_str().unwrap().to_owned()
}

/// A recurring price of `amount` cents for `product`.
async fn price(stripe: &Stripe, product: &str, amount: &str, interval: &str) -> String {
    let form = [
        ("product", product),
        ("currency", "usd"),
        ("unit_amount", amount),
        ("recurring[interval]", interval),
    ];
    create(stripe, "/v1/prices", &form).await
}

#[tokio::test]
async fn product_and_price_events_in_any_order_converge_on_stripes_latest_state() {
    let stripe = Stripe::start().await;
    let hobby = create(&stripe, "/v1/products", &[("name", "Hobby")]).await;
    price(&stripe, &hobby, "900", "month").await;
    let hobby_yearly = price(&stripe, &hobby, "9000", "year").await;
    let pro = create(&stripe, "/v1/products", &[("name", "Pro")]).await;
    let trial = [
        ("product", pro.as_str()),
        ("currency", "usd"),
        ("unit_amount", "2900"),
        ("recurring[interval]", "month"),
        ("recurring[trial_period_days]", "14"),
        ("lookup_key", "pro_monthly"),
    ];
    create(&stripe, "/v1/prices", &trial).await;
    stripe
        .ok(&format!("/v1/products/{hobby}"), &[("name", "Hobby Plus")])
        .await;
    stripe
        .ok(
            &format!("/v1/prices/{hobby_yearly}"),
            &[("active", "false")],
        )
        .await;
    let events = stripe.events(&["product.", "price."]).await;
    assert_eq!(
        events.len(),
        7,
        "2 products, 3 prices, a rename and an archive"
    );
    let expected = stripe_catalog(&stripe).await;
    assert!(expected.0.iter().any(|p| p.1 == "Hobby Plus"));
    assert!(expected.1.iter().any(|p| p.0 == hobby_yearly && !p.2));

    let reverse: Vec<Value> = events.iter().rev().cloned().collect();
    let (price_events, product_events): (Vec<Value>, Vec<Value>) = events
        .iter()
        .cloned()
        .partition(|e| e["type"].as_str().unwrap().starts_with("price."));
    let prices_first: Vec<Value> = price_events.into_iter().chain(product_events).collect();
    for (order, events) in [
        ("forward", events),
        ("reverse", reverse),
        ("prices first", prices_first),
    ] {
        let app = app_for(&stripe).await;
        for event in &events {
            let (status, answer) = deliver(&app, event).await;
            assert_eq!(
                (status, answer.as_str()),
                (200, "applied"),
                "{order}: {event}"
            );
        }
        assert_eq!(stored_catalog(&app).await, expected, "{order}");
    }
}

#[tokio::test]
async fn a_price_event_for_an_unknown_product_fetches_the_product() {
    let stripe = Stripe::start().await;
    let app = app_for(&stripe).await;
    let product = create(&stripe, "/v1/products", &[("name", "Team")]).await;
    let price = price(&stripe, &product, "4900", "month").await;
    let price_created = stripe.events(&["price.created"]).await.remove(0);

    let (status, _) = deliver(&app, &price_created).await;

    assert_eq!(status, 200);
    let (products, prices) = stored_catalog(&app).await;
    assert_eq!(products, [(product.clone(), "Team".to_owned(), true, None)]);
    assert_eq!(prices.len(), 1);
    assert_eq!((&prices[0].0, &prices[0].1), (&price, &product));
}

#[tokio::test]
async fn a_product_deleted_in_stripe_is_removed() {
    let stripe = Stripe::start().await;
    let app = app_for(&stripe).await;
    let product = create(&stripe, "/v1/products", &[("name", "Short-lived")]).await;
    let created = stripe.events(&["product.created"]).await.remove(0);
    deliver(&app, &created).await;
    assert_eq!(stored_catalog(&app).await.0.len(), 1);

    let (status, body) = stripe.delete(&format!("/v1/products/{product}")).await;
    assert_eq!((status, &body["deleted"]), (200, &Value::Bool(true)));
    let deleted = stripe.events(&["product.deleted"]).await.remove(0);
    let (status, _) = deliver(&app, &deleted).await;

    assert_eq!(status, 200);
    assert_eq!(stored_catalog(&app).await, (vec![], vec![]));
}

#[tokio::test]
async fn stripe_sync_stores_everything_stripe_has_removes_the_rest_and_is_repeatable() {
    let stripe = Stripe::start().await;
    let seeded = app_for(&stripe).await;
    seed(&seeded, &stripe).await;
    let app = app_for(&stripe).await;
    sqlx::raw_sql(
        "INSERT INTO stripe_products (id, active, name) VALUES ('prod_stale', true, 'Stale'); \
         INSERT INTO stripe_prices (id, product_id, active, currency, unit_amount, kind) \
         VALUES ('price_stale', 'prod_stale', true, 'usd', 100, 'one_time')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let url = app.database.url().to_string();

    let first = stripe_cli(&url, &stripe, &["sync"]).await;

    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("5 products, 7 prices"), "{stdout}");
    assert!(stdout.contains("2 removed"), "{stdout}");
    let after_first = stored_rows(&app).await;
    assert!(!after_first.iter().any(|row| row.contains("_stale")));
    assert_eq!(stored_catalog(&app).await, stripe_catalog(&stripe).await);
    assert_eq!(
        after_first,
        stored_rows(&seeded).await,
        "the same rows seeding stored"
    );

    let second = stripe_cli(&url, &stripe, &["sync"]).await;
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 removed"));
    assert_eq!(stored_rows(&app).await, after_first);
}

#[tokio::test]
async fn stripe_sync_keeps_archived_products_and_prices_with_their_amounts() {
    let stripe = Stripe::start().await;
    let app = app_for(&stripe).await;
    let legacy = create(&stripe, "/v1/products", &[("name", "Legacy")]).await;
    let old = price(&stripe, &legacy, "1900", "month").await;
    stripe
        .ok(&format!("/v1/prices/{old}"), &[("active", "false")])
        .await;
    stripe
        .ok(&format!("/v1/products/{legacy}"), &[("active", "false")])
        .await;

    let output = stripe_cli(app.database.url().as_ref(), &stripe, &["sync"]).await;

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (products, prices) = stored_catalog(&app).await;
    assert!(
        products.iter().any(|p| p.0 == legacy && !p.2),
        "the archived product is kept: {products:?}"
    );
    assert!(
        prices
            .iter()
            .any(|p| p.0 == old && !p.2 && p.3 == Some(1900) && p.4.as_deref() == Some("month")),
        "the archived price keeps its amount and interval: {prices:?}"
    );
    assert_eq!(stored_catalog(&app).await, stripe_catalog(&stripe).await);
}

#[tokio::test]
async fn the_pricing_page_is_served_from_memory_until_a_catalog_change_is_announced() {
    let (app, stripe) = spawn_billing(false).await;
    seed(&app, &stripe).await;
    let app = &app;
    assert!(
        eventually(
            5,
            || async move { app.page("/pricing").await.contains("Hobby") }
        )
        .await
    );
    // Let the seed's own announcement reach the listener before looking behind its back.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.page("/pricing").await.contains(">Hobby<"));

    sqlx::query("UPDATE stripe_products SET name = 'Hobbyist' WHERE id = 'prod_tollgate_hobby'")
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.page("/pricing").await;
    assert!(
        page.contains(">Hobby<") && !page.contains("Hobbyist"),
        "still the cached copy"
    );

    sqlx::query("SELECT pg_notify('catalog_changed', '')")
        .execute(&app.db)
        .await
        .unwrap();
    assert!(
        eventually(5, || async move {
            app.page("/pricing").await.contains(">Hobbyist<")
        })
        .await,
        "the announcement drops the cached copy"
    );
}
