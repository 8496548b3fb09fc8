//! Tiered metered prices: graduated tiers bill each tier's units at its own rate at the renewal,
//! tiers are shown only with `expand[]=tiers`, and a tiered price that is not metered is refused.

use crate::helpers::Emulator;
use crate::meters::{meter, now, report};

/// A metered monthly price on a meter, 10¢ a unit for the first 100, then 5¢ plus 2.00 flat.
async fn tiered_price(emulator: &Emulator, meter: &str, mode: &str) -> serde_json::Value {
    let product = emulator.ok("/v1/products", &[("name", "Tokens")]).await;
    emulator
        .ok(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("currency", "usd"),
                ("billing_scheme", "tiered"),
                ("tiers_mode", mode),
                ("tiers[0][up_to]", "100"),
                ("tiers[0][unit_amount]", "10"),
                ("tiers[1][up_to]", "inf"),
                ("tiers[1][unit_amount]", "5"),
                ("tiers[1][flat_amount]", "200"),
                ("recurring[interval]", "month"),
                ("recurring[usage_type]", "metered"),
                ("recurring[meter]", meter),
            ],
        )
        .await
}

#[tokio::test]
async fn graduated_tiers_bill_each_tiers_usage_at_its_own_rate_at_the_renewal() {
    let emulator = Emulator::start().await;
    let meter = meter(&emulator, "tokens", "sum").await;
    let price = tiered_price(&emulator, meter["id"].as_str().unwrap(), "graduated").await;
    assert_eq!(price["billing_scheme"], "tiered");
    assert!(price["unit_amount"].is_null());
    assert!(
        price.get("tiers").is_none(),
        "tiers only with expand[]=tiers"
    );
    let id = price["id"].as_str().unwrap();
    let expanded = emulator
        .fetch(&format!("/v1/prices/{id}?expand[]=tiers"))
        .await;
    assert_eq!(expanded["tiers"][0]["up_to"], 100);
    assert!(expanded["tiers"][1]["up_to"].is_null());
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, id, &[]).await;
    report(&emulator, "tokens", &customer, "150", now(&emulator), "t1").await;
    emulator.advance_days(32).await;
    let sub = subscription["id"].as_str().unwrap();
    let renewal = emulator.renewal(sub).await;
    assert_eq!(renewal["lines"]["data"][0]["quantity"], 150);
    assert_eq!(renewal["amount_due"], 100 * 10 + 50 * 5 + 200);
}

#[tokio::test]
async fn a_tiered_price_that_is_not_metered_or_has_no_open_last_tier_is_refused() {
    let emulator = Emulator::start().await;
    let product = emulator.ok("/v1/products", &[("name", "Seats")]).await;
    let product = product["id"].as_str().unwrap();
    let (status, body) = emulator
        .post(
            "/v1/prices",
            &[
                ("product", product),
                ("currency", "usd"),
                ("billing_scheme", "tiered"),
                ("tiers_mode", "volume"),
                ("tiers[0][up_to]", "inf"),
                ("tiers[0][unit_amount]", "10"),
                ("recurring[interval]", "month"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "billing_scheme");
    let meter = meter(&emulator, "tokens", "sum").await;
    let (status, body) = emulator
        .post(
            "/v1/prices",
            &[
                ("product", product),
                ("currency", "usd"),
                ("billing_scheme", "tiered"),
                ("tiers_mode", "volume"),
                ("tiers[0][up_to]", "100"),
                ("tiers[0][unit_amount]", "10"),
                ("recurring[interval]", "month"),
                ("recurring[usage_type]", "metered"),
                ("recurring[meter]", meter["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "tiers[0][up_to]");
}
