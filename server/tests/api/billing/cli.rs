//! `server stripe seed [FILE]` and `server stripe sync` as an operator runs them against the
//! emulator.

use super::{
    checkout::{shop, sign_up_with},
    payment::subscribe,
    price_id, stripe_cli, Stripe,
};
use crate::helpers::TestDatabase;

/// How many objects of a list endpoint the emulator holds.
async fn how_many(stripe: &Stripe, path: &str) -> usize {
    let list = stripe.get(&format!("{path}?limit=100")).await;
    list["data"].as_array().unwrap().len()
}

async fn stored(database: &TestDatabase, table: &str) -> i64 {
    let db = sqlx::PgPool::connect(database.url().as_str())
        .await
        .unwrap();
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&db)
        .await
        .unwrap()
}

#[tokio::test]
async fn seeding_twice_creates_the_demo_catalog_once_and_the_second_run_says_it_is_up_to_date() {
    let stripe = Stripe::start().await;
    let database = TestDatabase::create().await;
    let url = database.url().to_string();

    let first = stripe_cli(&url, &stripe, &["seed"]).await;
    let second = stripe_cli(&url, &stripe, &["seed"]).await;

    let first_out = String::from_utf8_lossy(&first.stdout);
    let second_out = String::from_utf8_lossy(&second.stdout);
    assert!(
        first.status.success(),
        "{first_out}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        second.status.success(),
        "{second_out}{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(
        first_out.contains("created product Hobby (prod_tollgate_hobby)"),
        "{first_out}"
    );
    assert!(
        first_out.contains("created price tollgate_pro_monthly"),
        "{first_out}"
    );
    assert!(
        second_out.contains("product Hobby (prod_tollgate_hobby) is up to date"),
        "{second_out}"
    );
    assert!(
        second_out.contains("price tollgate_lifetime exists"),
        "{second_out}"
    );
    assert!(!second_out.contains("created"), "{second_out}");
    assert_eq!(how_many(&stripe, "/v1/products").await, 5);
    assert_eq!(how_many(&stripe, "/v1/prices").await, 7);
    assert_eq!(stored(&database, "stripe_products").await, 5, "synced too");
    assert_eq!(stored(&database, "stripe_prices").await, 7);
}

#[tokio::test]
async fn seeding_a_malformed_file_fails_naming_the_problem_and_creates_nothing() {
    let stripe = Stripe::start().await;
    let database = TestDatabase::create().await;
    let dir = crate::helpers::empty_dir();
    let cases = [
        (
            "not-json.json",
            r#"{"products": ["#,
            "the catalog file is not valid",
        ),
        (
            "bad-id.json",
            r#"{"products": [{"id": "hobby", "name": "Hobby", "prices": []}]}"#,
            "product id `hobby` must start with prod_",
        ),
        (
            "bad-interval.json",
            r#"{"products": [{"id": "prod_x", "name": "X", "prices": [
                {"lookup_key": "x_fortnightly", "unit_amount": 100, "currency": "usd",
                 "interval": "fortnight"}]}]}"#,
            "price `x_fortnightly`: interval must be day, week, month or year, not `fortnight`",
        ),
    ];

    for (name, text, problem) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();

        let output = stripe_cli(
            database.url().as_str(),
            &stripe,
            &["seed", file.to_str().unwrap()],
        )
        .await;

        assert!(!output.status.success(), "{name} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(problem), "{name}: {stderr}");
    }
    assert_eq!(how_many(&stripe, "/v1/products").await, 0);
    assert_eq!(how_many(&stripe, "/v1/prices").await, 0);
    assert_eq!(stored(&database, "stripe_products").await, 0);
}

#[tokio::test]
async fn stripe_sync_recovers_a_subscription_that_neither_webhook_nor_success_page_delivered() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;
    subscribe(&app, &app.client, &price).await;
    assert!(app
        .page("/pricing")
        .await
        .contains("Start free trial of Pro"));

    let output = stripe_cli(app.database.url().as_str(), &stripe, &["sync"]).await;

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 subscriptions"), "{stdout}");
    let status: String = sqlx::query_scalar("SELECT status FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "trialing");
    assert!(app.page("/pricing").await.contains("Manage Pro"));
}
