//! Changing plan mid-period: in the portal (prorations billed with the next renewal) and in the
//! app (billed at once, and applied only once that is paid).

use app::server_fns::billing::ChangePlan;
use leptos::server_fn::ServerFn;
use serde_json::Value;

use super::{act, invoices_are, open_portal, portal_form, replace_card, settled};
use crate::billing::{
    emails::queued,
    eventually,
    gating::reports,
    manage::hidden,
    payment::GOOD_CARD,
    price_id, recorded,
    subscriber::{
        advance_days, last_event, paid_with, stored_subscription, Subscriber, FAILING_CARD,
    },
    Stripe,
};
use crate::helpers::TestApp;

/// The amount of the line whose description starts with `start`; there must be one.
fn line_amount(invoice: &Value, start: &str) -> i64 {
    invoice["lines"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["description"].as_str().unwrap().starts_with(start))
        .unwrap_or_else(|| panic!("no line {start}… in {invoice}"))["amount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn switching_to_pro_in_the_portal_mid_period_bills_the_prorations_with_the_next_renewal() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    settled(&app, &stripe, &ada.subscription, "active").await;
    assert_eq!(reports(&app, &app.client).await.0, 402, "Hobby has no API");
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    advance_days(&stripe, 10).await;

    let portal = open_portal(&app).await;
    let form = [("subscription", ada.subscription.as_str()), ("price", &pro)];
    portal_form(&portal, "switch", &form).await;

    let switched = settled(&app, &stripe, &ada.subscription, "active").await;
    assert_eq!(switched.price_id, pro);
    assert_eq!(reports(&app, &app.client).await.0, 200, "Pro's API at once");
    invoices_are(
        &app,
        &ada.subscription,
        &[("subscription_create", "paid", 900)],
    )
    .await;

    advance_days(&stripe, 21).await;

    let renewed = settled(&app, &stripe, &ada.subscription, "active").await;
    let id = renewed.latest_invoice_id.unwrap();
    let invoice = stripe.get(&format!("/v1/invoices/{id}")).await;
    assert_eq!(
        invoice["lines"]["data"].as_array().unwrap().len(),
        3,
        "{invoice}"
    );
    let unused = line_amount(&invoice, "Unused time on Hobby");
    let remaining = line_amount(&invoice, "Remaining time on Pro");
    assert_eq!(line_amount(&invoice, "1 × Pro"), 2900);
    assert!(
        (-900..0).contains(&unused) && (0..2900).contains(&remaining),
        "{invoice}"
    );
    let share = |amount: i64, of: i64| amount as f64 / of as f64;
    assert!(
        (share(-unused, 900) - share(remaining, 2900)).abs() < 0.01,
        "both for the same rest of the month: {unused} {remaining}"
    );
    let total = invoice["total"].as_i64().unwrap();
    assert_eq!(total, 2900 + unused + remaining);
    invoices_are(
        &app,
        &ada.subscription,
        &[
            ("subscription_create", "paid", 900),
            ("subscription_cycle", "paid", total),
        ],
    )
    .await;
}

#[tokio::test]
async fn changing_plan_in_the_app_bills_the_prorations_at_once_and_renews_at_the_new_price() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    settled(&app, &stripe, &ada.subscription, "active").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let preview = app
        .page(&format!("/account?change={}&to={pro}", ada.subscription))
        .await;
    let proration_date = hidden(&preview, "proration_date");

    let more = [
        ("price_id", pro.as_str()),
        ("proration_date", &proration_date),
    ];
    let next = act(&app, ChangePlan::PATH, &ada, &more).await;

    assert_eq!(next, "/account?notice=plan-changed");
    let changed = settled(&app, &stripe, &ada.subscription, "active").await;
    assert_eq!(changed.price_id, pro);
    let id = changed.latest_invoice_id.unwrap();
    let invoice = stripe.get(&format!("/v1/invoices/{id}")).await;
    assert_eq!(invoice["billing_reason"], "subscription_update");
    assert!(line_amount(&invoice, "Unused time on Hobby") < 0);
    assert!(line_amount(&invoice, "Remaining time on Pro") > 0);
    let total = invoice["total"].as_i64().unwrap();
    invoices_are(
        &app,
        &ada.subscription,
        &[
            ("subscription_create", "paid", 900),
            ("subscription_update", "paid", total),
        ],
    )
    .await;
    assert_eq!(reports(&app, &app.client).await.0, 200);

    advance_days(&stripe, 31).await;

    settled(&app, &stripe, &ada.subscription, "active").await;
    invoices_are(
        &app,
        &ada.subscription,
        &[
            ("subscription_create", "paid", 900),
            ("subscription_update", "paid", total),
            ("subscription_cycle", "paid", 2900),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_plan_changes_mid_period_after_the_emulators_clock_has_moved_on() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    settled(&app, &stripe, &ada.subscription, "active").await;
    // Into the second month: the preview's proration date is the emulator's now, not ours.
    advance_days(&stripe, 40).await;
    settled(&app, &stripe, &ada.subscription, "active").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let preview = app
        .page(&format!("/account?change={}&to={pro}", ada.subscription))
        .await;
    let proration_date = hidden(&preview, "proration_date");
    let emulator_now = stripe.get("/_emulator/clock").await["now"]
        .as_i64()
        .unwrap();
    assert!(
        (emulator_now - proration_date.parse::<i64>().unwrap()).abs() < 600,
        "{proration_date} vs {emulator_now}"
    );

    let more = [
        ("price_id", pro.as_str()),
        ("proration_date", &proration_date),
    ];
    let next = act(&app, ChangePlan::PATH, &ada, &more).await;

    assert_eq!(next, "/account?notice=plan-changed");
    let changed = settled(&app, &stripe, &ada.subscription, "active").await;
    assert_eq!(changed.price_id, pro);
    let invoice = stripe
        .get(&format!(
            "/v1/invoices/{}",
            changed.latest_invoice_id.unwrap()
        ))
        .await;
    let credit = line_amount(&invoice, "Unused time on Hobby");
    assert!(
        (-900..-300).contains(&credit),
        "about 22 of 31 days unused: {credit}"
    );
    assert_eq!(reports(&app, &app.client).await.0, 200);
}

/// Ada on Hobby, her card replaced in the portal by one that declines every charge, confirms a
/// change to Pro on the account page: where that leads.
async fn upgrade_on_a_declined_card() -> (TestApp, Stripe, Subscriber, String) {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    settled(&app, &stripe, &ada.subscription, "active").await;
    replace_card(&open_portal(&app).await, FAILING_CARD).await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let preview = app
        .page(&format!("/account?change={}&to={pro}", ada.subscription))
        .await;
    let proration_date = hidden(&preview, "proration_date");
    let more = [
        ("price_id", pro.as_str()),
        ("proration_date", &proration_date),
    ];
    let next = act(&app, ChangePlan::PATH, &ada, &more).await;
    (app, stripe, ada, next)
}

#[tokio::test]
async fn an_upgrade_on_a_declined_card_keeps_the_old_plan_until_a_new_card_pays_for_it() {
    let (app, stripe, ada, next) = upgrade_on_a_declined_card().await;

    assert_eq!(next, "/account?notice=plan-change-awaits-payment");
    let waiting = settled(&app, &stripe, &ada.subscription, "active").await;
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    assert_eq!(waiting.price_id, hobby, "still Hobby");
    assert_eq!(reports(&app, &app.client).await.0, 402, "no Pro API");
    let page = app.page("/account").await;
    assert!(
        page.contains("Your change to Pro is waiting for payment: your card was declined."),
        "{page}"
    );
    assert!(page.contains("Update card"), "{page}");
    let invoice = stripe
        .get(&format!(
            "/v1/invoices/{}",
            waiting.latest_invoice_id.clone().unwrap()
        ))
        .await;
    assert_eq!(invoice["status"], "open");
    let declined = last_event(
        &stripe,
        "invoice.payment_failed",
        invoice["id"].as_str().unwrap(),
    )
    .await;
    let event = declined["id"].as_str().unwrap();
    let applied = || async {
        recorded(&app, event)
            .await
            .is_some_and(|(_, applied, _)| applied)
    };
    assert!(eventually(10, applied).await, "the decline is applied");
    assert_eq!(
        queued(&app, "payment_failed").await,
        (0, 0),
        "no \"payment failed\" mail: the plan is not at risk"
    );

    replace_card(&open_portal(&app).await, GOOD_CARD).await;

    let on_pro = || async {
        stored_subscription(&app, &ada.subscription)
            .await
            .is_some_and(|stored| stored.price_id == pro)
    };
    assert!(eventually(10, on_pro).await, "the new card pays for Pro");
    let changed = settled(&app, &stripe, &ada.subscription, "active").await;
    assert_eq!(changed.latest_invoice_id, waiting.latest_invoice_id);
    assert_eq!(reports(&app, &app.client).await.0, 200);
    let page = app.page("/account").await;
    assert!(!page.contains("waiting for payment"), "{page}");
}

#[tokio::test]
async fn an_upgrade_left_unpaid_is_dropped_after_a_day_and_the_old_plan_goes_on() {
    let (app, stripe, ada, _) = upgrade_on_a_declined_card().await;
    let waiting = settled(&app, &stripe, &ada.subscription, "active").await;

    advance_days(&stripe, 1).await;

    let dropped = || async { !app.page("/account").await.contains("waiting for payment") };
    assert!(eventually(10, dropped).await, "the change is dropped");
    let hobby = settled(&app, &stripe, &ada.subscription, "active").await;
    assert_eq!(
        hobby.price_id,
        price_id(&app, "tollgate_hobby_monthly").await
    );
    let invoice = waiting.latest_invoice_id.unwrap();
    assert_eq!(
        stripe.get(&format!("/v1/invoices/{invoice}")).await["status"],
        "void"
    );
    assert_eq!(reports(&app, &app.client).await.0, 402, "still no Pro API");
}
