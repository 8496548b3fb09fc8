//! Tax: tax rates and their events, rates on subscriptions (exclusive added, inclusive carved
//! out), automatic tax from the customer's address by the README's table, Checkout collecting the
//! address and a tax ID on the hosted page, customer tax IDs, and Stripe's refusals.

use serde_json::Value;

use crate::helpers::Emulator;

/// A monthly price of `amount` with a `tax_behavior`.
async fn taxed_price(emulator: &Emulator, amount: &str, behavior: &str) -> String {
    let product = emulator.ok("/v1/products", &[("name", "Pro")]).await;
    let price = emulator
        .ok(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("currency", "usd"),
                ("unit_amount", amount),
                ("recurring[interval]", "month"),
                ("tax_behavior", behavior),
            ],
        )
        .await;
    price["id"].as_str().unwrap().to_owned()
}

/// A customer with a card and an address.
async fn customer_in(emulator: &Emulator, address: &[(&str, &str)]) -> String {
    let id = emulator.customer_with("pm_card_visa").await;
    emulator.ok(&format!("/v1/customers/{id}"), address).await;
    id
}

async fn first_invoice(emulator: &Emulator, subscription: &Value) -> Value {
    let invoice = subscription["latest_invoice"].as_str().unwrap();
    emulator.fetch(&format!("/v1/invoices/{invoice}")).await
}

#[tokio::test]
async fn tax_rates_are_created_updated_listed_and_refused_outside_zero_to_a_hundred() {
    let emulator = Emulator::start().await;
    let rate = emulator
        .ok(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("percentage", "19"),
                ("inclusive", "false"),
                ("country", "DE"),
                ("jurisdiction", "DE"),
            ],
        )
        .await;
    assert!(rate["id"].as_str().unwrap().starts_with("txr_"));
    assert_eq!(rate["percentage"], 19.0);
    let id = rate["id"].as_str().unwrap();
    let updated = emulator
        .ok(
            &format!("/v1/tax_rates/{id}"),
            &[("active", "false"), ("metadata[k]", "v")],
        )
        .await;
    assert_eq!(updated["active"], false);
    let listed = emulator.fetch("/v1/tax_rates?active=false").await;
    assert_eq!(listed["data"][0]["id"], id);
    let types = emulator.event_types().await;
    assert!(types.contains(&"tax_rate.created".to_owned()));
    assert!(types.contains(&"tax_rate.updated".to_owned()));
    let (status, body) = emulator
        .post(
            "/v1/tax_rates",
            &[
                ("display_name", "Bad"),
                ("percentage", "120"),
                ("inclusive", "false"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "percentage");
    let price = emulator.monthly_price("Pro", 1000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let (status, body) = emulator
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &customer),
                ("items[0][price]", &price),
                ("default_tax_rates[0]", id),
            ],
        )
        .await;
    assert_eq!(status, 400, "an archived rate cannot be applied");
    assert_eq!(body["error"]["param"], "default_tax_rates[0]");
}

#[tokio::test]
async fn an_exclusive_default_rate_is_added_and_an_inclusive_item_rate_is_carved_out() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 1000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let exclusive = emulator
        .ok(
            "/v1/tax_rates",
            &[
                ("display_name", "Sales tax"),
                ("percentage", "10"),
                ("inclusive", "false"),
            ],
        )
        .await;
    let inclusive = emulator
        .ok(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("percentage", "25"),
                ("inclusive", "true"),
            ],
        )
        .await;
    let subscription = emulator
        .subscribe(
            &customer,
            &price,
            &[
                ("items[0][quantity]", "2"),
                ("default_tax_rates[0]", exclusive["id"].as_str().unwrap()),
            ],
        )
        .await;
    let invoice = first_invoice(&emulator, &subscription).await;
    assert_eq!(invoice["subtotal"], 2000);
    assert_eq!(invoice["total"], 2200);
    assert_eq!(invoice["amount_due"], 2200);
    assert_eq!(invoice["total_taxes"][0]["amount"], 200);
    assert_eq!(invoice["total_taxes"][0]["tax_behavior"], "exclusive");
    assert_eq!(
        invoice["total_taxes"][0]["tax_rate_details"]["tax_rate"],
        exclusive["id"]
    );
    assert_eq!(invoice["lines"]["data"][0]["taxes"][0]["amount"], 200);

    let other = emulator.customer_with("pm_card_visa").await;
    let carved = emulator
        .subscribe(
            &other,
            &price,
            &[("items[0][tax_rates][0]", inclusive["id"].as_str().unwrap())],
        )
        .await;
    let invoice = first_invoice(&emulator, &carved).await;
    assert_eq!(
        invoice["total"], 1000,
        "inclusive tax does not add to the total"
    );
    assert_eq!(invoice["total_taxes"][0]["amount"], 200);
    assert_eq!(invoice["total_excluding_tax"], 800);
    assert_eq!(
        carved["items"]["data"][0]["tax_rates"][0]["id"],
        inclusive["id"]
    );
    let id = carved["id"].as_str().unwrap();
    let item = carved["items"]["data"][0]["id"].as_str().unwrap();
    let switched = emulator
        .ok(
            &format!("/v1/subscriptions/{id}"),
            &[
                ("items[0][id]", item),
                ("items[0][tax_rates][0]", exclusive["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(
        switched["items"]["data"][0]["tax_rates"][0]["id"],
        exclusive["id"]
    );
    emulator.advance_days(32).await;
    let renewal = emulator
        .fetch(&format!("/v1/invoices?subscription={id}&limit=1"))
        .await;
    assert_eq!(
        renewal["data"][0]["total"], 1100,
        "the new rate bills the renewal"
    );
}

#[tokio::test]
async fn automatic_tax_follows_the_customers_address_and_the_price_tax_behavior() {
    let emulator = Emulator::start().await;
    let exclusive = taxed_price(&emulator, "1000", "exclusive").await;
    let inclusive = taxed_price(&emulator, "1190", "inclusive").await;
    let german = customer_in(
        &emulator,
        &[
            ("address[country]", "DE"),
            ("address[postal_code]", "10115"),
        ],
    )
    .await;
    let subscription = emulator
        .subscribe(&german, &exclusive, &[("automatic_tax[enabled]", "true")])
        .await;
    assert_eq!(subscription["automatic_tax"]["enabled"], true);
    let invoice = first_invoice(&emulator, &subscription).await;
    assert_eq!(invoice["automatic_tax"]["status"], "complete");
    assert_eq!(invoice["total"], 1190, "19 % on top in Germany");
    let included = emulator
        .subscribe(&german, &inclusive, &[("automatic_tax[enabled]", "true")])
        .await;
    let invoice = first_invoice(&emulator, &included).await;
    assert_eq!(invoice["total"], 1190);
    assert_eq!(
        invoice["total_taxes"][0]["amount"], 190,
        "19 % carved out of 11.90"
    );
    let californian = customer_in(
        &emulator,
        &[
            ("address[country]", "US"),
            ("address[state]", "CA"),
            ("address[postal_code]", "94103"),
        ],
    )
    .await;
    let subscription = emulator
        .subscribe(
            &californian,
            &exclusive,
            &[("automatic_tax[enabled]", "true")],
        )
        .await;
    assert_eq!(
        first_invoice(&emulator, &subscription).await["total"],
        1073,
        "7.25 % in California"
    );
    let zip_only = customer_in(
        &emulator,
        &[
            ("address[country]", "US"),
            ("address[postal_code]", "10118"),
        ],
    )
    .await;
    let subscription = emulator
        .subscribe(&zip_only, &exclusive, &[("automatic_tax[enabled]", "true")])
        .await;
    assert_eq!(
        first_invoice(&emulator, &subscription).await["total"],
        1089,
        "8.875 % in New York, found by its ZIP code"
    );
    let elsewhere = customer_in(&emulator, &[("address[country]", "JP")]).await;
    let subscription = emulator
        .subscribe(
            &elsewhere,
            &exclusive,
            &[("automatic_tax[enabled]", "true")],
        )
        .await;
    let invoice = first_invoice(&emulator, &subscription).await;
    assert_eq!(invoice["total"], 1000);
    assert_eq!(
        invoice["total_taxes"][0]["taxability_reason"],
        "not_collecting"
    );
}

#[tokio::test]
async fn automatic_tax_is_refused_without_a_tax_behavior_or_a_customer_location() {
    let emulator = Emulator::start().await;
    let unspecified = emulator.monthly_price("Pro", 1000).await;
    let german = customer_in(&emulator, &[("address[country]", "DE")]).await;
    let (status, body) = emulator
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &german),
                ("items[0][price]", &unspecified),
                ("automatic_tax[enabled]", "true"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "items[0][price]");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("tax_behavior"));
    let exclusive = taxed_price(&emulator, "1000", "exclusive").await;
    let nowhere = emulator.customer_with("pm_card_visa").await;
    let (status, body) = emulator
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &nowhere),
                ("items[0][price]", &exclusive),
                ("automatic_tax[enabled]", "true"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "customer_tax_location_invalid");
    let (status, body) = emulator
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("customer", &nowhere),
                ("success_url", "http://app.test/done"),
                ("line_items[0][price]", &exclusive),
                ("automatic_tax[enabled]", "true"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().starts_with(
        "Automatic tax calculation in Checkout requires a valid address on the Customer."
    ));
    let (status, body) = emulator
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("customer", &nowhere),
                ("success_url", "http://app.test/done"),
                ("line_items[0][price]", &exclusive),
                ("tax_id_collection[enabled]", "true"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "tax_id_collection[enabled]");
}

#[tokio::test]
async fn checkout_collects_the_address_and_tax_id_taxes_the_seats_and_saves_them_on_the_customer() {
    let emulator = Emulator::start().await;
    let price = taxed_price(&emulator, "1000", "exclusive").await;
    let session = emulator
        .ok(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("success_url", "http://app.test/done"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "3"),
                ("automatic_tax[enabled]", "true"),
                ("billing_address_collection", "required"),
                ("tax_id_collection[enabled]", "true"),
            ],
        )
        .await;
    assert_eq!(
        session["automatic_tax"]["status"],
        "requires_location_inputs"
    );
    assert_eq!(session["amount_total"], 3000);
    let url = session["url"].as_str().unwrap();
    let page = emulator.page(url).await;
    for label in [
        "Address",
        "Postal code",
        "Country (two letters, e.g. US, DE)",
        "Tax ID",
        "Business name",
    ] {
        assert!(page.contains(&format!(">{label}</label>")), "{label}");
    }
    let paid = emulator
        .submit(
            url,
            &[
                ("email", "buyer@example.com"),
                ("address_line1", "Unter den Linden 1"),
                ("address_city", "Berlin"),
                ("address_postal_code", "10117"),
                ("address_country", "DE"),
                ("tax_id_type", "eu_vat"),
                ("tax_id_value", "DE123456789"),
                ("business_name", "Linden GmbH"),
                ("card_number", "4242 4242 4242 4242"),
                ("card_expiry", "12 / 34"),
                ("card_cvc", "123"),
            ],
        )
        .await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    let id = session["id"].as_str().unwrap();
    let done = emulator
        .fetch(&format!("/v1/checkout/sessions/{id}?expand[]=subscription"))
        .await;
    assert_eq!(done["automatic_tax"]["status"], "complete");
    assert_eq!(done["total_details"]["amount_tax"], 570);
    assert_eq!(done["amount_total"], 3570);
    assert_eq!(done["customer_details"]["address"]["country"], "DE");
    assert_eq!(
        done["customer_details"]["tax_ids"][0]["value"],
        "DE123456789"
    );
    let customer = done["customer"].as_str().unwrap();
    let saved = emulator
        .fetch(&format!("/v1/customers/{customer}?expand[]=tax_ids"))
        .await;
    assert_eq!(saved["address"]["city"], "Berlin");
    assert_eq!(saved["name"], "Linden GmbH");
    assert_eq!(done["customer_details"]["business_name"], "Linden GmbH");
    assert_eq!(
        saved["tax_ids"]["data"][0]["verification"]["status"],
        "verified"
    );
    let invoice = first_invoice(&emulator, &done["subscription"]).await;
    assert_eq!(invoice["total"], 3570);
    assert_eq!(invoice["customer_tax_ids"][0]["value"], "DE123456789");
    assert_eq!(invoice["customer_address"]["country"], "DE");
    assert_eq!(invoice["lines"]["data"][0]["quantity"], 3);
    let types = emulator.event_types().await;
    assert!(types.contains(&"customer.tax_id.created".to_owned()));
}

#[tokio::test]
async fn customer_tax_ids_are_checked_verified_listed_and_deleted() {
    let emulator = Emulator::start().await;
    let customer = emulator
        .ok(
            "/v1/customers",
            &[
                ("tax_id_data[0][type]", "gb_vat"),
                ("tax_id_data[0][value]", "GB123456789"),
            ],
        )
        .await;
    let id = customer["id"].as_str().unwrap();
    let listed = emulator.fetch(&format!("/v1/customers/{id}/tax_ids")).await;
    assert_eq!(listed["data"][0]["country"], "GB");
    let (status, body) = emulator
        .post(
            &format!("/v1/customers/{id}/tax_ids"),
            &[("type", "eu_vat"), ("value", "12345")],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "tax_id_invalid");
    assert_eq!(body["error"]["message"], "Invalid value for eu_vat.");
    let unverified = emulator
        .ok(
            &format!("/v1/customers/{id}/tax_ids"),
            &[("type", "eu_vat"), ("value", "FR111111111")],
        )
        .await;
    assert_eq!(unverified["verification"]["status"], "unverified");
    let tax_id = unverified["id"].as_str().unwrap();
    let deleted = emulator
        .delete(&format!("/v1/customers/{id}/tax_ids/{tax_id}"))
        .await
        .1;
    assert_eq!(deleted["deleted"], true);
    let (status, _) = emulator
        .get(&format!("/v1/customers/{id}/tax_ids/{tax_id}"))
        .await;
    assert_eq!(status, 404);
    let types = emulator.event_types().await;
    for kind in [
        "customer.tax_id.created",
        "customer.tax_id.updated",
        "customer.tax_id.deleted",
    ] {
        assert!(types.contains(&kind.to_owned()), "{kind}");
    }
}

#[tokio::test]
async fn an_existing_customer_checks_out_seats_with_the_address_saved_and_plan_change_previews_taxed(
) {
    let emulator = Emulator::start().await;
    let price = taxed_price(&emulator, "2000", "exclusive").await;
    let customer = emulator
        .ok("/v1/customers", &[("email", "team@example.com")])
        .await;
    let customer = customer["id"].as_str().unwrap();
    let session = emulator
        .ok(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("customer", customer),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "3"),
                (
                    "success_url",
                    "http://app.test/done?session_id={CHECKOUT_SESSION_ID}",
                ),
                ("billing_address_collection", "required"),
                ("customer_update[address]", "auto"),
                ("automatic_tax[enabled]", "true"),
                ("tax_id_collection[enabled]", "true"),
                ("customer_update[name]", "auto"),
            ],
        )
        .await;
    let url = session["url"].as_str().unwrap();
    let (status, page) = {
        let refused = emulator
            .submit(
                url,
                &[
                    ("email", "team@example.com"),
                    ("card_number", "4242 4242 4242 4242"),
                    ("card_expiry", "12 / 34"),
                    ("card_cvc", "123"),
                ],
            )
            .await;
        (refused.status, refused.body)
    };
    assert_eq!(status, 402, "the address is required");
    assert!(page.contains("Enter your country."));
    let paid = emulator
        .submit(
            url,
            &[
                ("email", "team@example.com"),
                ("address_line1", "350 Fifth Avenue"),
                ("address_city", "New York"),
                ("address_state", "ny"),
                ("address_postal_code", "10118"),
                ("address_country", "us"),
                ("card_number", "4242 4242 4242 4242"),
                ("card_expiry", "12 / 34"),
                ("card_cvc", "123"),
            ],
        )
        .await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    let saved = emulator.fetch(&format!("/v1/customers/{customer}")).await;
    assert_eq!(saved["address"]["state"], "NY");
    let updated = emulator
        .fetch("/v1/events?type=customer.updated&limit=1")
        .await;
    assert!(updated["data"][0]["data"]["previous_attributes"]["address"].is_null());
    assert_eq!(
        updated["data"][0]["data"]["object"]["address"]["country"],
        "US"
    );
    let id = session["id"].as_str().unwrap();
    let done = emulator
        .fetch(&format!(
            "/v1/checkout/sessions/{id}?expand[]=subscription.latest_invoice"
        ))
        .await;
    assert_eq!(done["total_details"]["amount_tax"], 533, "8.875 % of 60.00");
    let subscription = &done["subscription"];
    assert_eq!(subscription["latest_invoice"]["total"], 6533);
    let preview = emulator
        .ok(
            "/v1/invoices/create_preview",
            &[
                ("subscription", subscription["id"].as_str().unwrap()),
                (
                    "subscription_details[items][0][id]",
                    subscription["items"]["data"][0]["id"].as_str().unwrap(),
                ),
                ("subscription_details[items][0][quantity]", "4"),
            ],
        )
        .await;
    assert_eq!(preview["automatic_tax"]["status"], "complete");
    let taxed: i64 = preview["total_taxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tax| tax["amount"].as_i64().unwrap())
        .sum();
    assert!(taxed > 0);
    assert_eq!(
        preview["total"].as_i64().unwrap(),
        preview["subtotal"].as_i64().unwrap() + taxed
    );
}
