//! Legacy plans: each one is a recurring price with the same id, readable and listable both ways.

use crate::helpers::Emulator;

#[tokio::test]
async fn a_plan_created_with_an_inline_product_is_a_recurring_price() {
    let emulator = Emulator::start().await;
    let plan = emulator
        .ok(
            "/v1/plans",
            &[
                ("currency", "usd"),
                ("interval", "year"),
                ("amount", "12000"),
                ("product[name]", "Annual"),
                ("trial_period_days", "14"),
            ],
        )
        .await;
    assert_eq!(plan["object"], "plan");
    assert_eq!(plan["trial_period_days"], 14);
    let id = plan["id"].as_str().unwrap();
    let price = emulator.fetch(&format!("/v1/prices/{id}")).await;
    assert_eq!(price["type"], "recurring");
    assert_eq!(price["recurring"]["interval"], "year");
    assert_eq!(price["product"], plan["product"]);
    let types = emulator.event_types().await;
    assert_eq!(types, ["product.created", "price.created", "plan.created"]);
}

#[tokio::test]
async fn every_recurring_price_reads_as_a_plan_and_one_time_prices_do_not() {
    let emulator = Emulator::start().await;
    let monthly = emulator.monthly_price("Pro", 2000).await;
    let product = emulator.ok("/v1/products", &[("name", "Once")]).await;
    let once = emulator
        .ok(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("currency", "usd"),
                ("unit_amount", "500"),
            ],
        )
        .await;
    let plan = emulator.fetch(&format!("/v1/plans/{monthly}")).await;
    assert_eq!(
        (plan["amount"].as_i64(), plan["interval"].as_str()),
        (Some(2000), Some("month"))
    );
    let (status, body) = emulator
        .get(&format!("/v1/plans/{}", once["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 404);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("No such plan"));
    let plans = emulator.fetch("/v1/plans").await;
    let ids: Vec<&str> = plans["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|plan| plan["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [monthly.as_str()]);
}

#[tokio::test]
async fn a_plan_needs_an_amount_and_a_known_interval() {
    let emulator = Emulator::start().await;
    let product = emulator.ok("/v1/products", &[("name", "Pro")]).await;
    let product = product["id"].as_str().unwrap();
    let (status, body) = emulator
        .post(
            "/v1/plans",
            &[
                ("currency", "usd"),
                ("interval", "month"),
                ("product", product),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("amount"))
    );
    let (status, body) = emulator
        .post(
            "/v1/plans",
            &[
                ("currency", "usd"),
                ("interval", "fortnight"),
                ("amount", "100"),
                ("product", product),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("interval"))
    );
}

#[tokio::test]
async fn deleting_a_plan_deletes_its_price_and_says_so_twice() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let (status, body) = emulator.delete(&format!("/v1/plans/{price}")).await;
    assert_eq!((status, body["deleted"].as_bool()), (200, Some(true)));
    let (status, _) = emulator.get(&format!("/v1/prices/{price}")).await;
    assert_eq!(status, 404);
    let types = emulator.event_types().await;
    assert!(types.ends_with(&["plan.deleted".to_owned(), "price.deleted".to_owned()]));
}
