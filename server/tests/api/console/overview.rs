//! The overview's figures, computed from Postgres, checked against a known set of
//! subscriptions, invoices, charges, disputes and events written straight into the database.

use time::OffsetDateTime;

use super::console;
use crate::helpers::{without_markers, TestApp};

/// A customer account with `id` (`cus_…`).
async fn customer(app: &TestApp, id: &str) -> uuid::Uuid {
    let user = uuid::Uuid::new_v4();
    sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')")
        .bind(user)
        .bind(format!("{id}@example.com"))
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("INSERT INTO billing_customers (account_id, stripe_customer_id) VALUES ($1, $2)")
        .bind(user)
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    user
}

/// A subscription on `price` × `quantity`; `created`, `trial_end` and `ended_at` as SQL
/// expressions.
#[allow(clippy::too_many_arguments)]
async fn subscription(
    app: &TestApp,
    id: &str,
    status: &str,
    price: &str,
    quantity: i32,
    created: &str,
    trial_end: &str,
    ended_at: &str,
) {
    let user = customer(app, &format!("cus_{id}")).await;
    sqlx::query(&format!(
        "INSERT INTO subscriptions (id, account_id, stripe_customer_id, status, cancel_at_period_end, \
         created, trial_end, ended_at) VALUES ($1, $2, $3, $4, false, {created}, {trial_end}, {ended_at})"
    ))
    .bind(id)
    .bind(user)
    .bind(format!("cus_{id}"))
    .bind(status)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO subscription_items (id, subscription_id, price_id, product_id, quantity, \
         current_period_start, current_period_end) \
         VALUES ($1, $2, $3, 'prod_plan', $4, now(), now() + interval '30 days')",
    )
    .bind(format!("si_{id}"))
    .bind(id)
    .bind(price)
    .bind(quantity)
    .execute(&app.db)
    .await
    .unwrap();
}

async fn run(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.db).await.unwrap();
}

#[tokio::test]
async fn the_overview_adds_up_a_known_set_of_subscriptions_invoices_and_payments() {
    let (app, _stripe) = console().await;
    run(
        &app,
        "INSERT INTO stripe_products (id, active, name) VALUES ('prod_plan', true, 'Plan')",
    )
    .await;
    run(
        &app,
        "INSERT INTO stripe_prices (id, product_id, active, currency, unit_amount, kind, \
         recurring_interval, interval_count, usage_type) VALUES \
         ('p_month', 'prod_plan', true, 'usd', 900, 'recurring', 'month', 1, 'licensed'), \
         ('p_year', 'prod_plan', true, 'usd', 9000, 'recurring', 'year', 1, 'licensed'), \
         ('p_eur', 'prod_plan', true, 'eur', 1000, 'recurring', 'month', 1, 'licensed')",
    )
    .await;
    let this_month = "now()";
    let last_month = "date_trunc('month', now()) - interval '10 days'";
    let past = "now() - interval '1 day'";
    let future = "now() + interval '5 days'";
    // Paying now: 900 + 9000/12 + 2 × 900 in dollars, 1000 in euros.
    subscription(
        &app, "sub_new", "active", "p_month", 1, this_month, "NULL", "NULL",
    )
    .await;
    subscription(
        &app,
        "sub_yearly",
        "active",
        "p_year",
        1,
        last_month,
        past,
        "NULL",
    )
    .await;
    subscription(
        &app,
        "sub_behind",
        "past_due",
        "p_month",
        2,
        last_month,
        "NULL",
        "NULL",
    )
    .await;
    subscription(
        &app, "sub_euro", "active", "p_eur", 1, last_month, "NULL", "NULL",
    )
    .await;
    // Not paying (yet, or any more).
    subscription(
        &app,
        "sub_trial",
        "trialing",
        "p_month",
        1,
        this_month,
        future,
        "NULL",
    )
    .await;
    subscription(
        &app,
        "sub_paused",
        "paused",
        "p_month",
        1,
        last_month,
        past,
        "NULL",
    )
    .await;
    subscription(
        &app, "sub_gone", "canceled", "p_month", 1, last_month, past, this_month,
    )
    .await;
    subscription(
        &app,
        "sub_never",
        "incomplete_expired",
        "p_month",
        1,
        this_month,
        "NULL",
        "NULL",
    )
    .await;
    // A payment recovered after a failed attempt, and one paid at the first.
    run(
        &app,
        "INSERT INTO invoices (id, account_id, stripe_customer_id, status, currency, total, \
         amount_due, amount_paid, amount_remaining, attempt_count, created) \
         SELECT 'in_recovered', account_id, stripe_customer_id, 'paid', 'usd', 900, 900, 900, 0, 2, now() \
         FROM billing_customers WHERE stripe_customer_id = 'cus_sub_behind' UNION ALL \
         SELECT 'in_first', account_id, stripe_customer_id, 'paid', 'usd', 900, 900, 900, 0, 1, now() \
         FROM billing_customers WHERE stripe_customer_id = 'cus_sub_new'",
    )
    .await;
    // 20.00 today with 5.00 refunded, 10.00 ten days ago, a failed charge, a euro charge.
    run(
        &app,
        "INSERT INTO stripe_charges (id, amount, amount_captured, amount_refunded, currency, \
         status, refunded, disputed, created) VALUES \
         ('ch_today', 2000, 2000, 500, 'usd', 'succeeded', false, false, now()), \
         ('ch_earlier', 1000, 1000, 0, 'usd', 'succeeded', false, true, now() - interval '10 days'), \
         ('ch_failed', 5000, 0, 0, 'usd', 'failed', false, false, now()), \
         ('ch_euro', 700, 700, 0, 'eur', 'succeeded', false, false, now())",
    )
    .await;
    run(
        &app,
        "INSERT INTO stripe_disputes (id, charge_id, amount, currency, status, reason, \
         evidence_due_by, has_evidence, submission_count, created) VALUES \
         ('du_open', 'ch_earlier', 1000, 'usd', 'needs_response', 'fraudulent', \
          now() + interval '6 days', false, 0, now()), \
         ('du_won', 'ch_today', 2000, 'usd', 'won', 'fraudulent', NULL, true, 1, now())",
    )
    .await;
    run(
        &app,
        "INSERT INTO stripe_balance (currency, available, pending) VALUES ('usd', 1912, 3000)",
    )
    .await;
    run(
        &app,
        "INSERT INTO stripe_events (id, type, created, attempts, error) VALUES \
         ('evt_failing', 'invoice.paid', now(), 3, 'the call to Stripe failed')",
    )
    .await;

    let now = OffsetDateTime::now_utc();
    let mut conn = app.db.acquire().await.unwrap();
    let overview = backend::console::overview::overview(&mut conn, now)
        .await
        .unwrap();
    let words = |money: &[backend::billing::money::Money]| -> Vec<String> {
        money.iter().map(|m| m.in_words()).collect()
    };
    assert_eq!(words(&overview.mrr), ["€10", "$34.50"]);
    let counts = overview.counts;
    assert_eq!(
        (
            counts.active,
            counts.trialing,
            counts.past_due,
            counts.paused
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(
        overview.new_this_month, 2,
        "sub_new and sub_trial; not the one never paid"
    );
    assert_eq!(overview.churned_this_month, 1);
    assert_eq!(
        (overview.trials_ended, overview.trials_converted),
        (3, 1),
        "yearly converted; paused and gone did not"
    );
    assert_eq!(overview.recovered_payments, 1);
    assert_eq!(overview.failed_events, 1);
    assert_eq!(overview.open_disputes.len(), 1);
    assert_eq!(overview.open_disputes[0].id, "du_open");
    assert_eq!(overview.revenue.len(), 90);
    let today = overview.revenue.last().unwrap();
    assert_eq!(
        (today.0, today.1.in_words()),
        (now.date(), "$15".to_owned())
    );
    let ten_days_ago = &overview.revenue[89 - 10];
    assert_eq!(ten_days_ago.1.in_words(), "$10");
    let total: i64 = overview.revenue.iter().map(|(_, money)| money.minor).sum();
    assert_eq!(
        total, 2500,
        "dollars only: the currency most charges are in"
    );

    let page = without_markers(app.page("/admin").await);
    for shown in [
        "<strong>$19.12</strong> available, $30 pending",
        "<dt>MRR</dt><dd>€10, $34.50</dd>",
        "<dt>ARR</dt><dd>€120, $414</dd>",
        "<dt>Trial conversion</dt><dd>1 of 3 (33 %)</dd>",
        "<dt>Active</dt><dd>3</dd>",
        "<dt>Past due</dt><dd>1</dd>",
        "<dt>Churned this month</dt><dd>1</dd>",
        "<dt>Failed payments recovered this month</dt><dd>1</dd>",
        "1 event failed and waits to be applied again.",
        "href=\"/admin/payments/ch_earlier\"",
        "$25 from",
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
}
