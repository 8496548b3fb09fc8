//! Subscription schedules: a downgrade scheduled at the period end from an existing subscription
//! (billed at the new price by the renewal), undone by releasing, phases applied by the clock,
//! completion and its end behaviour, and Stripe's refusals.

use serde_json::Value;

use crate::helpers::Emulator;

/// A customer paying `price` monthly, and a schedule made from that subscription.
async fn scheduled(emulator: &Emulator, price: &str) -> (Value, Value) {
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator
        .subscribe(&customer, price, &[("items[0][quantity]", "3")])
        .await;
    let schedule = emulator
        .ok(
            "/v1/subscription_schedules",
            &[("from_subscription", subscription["id"].as_str().unwrap())],
        )
        .await;
    (subscription, schedule)
}

/// Schedules `cheaper` × `quantity` for the phase after the current one.
async fn downgrade(emulator: &Emulator, schedule: &Value, current: &str, cheaper: &str) -> Value {
    let phase = &schedule["phases"][0];
    let start = phase["start_date"].as_i64().unwrap().to_string();
    let end = phase["end_date"].as_i64().unwrap().to_string();
    emulator
        .ok(
            &format!(
                "/v1/subscription_schedules/{}",
                schedule["id"].as_str().unwrap()
            ),
            &[
                ("phases[0][items][0][price]", current),
                ("phases[0][items][0][quantity]", "3"),
                ("phases[0][start_date]", &start),
                ("phases[0][end_date]", &end),
                ("phases[1][items][0][price]", cheaper),
                ("phases[1][items][0][quantity]", "2"),
                ("phases[1][duration][interval]", "month"),
                ("end_behavior", "release"),
            ],
        )
        .await
}

#[tokio::test]
async fn a_downgrade_scheduled_from_a_subscription_takes_effect_with_the_renewal_invoice() {
    let emulator = Emulator::start().await;
    let pro = emulator.monthly_price("Pro", 3000).await;
    let basic = emulator.monthly_price("Basic", 1000).await;
    let (subscription, schedule) = scheduled(&emulator, &pro).await;
    let id = subscription["id"].as_str().unwrap();
    assert_eq!(schedule["status"], "active");
    assert_eq!(schedule["subscription"], id);
    assert_eq!(schedule["end_behavior"], "release");
    assert_eq!(schedule["phases"][0]["items"][0]["quantity"], 3);
    assert_eq!(
        schedule["current_phase"]["end_date"],
        subscription["items"]["data"][0]["current_period_end"]
    );
    let managed = emulator
        .fetch(&format!("/v1/subscriptions/{id}?expand[]=schedule"))
        .await;
    assert_eq!(managed["schedule"]["id"], schedule["id"]);
    assert_eq!(managed["schedule"]["status"], "active");

    let updated = downgrade(&emulator, &schedule, &pro, &basic).await;
    assert_eq!(updated["phases"].as_array().unwrap().len(), 2);
    let still = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(
        still["items"]["data"][0]["price"]["id"], pro,
        "nothing changes before the period ends"
    );

    emulator.advance_days(31).await;
    let after = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(after["items"]["data"][0]["price"]["id"], basic);
    assert_eq!(after["items"]["data"][0]["quantity"], 2);
    let renewal = emulator
        .fetch(
            after["latest_invoice"]
                .as_str()
                .map(|invoice| format!("/v1/invoices/{invoice}"))
                .unwrap()
                .as_str(),
        )
        .await;
    assert_eq!(renewal["billing_reason"], "subscription_cycle");
    assert_eq!(
        renewal["amount_due"], 2000,
        "two seats at 10.00, no prorations"
    );
    assert_eq!(renewal["lines"]["data"][0]["quantity"], 2);
    let types = emulator.event_types().await;
    assert!(types.contains(&"subscription_schedule.created".to_owned()));
    assert!(types.contains(&"subscription_schedule.updated".to_owned()));
}

#[tokio::test]
async fn releasing_a_schedule_undoes_the_scheduled_downgrade() {
    let emulator = Emulator::start().await;
    let pro = emulator.monthly_price("Pro", 3000).await;
    let basic = emulator.monthly_price("Basic", 1000).await;
    let (subscription, schedule) = scheduled(&emulator, &pro).await;
    downgrade(&emulator, &schedule, &pro, &basic).await;
    let schedule_id = schedule["id"].as_str().unwrap();
    let released = emulator
        .ok(
            &format!("/v1/subscription_schedules/{schedule_id}/release"),
            &[],
        )
        .await;
    assert_eq!(released["status"], "released");
    assert_eq!(released["released_subscription"], subscription["id"]);
    assert!(released["subscription"].is_null());
    emulator.advance_days(31).await;
    let id = subscription["id"].as_str().unwrap();
    let after = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert!(after["schedule"].is_null());
    assert_eq!(after["items"]["data"][0]["price"]["id"], pro);
    assert_eq!(after["items"]["data"][0]["quantity"], 3);
    let types = emulator.event_types().await;
    assert!(types.contains(&"subscription_schedule.released".to_owned()));
}

#[tokio::test]
async fn a_schedule_for_a_customer_starts_its_subscription_and_completes_at_its_end() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 1500).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let schedule = emulator
        .ok(
            "/v1/subscription_schedules",
            &[
                ("customer", &customer),
                ("start_date", "now"),
                ("phases[0][items][0][price]", &price),
                ("phases[0][items][0][quantity]", "1"),
                ("phases[0][duration][interval]", "month"),
                ("phases[1][items][0][price]", &price),
                ("phases[1][items][0][quantity]", "2"),
                ("phases[1][duration][interval]", "month"),
            ],
        )
        .await;
    assert_eq!(schedule["status"], "active");
    let id = schedule["subscription"].as_str().unwrap().to_owned();
    let subscription = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(subscription["status"], "active");
    assert_eq!(subscription["schedule"], schedule["id"]);
    emulator.advance_days(31).await;
    let second = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(second["items"]["data"][0]["quantity"], 2);
    emulator.advance_days(31).await;
    let schedule_id = schedule["id"].as_str().unwrap();
    let done = emulator
        .fetch(&format!("/v1/subscription_schedules/{schedule_id}"))
        .await;
    assert_eq!(done["status"], "completed");
    assert!(done["completed_at"].is_i64());
    let released = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(
        released["status"], "active",
        "end_behavior=release keeps it going"
    );
    assert!(released["schedule"].is_null());
    for kind in [
        "subscription_schedule.expiring",
        "subscription_schedule.completed",
    ] {
        let events = emulator.fetch(&format!("/v1/events?type={kind}")).await;
        assert_eq!(events["data"].as_array().unwrap().len(), 1, "{kind}");
    }
}

#[tokio::test]
async fn a_schedule_not_yet_started_is_listed_as_scheduled_and_aborted_when_canceled() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 1500).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let later = (emulator.fetch("/_emulator/clock").await["now"]
        .as_i64()
        .unwrap()
        + 10 * 86_400)
        .to_string();
    let schedule = emulator
        .ok(
            "/v1/subscription_schedules",
            &[
                ("customer", &customer),
                ("start_date", &later),
                ("phases[0][items][0][price]", &price),
            ],
        )
        .await;
    assert_eq!(schedule["status"], "not_started");
    let listed = emulator
        .fetch(&format!(
            "/v1/subscription_schedules?customer={customer}&scheduled=true"
        ))
        .await;
    assert_eq!(listed["data"][0]["id"], schedule["id"]);
    let id = schedule["id"].as_str().unwrap();
    let canceled = emulator
        .ok(&format!("/v1/subscription_schedules/{id}/cancel"), &[])
        .await;
    assert_eq!(canceled["status"], "canceled");
    assert!(emulator
        .event_types()
        .await
        .contains(&"subscription_schedule.aborted".to_owned()));
}

#[tokio::test]
async fn stripe_refuses_a_second_schedule_for_a_subscription_and_changes_to_a_released_one() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 3000).await;
    let (subscription, schedule) = scheduled(&emulator, &price).await;
    let id = schedule["id"].as_str().unwrap();
    let (status, again) = emulator
        .post(
            "/v1/subscription_schedules",
            &[("from_subscription", subscription["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(again["error"]["param"], "from_subscription");
    assert_eq!(
        again["error"]["message"],
        format!(
            "You cannot migrate a subscription that is already attached to a schedule: `{id}`."
        )
    );
    let (status, cancel) = emulator
        .post(
            &format!("/v1/subscriptions/{}", subscription["id"].as_str().unwrap()),
            &[("cancel_at_period_end", "true")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(cancel["error"]["message"]
        .as_str()
        .unwrap()
        .contains("managed by the subscription schedule"));
    let (status, start) = emulator
        .post(
            &format!("/v1/subscription_schedules/{id}"),
            &[
                ("phases[0][items][0][price]", &price),
                ("phases[0][start_date]", "1000"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(start["error"]["param"], "phases[0][start_date]");
    assert_eq!(
        start["error"]["message"],
        "You can not modify the start date of the current phase."
    );
    let (status, unanchored) = emulator
        .post(
            &format!("/v1/subscription_schedules/{id}"),
            &[("phases[0][items][0][price]", &price)],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        unanchored["error"]["message"],
        "Missing at least one phase with `start_date` to anchor end dates."
    );
    emulator
        .ok(&format!("/v1/subscription_schedules/{id}/release"), &[])
        .await;
    let (status, refused) = emulator
        .post(
            &format!("/v1/subscription_schedules/{id}"),
            &[("metadata[a]", "b")],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused["error"]["message"],
        "You cannot update a subscription schedule that is currently in the `released` status. It must be in either the `not_started` or `active` status to be updated."
    );
    assert_eq!(refused["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn seats_changed_on_a_scheduled_subscription_update_its_current_phase() {
    let emulator = Emulator::start().await;
    let pro = emulator.monthly_price("Pro", 3000).await;
    let basic = emulator.monthly_price("Basic", 1000).await;
    let (subscription, schedule) = scheduled(&emulator, &pro).await;
    downgrade(&emulator, &schedule, &pro, &basic).await;
    let id = subscription["id"].as_str().unwrap();
    let item = subscription["items"]["data"][0]["id"].as_str().unwrap();
    emulator
        .ok(
            &format!("/v1/subscriptions/{id}"),
            &[("items[0][id]", item), ("items[0][quantity]", "5")],
        )
        .await;
    let schedule_id = schedule["id"].as_str().unwrap();
    let now = emulator
        .fetch(&format!("/v1/subscription_schedules/{schedule_id}"))
        .await;
    assert_eq!(now["phases"][0]["items"][0]["quantity"], 5);
    assert_eq!(now["phases"][1]["items"][0]["price"], basic);
    emulator.advance_days(31).await;
    let after = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(after["items"]["data"][0]["price"]["id"], basic);
    assert_eq!(after["items"]["data"][0]["quantity"], 2);
}

#[tokio::test]
async fn a_scheduled_start_moved_to_now_starts_the_subscription_and_end_date_now_ends_its_phase() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 1500).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let later = (emulator.fetch("/_emulator/clock").await["now"]
        .as_i64()
        .unwrap()
        + 5 * 86_400)
        .to_string();
    let schedule = emulator
        .ok(
            "/v1/subscription_schedules",
            &[
                ("customer", &customer),
                ("start_date", &later),
                ("phases[0][items][0][price]", &price),
            ],
        )
        .await;
    let id = schedule["id"].as_str().unwrap();
    let started = emulator
        .ok(
            &format!("/v1/subscription_schedules/{id}"),
            &[
                ("phases[0][items][0][price]", &price),
                ("phases[0][start_date]", "now"),
                ("phases[1][items][0][price]", &price),
                ("phases[1][items][0][quantity]", "3"),
            ],
        )
        .await;
    assert_eq!(started["status"], "active");
    let subscription = started["subscription"].as_str().unwrap().to_owned();
    let start = started["phases"][0]["start_date"]
        .as_i64()
        .unwrap()
        .to_string();
    emulator.advance_days(3).await;
    let ended = emulator
        .ok(
            &format!("/v1/subscription_schedules/{id}"),
            &[
                ("phases[0][items][0][price]", &price),
                ("phases[0][start_date]", &start),
                ("phases[0][end_date]", "now"),
                ("phases[1][items][0][price]", &price),
                ("phases[1][items][0][quantity]", "3"),
            ],
        )
        .await;
    assert_eq!(
        ended["current_phase"]["start_date"],
        ended["phases"][1]["start_date"]
    );
    let now = emulator
        .fetch(&format!("/v1/subscriptions/{subscription}"))
        .await;
    assert_eq!(now["items"]["data"][0]["quantity"], 3);
}

#[tokio::test]
async fn a_scheduled_downgrade_keeps_the_subscriptions_automatic_tax() {
    let emulator = Emulator::start().await;
    let mut prices = Vec::new();
    for amount in ["3000", "1000"] {
        let product = emulator.ok("/v1/products", &[("name", "Plan")]).await;
        let price = emulator
            .ok(
                "/v1/prices",
                &[
                    ("product", product["id"].as_str().unwrap()),
                    ("currency", "usd"),
                    ("unit_amount", amount),
                    ("recurring[interval]", "month"),
                    ("tax_behavior", "exclusive"),
                ],
            )
            .await;
        prices.push(price["id"].as_str().unwrap().to_owned());
    }
    let customer = emulator.customer_with("pm_card_visa").await;
    emulator
        .ok(
            &format!("/v1/customers/{customer}"),
            &[("address[country]", "DE")],
        )
        .await;
    let subscription = emulator
        .subscribe(
            &customer,
            &prices[0],
            &[
                ("items[0][quantity]", "3"),
                ("automatic_tax[enabled]", "true"),
            ],
        )
        .await;
    let schedule = emulator
        .ok(
            "/v1/subscription_schedules",
            &[("from_subscription", subscription["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(
        schedule["default_settings"]["automatic_tax"]["enabled"],
        true
    );
    downgrade(&emulator, &schedule, &prices[0], &prices[1]).await;
    emulator.advance_days(31).await;
    let id = subscription["id"].as_str().unwrap();
    let after = emulator
        .fetch(&format!("/v1/subscriptions/{id}?expand[]=latest_invoice"))
        .await;
    assert_eq!(after["automatic_tax"]["enabled"], true);
    assert_eq!(
        after["latest_invoice"]["total"], 2380,
        "two seats at 10.00 and 19 % VAT"
    );
}
