//! Coupons, promotion codes and discounts: a repeating coupon's discount over renewals and its
//! end, a deleted coupon whose discount keeps applying, and codes that can no longer be redeemed.

use crate::helpers::Emulator;

#[tokio::test]
async fn a_repeating_coupon_discounts_two_invoices_then_its_discount_ends() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 3000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    emulator
        .ok(
            "/v1/coupons",
            &[
                ("id", "TWOMONTHS"),
                ("percent_off", "50"),
                ("duration", "repeating"),
                ("duration_in_months", "2"),
            ],
        )
        .await;
    let subscription = emulator
        .subscribe(&customer, &price, &[("discounts[0][coupon]", "TWOMONTHS")])
        .await;
    let id = subscription["id"].as_str().unwrap();
    let discount = subscription["discounts"][0].as_str().unwrap().to_owned();
    assert!(discount.starts_with("di_"), "{discount}");
    for _ in 0..3 {
        emulator.advance_days(31).await;
    }
    let invoices = emulator
        .fetch(&format!("/v1/invoices?subscription={id}&limit=10"))
        .await;
    let due: Vec<i64> = invoices["data"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|invoice| invoice["amount_due"].as_i64().unwrap())
        .collect();
    assert_eq!(due, [1500, 1500, 3000, 3000]);
    let first = &invoices["data"].as_array().unwrap().last().unwrap();
    assert_eq!(first["subtotal"], 3000);
    assert_eq!(first["total_discount_amounts"][0]["discount"], discount);
    assert_eq!(
        first["lines"]["data"][0]["discount_amounts"][0]["amount"],
        1500
    );
    let after = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(after["discounts"], serde_json::json!([]));
    let types = emulator.event_types().await;
    assert!(types.contains(&"customer.discount.created".to_owned()));
    assert!(types.contains(&"customer.discount.deleted".to_owned()));
}

#[tokio::test]
async fn a_deleted_coupon_keeps_discounting_the_subscriptions_that_redeemed_it() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    emulator
        .ok(
            "/v1/coupons",
            &[
                ("id", "FOREVER5"),
                ("amount_off", "500"),
                ("currency", "usd"),
                ("duration", "forever"),
            ],
        )
        .await;
    emulator
        .subscribe(&customer, &price, &[("discounts[0][coupon]", "FOREVER5")])
        .await;
    let (status, _) = emulator.delete("/v1/coupons/FOREVER5").await;
    assert_eq!(status, 200);
    emulator.advance_days(31).await;
    let invoices = emulator.fetch("/v1/invoices?limit=1").await;
    assert_eq!(invoices["data"][0]["amount_due"], 1500);
    // Nobody can redeem it any more.
    let (status, body) = emulator
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &customer),
                ("items[0][price]", &price),
                ("discounts[0][coupon]", "FOREVER5"),
            ],
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["param"], "discounts[0][coupon]");
}

#[tokio::test]
async fn an_inactive_promotion_code_is_refused_and_a_coupon_needs_exactly_one_amount() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let coupon = emulator.ok("/v1/coupons", &[("percent_off", "10")]).await;
    let code = emulator
        .ok(
            "/v1/promotion_codes",
            &[
                ("promotion[type]", "coupon"),
                ("promotion[coupon]", coupon["id"].as_str().unwrap()),
                ("code", "WELCOME"),
                ("active", "false"),
            ],
        )
        .await;
    let (status, body) = emulator
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &customer),
                ("items[0][price]", &price),
                ("discounts[0][promotion_code]", code["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "discounts[0][promotion_code]");
    let (status, body) = emulator.post("/v1/coupons", &[("duration", "once")]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["message"],
        "You must pass either `percent_off` or `amount_off`."
    );
}
