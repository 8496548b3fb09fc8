//! A trial with a card that ends and is billed, and a plan renewing month after month.

use backend::billing::money::format_date;
use time::Duration;

use super::{invoices_are, settled, ADA};
use crate::billing::{
    emails::all_sent,
    gating::{dashboard, reports},
    payment::GOOD_CARD,
    subscriber::{advance_days, paid_with},
};
use crate::helpers::link_in;

#[tokio::test]
async fn a_trial_with_a_card_is_mailed_three_days_before_it_ends_then_billed_and_stays_active() {
    let (app, stripe, ada) = paid_with(true, "tollgate_pro_monthly", GOOD_CARD).await;
    let trial = settled(&app, &stripe, &ada.subscription, "trialing").await;
    assert_eq!(
        reports(&app, &app.client).await.0,
        200,
        "the trial opens Pro"
    );
    let trial_end = trial.trial_end.unwrap();

    advance_days(&stripe, 11).await;

    all_sent(&app, "trial_ending", 1).await;
    let (subject, text, _) = app.mail_to(ADA, 1).await;
    assert_eq!(
        subject,
        format!("Your Tollgate Pro trial ends on {}", format_date(trial_end))
    );
    assert_eq!(link_in(&text), "/account");
    assert_eq!(reports(&app, &app.client).await.0, 200);

    advance_days(&stripe, 4).await;

    let active = settled(&app, &stripe, &ada.subscription, "active").await;
    let period = active.current_period_end - trial_end;
    assert!(
        (Duration::days(28)..=Duration::days(31)).contains(&period),
        "a month after the trial: {period}"
    );
    invoices_are(
        &app,
        &ada.subscription,
        &[
            ("subscription_create", "paid", 0),
            ("subscription_cycle", "paid", 2900),
        ],
    )
    .await;
    assert_eq!(reports(&app, &app.client).await.0, 200);
    assert_eq!(
        app.mail_count(ADA).await,
        1,
        "the trial's end is not mailed"
    );
}

#[tokio::test]
async fn a_monthly_plan_renews_with_a_paid_invoice_each_month_listed_on_the_account_page() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    let first = settled(&app, &stripe, &ada.subscription, "active").await;
    invoices_are(
        &app,
        &ada.subscription,
        &[("subscription_create", "paid", 900)],
    )
    .await;

    advance_days(&stripe, 31).await;

    let second = settled(&app, &stripe, &ada.subscription, "active").await;
    assert!(second.current_period_end >= first.current_period_end + Duration::days(28));
    invoices_are(
        &app,
        &ada.subscription,
        &[
            ("subscription_create", "paid", 900),
            ("subscription_cycle", "paid", 900),
        ],
    )
    .await;
    let account = app.account_page(&app.client).await.unwrap();
    let renews = format!("Renews on {}", format_date(second.current_period_end));
    assert!(account.contains(&renews), "{account}");
    let numbers: Vec<String> = sqlx::query_scalar("SELECT number FROM invoices")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(numbers.len(), 2);
    assert!(numbers
        .iter()
        .all(|number| account.contains(number.as_str())));
    assert_eq!(account.matches("<td>Paid</td>").count(), 2);
    assert_eq!(dashboard(&app, &app.client).await.0, 200);

    advance_days(&stripe, 31).await;

    let third = settled(&app, &stripe, &ada.subscription, "active").await;
    assert!(third.current_period_end >= second.current_period_end + Duration::days(28));
    invoices_are(
        &app,
        &ada.subscription,
        &[
            ("subscription_create", "paid", 900),
            ("subscription_cycle", "paid", 900),
            ("subscription_cycle", "paid", 900),
        ],
    )
    .await;
    assert_eq!(dashboard(&app, &app.client).await.0, 200);
}
