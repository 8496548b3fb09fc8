//! Lists: newest first, `limit`, `starting_after`, `ending_before`, filters.

use crate::helpers::Emulator;

#[tokio::test]
async fn lists_page_newest_first_in_both_directions() {
    let emulator = Emulator::start().await;
    let mut ids = Vec::new();
    for n in 0..25 {
        let product = emulator
            .ok("/v1/products", &[("name", &format!("P{n}"))])
            .await;
        ids.push(product["id"].as_str().unwrap().to_owned());
    }
    ids.reverse();
    let first = emulator.fetch("/v1/products?limit=10").await;
    let page_ids = |page: &serde_json::Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(page_ids(&first), ids[..10]);
    assert_eq!(first["has_more"], true);
    let second = emulator
        .fetch(&format!("/v1/products?limit=10&starting_after={}", ids[9]))
        .await;
    assert_eq!(page_ids(&second), ids[10..20]);
    let last = emulator
        .fetch(&format!("/v1/products?limit=10&starting_after={}", ids[19]))
        .await;
    assert_eq!(page_ids(&last), ids[20..]);
    assert_eq!(last["has_more"], false);
    let back = emulator
        .fetch(&format!("/v1/products?limit=5&ending_before={}", ids[10]))
        .await;
    assert_eq!(page_ids(&back), ids[5..10]);
    assert_eq!(back["has_more"], true);
}

#[tokio::test]
async fn prices_filter_by_lookup_key_type_and_product() {
    let emulator = Emulator::start().await;
    let product = emulator.ok("/v1/products", &[("name", "Pro")]).await;
    let product = product["id"].as_str().unwrap();
    emulator
        .ok(
            "/v1/prices",
            &[
                ("product", product),
                ("currency", "usd"),
                ("unit_amount", "2000"),
                ("recurring[interval]", "month"),
                ("lookup_key", "pro_monthly"),
            ],
        )
        .await;
    emulator
        .ok(
            "/v1/prices",
            &[
                ("product", product),
                ("currency", "jpy"),
                ("unit_amount", "5000"),
            ],
        )
        .await;
    let by_key = emulator.fetch("/v1/prices?lookup_keys[]=pro_monthly").await;
    assert_eq!(by_key["data"].as_array().unwrap().len(), 1);
    assert_eq!(by_key["data"][0]["recurring"]["interval"], "month");
    let one_time = emulator.fetch("/v1/prices?type=one_time").await;
    assert_eq!(one_time["data"][0]["currency"], "jpy");
    assert_eq!(one_time["data"][0]["unit_amount"], 5000);
    let all = emulator
        .fetch(&format!("/v1/prices?product={product}"))
        .await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn expand_follows_dotted_paths_into_lists() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    emulator.subscribe(&customer, &price, &[]).await;
    let list = emulator
        .fetch("/v1/subscriptions?expand[]=data.customer&expand[]=data.items.data.price.product")
        .await;
    let subscription = &list["data"][0];
    assert_eq!(subscription["customer"]["object"], "customer");
    assert_eq!(
        subscription["items"]["data"][0]["price"]["product"]["name"],
        "Pro"
    );
}

#[tokio::test]
async fn a_cursor_that_left_the_filter_still_pages_on() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let subscription = emulator.subscribe(&customer, &price, &[]).await;
        ids.push(subscription["id"].as_str().unwrap().to_owned());
    }
    ids.reverse();
    let first = emulator.fetch("/v1/subscriptions?limit=2").await;
    assert_eq!(first["data"][1]["id"], ids[1].as_str());
    // The last item of the page is canceled, so the default list no longer shows it.
    let response = emulator
        .client
        .delete(emulator.url(&format!("/v1/subscriptions/{}", ids[1])))
        .bearer_auth(crate::helpers::KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let next = emulator
        .fetch(&format!(
            "/v1/subscriptions?limit=2&starting_after={}",
            ids[1]
        ))
        .await;
    let next_ids: Vec<&str> = next["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(next_ids, [ids[2].as_str(), ids[3].as_str()]);
}
