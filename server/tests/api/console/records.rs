//! The console's records: balance transactions (filtered by type, exported as CSV for a date
//! range) and the webhook inbox, where a failed event is applied again.

use serde_json::json;

use super::{console, paid};
use crate::{
    billing::{deliver, event, eventually},
    helpers::{form_error, location},
};

#[tokio::test]
async fn balance_transactions_are_listed_by_type_and_exported_as_csv_for_a_date_range() {
    let (app, stripe) = console().await;
    let charge = paid(&app, &stripe, 2000, "pm_card_visa").await;
    let refunded = app
        .post_form(
            "/api/refund_charge",
            &[
                ("charge", charge.as_str()),
                ("amount", "10"),
                ("reason", "requested_by_customer"),
                ("form_id", &uuid::Uuid::new_v4().to_string()),
            ],
        )
        .await;
    assert_eq!(
        location(&refunded),
        format!("/admin/payments/{charge}?notice=refunded")
    );

    let page = app.page("/admin/balance").await;
    assert!(page.contains("$19.12") && page.contains("-$10"), "{page}");
    let refunds_only = app.page("/admin/balance?type=refund").await;
    assert!(
        refunds_only.contains("-$10") && !refunds_only.contains("$19.12"),
        "{refunds_only}"
    );

    let today = time::OffsetDateTime::now_utc().date();
    let (from, to) = (today.previous_day().unwrap(), today.next_day().unwrap());
    let response = app
        .get(&format!("/admin/balance/export?from={from}&to={to}"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"balance-transactions-"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two transactions: {csv}");
    assert!(lines[0].starts_with("id,type,reporting_category,amount,fee,net,currency"));
    // Oldest first; made in the same second, they may come in either order.
    for expected in [
        ",charge,charge,2000,88,1912,usd,",
        ",refund,refund,-1000,0,-1000,usd,",
    ] {
        assert!(
            lines[1..].iter().any(|line| line.contains(expected)),
            "{expected}: {csv}"
        );
    }

    let before = today.previous_day().unwrap().previous_day().unwrap();
    let empty = app
        .get(&format!("/admin/balance/export?from={before}&to={before}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(empty.lines().count(), 1, "only the header: {empty}");
    let backwards = app
        .get(&format!("/admin/balance/export?from={to}&to={from}"))
        .await;
    assert_eq!(backwards.status(), 400);
    let visitor = app
        .get_with(
            &app.new_browser(),
            &format!("/admin/balance/export?from={from}&to={to}"),
        )
        .await;
    assert_eq!(visitor.status(), 404);
}

#[tokio::test]
async fn a_failed_event_is_shown_with_its_error_and_payload_and_applied_again_from_the_console() {
    let (app, stripe) = console().await;
    let charge = paid(&app, &stripe, 2000, "pm_card_visa").await;
    stripe
        .ok("/_emulator/chaos", &[("api_fault_rate", "1")])
        .await;
    let updated = event(
        "charge.updated",
        json!({ "id": charge, "object": "charge" }),
    );
    let id = updated["id"].as_str().unwrap().to_owned();
    assert_eq!(deliver(&app, &updated).await.0, 200);
    let failed = || async {
        sqlx::query_scalar::<_, bool>(
            "SELECT error IS NOT NULL AND applied_at IS NULL FROM stripe_events WHERE id = $1",
        )
        .bind(&id)
        .fetch_optional(&app.db)
        .await
        .unwrap()
        .unwrap_or(false)
    };
    assert!(
        eventually(10, failed).await,
        "the event failed while Stripe failed"
    );
    stripe
        .ok("/_emulator/chaos", &[("api_fault_rate", "0")])
        .await;

    let failing = app.page("/admin/events?failing=1").await;
    assert!(
        failing.contains("charge.updated") && failing.contains("Failing"),
        "{failing}"
    );
    let page = app.page(&format!("/admin/events/{id}")).await;
    assert!(page.contains("Apply it again"), "{page}");
    assert!(page.contains(&charge), "the payload: {page}");

    let queued = app
        .post_form("/api/reapply_event", &[("event", id.as_str())])
        .await;
    assert_eq!(
        location(&queued),
        format!("/admin/events/{id}?notice=event-queued")
    );
    let applied = || async {
        sqlx::query_scalar::<_, bool>(
            "SELECT applied_at IS NOT NULL FROM stripe_events WHERE id = $1",
        )
        .bind(&id)
        .fetch_one(&app.db)
        .await
        .unwrap()
    };
    assert!(eventually(10, applied).await, "applied again");
    let again = app
        .post_form("/api/reapply_event", &[("event", id.as_str())])
        .await;
    let error = form_error(&again).expect("an applied event is not queued again");
    assert!(error.to_string().contains("applied already"), "{error}");
    let log: Vec<(String, String)> = sqlx::query_as("SELECT action, object_id FROM admin_actions")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(log, [("event_reapplied".to_owned(), id.clone())]);
}
