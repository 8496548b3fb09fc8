//! Paying out from the console: refused in Stripe's words above the available balance (nothing
//! sent), then the whole available balance paid out once however often the form arrives, and
//! the payout followed until it is paid.

use super::{console, paid, ADMIN};
use crate::{
    billing::{eventually, Stripe},
    helpers::{form_error, location, TestApp},
};

async fn pay_out(app: &TestApp, amount: &str, form_id: &str) -> reqwest::Response {
    app.post_form(
        "/api/pay_out",
        &[
            ("currency", "usd"),
            ("amount", amount),
            ("form_id", form_id),
        ],
    )
    .await
}

async fn advance_days(stripe: &Stripe, days: u32) {
    stripe
        .ok("/_emulator/clock/advance", &[("days", &days.to_string())])
        .await;
}

async fn stored(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn an_admin_pays_out_the_available_balance_once_and_is_refused_above_it() {
    let (app, stripe) = console().await;
    paid(&app, &stripe, 2000, "pm_card_visa").await;
    let page = app.page("/admin/payouts").await;
    assert!(
        page.contains("Nothing is available to pay out yet"),
        "{page}"
    );

    advance_days(&stripe, 3).await;
    assert!(
        eventually(10, || async {
            stored(
                &app,
                "SELECT COALESCE(sum(available), 0)::bigint FROM stripe_balance",
            )
            .await
                == 1912
        })
        .await,
        "balance.available mirrored the balance"
    );
    let page = app.page("/admin/payouts").await;
    assert!(page.contains("$19.12 is available"), "{page}");

    let response = pay_out(&app, "50", &uuid::Uuid::new_v4().to_string()).await;
    let error = form_error(&response).expect("refused");
    assert!(error.to_string().contains("insufficient funds"), "{error}");
    let in_stripe = stripe.get("/v1/payouts").await;
    assert_eq!(
        in_stripe["data"].as_array().unwrap().len(),
        0,
        "nothing sent"
    );

    let form = uuid::Uuid::new_v4().to_string();
    let (a, b, c) = tokio::join!(
        pay_out(&app, "", &form),
        pay_out(&app, "", &form),
        pay_out(&app, "", &form)
    );
    for response in [a, b, c] {
        assert_eq!(location(&response), "/admin/payouts?notice=paid-out");
    }
    let in_stripe = stripe.get("/v1/payouts").await;
    let payouts = in_stripe["data"].as_array().unwrap();
    assert_eq!(payouts.len(), 1, "one payout for one form: {in_stripe}");
    assert_eq!(payouts[0]["amount"], 1912);
    let page = app.page("/admin/payouts?notice=paid-out").await;
    assert!(page.contains("The payout is on its way"), "{page}");
    assert!(page.contains("pending"), "{page}");

    advance_days(&stripe, 3).await;
    assert!(
        eventually(10, || async {
            stored(
                &app,
                "SELECT count(*) FROM stripe_payouts WHERE status = 'paid'",
            )
            .await
                == 1
        })
        .await,
        "payout.paid mirrored the payout"
    );
    let rows: Vec<(String, String, Option<i64>)> =
        sqlx::query_as("SELECT action, outcome, amount FROM admin_actions ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            ("payout".to_owned(), "refused".to_owned(), Some(5000)),
            ("payout".to_owned(), "succeeded".to_owned(), Some(1912)),
        ]
    );
    assert!(app.page("/admin/audit").await.contains(ADMIN));
}
