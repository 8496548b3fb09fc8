//! `server stripe verify`: Postgres compared with Stripe object by object — nothing after a
//! normal checkout, exactly the sabotaged object after a row is changed behind Stripe's back,
//! deleted, or Stripe changes without telling us; the binary exits 1 then.

use backend::billing::verify::{self, Difference, Mismatch, Object, Repair, VerifyReport};
use serde_json::json;

use super::{
    checkout::{shop, sign_up_with},
    eventually,
    payment::subscribe,
    price_id, stripe_cli, Stripe,
};
use crate::helpers::TestApp;

async fn verified(app: &TestApp) -> VerifyReport {
    verify::run(&app.state()).await.expect("verify runs")
}

/// A shop whose one user subscribed to Pro through Checkout, every webhook applied.
async fn checked_out() -> (TestApp, Stripe) {
    let (app, stripe) = shop(true).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;
    let session = subscribe(&app, &app.client, &price).await;
    app.get(&format!("/checkout/success?session_id={session}"))
        .await;
    let settled = eventually(10, || async { verified(&app).await.matches() }).await;
    assert!(settled, "{:#?}", verified(&app).await.differences);
    (app, stripe)
}

/// `server stripe verify` against the app's database; it must exit 1. Its standard output.
async fn verify_fails(app: &TestApp, stripe: &Stripe) -> String {
    let output = stripe_cli(app.database.url().as_str(), stripe, &["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn after_a_checkout_the_database_matches_stripe_and_verify_exits_0() {
    let (app, stripe) = checked_out().await;

    let report = verified(&app).await;
    let output = stripe_cli(app.database.url().as_str(), &stripe, &["verify"]).await;

    assert!(report.matches(), "{:#?}", report.differences);
    assert_eq!(
        (
            report.checked.products,
            report.checked.prices,
            report.checked.customers,
            report.checked.subscriptions
        ),
        (5, 7, 1, 1)
    );
    assert!(report.checked.invoices >= 1, "{:?}", report.checked);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("everything matches"), "{stdout}");
}

#[tokio::test]
async fn a_status_changed_in_sql_is_the_one_difference_and_sync_repairs_it() {
    let (app, stripe) = checked_out().await;
    let subscription: String = sqlx::query_scalar("SELECT id FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE subscriptions SET status = 'canceled'")
        .execute(&app.db)
        .await
        .unwrap();

    let report = verified(&app).await;

    let difference = Difference {
        object: Object::Subscription,
        id: subscription.clone(),
        mismatch: Mismatch::Field {
            name: "status",
            stored: "\"canceled\"".into(),
            in_stripe: "\"trialing\"".into(),
        },
        repair: Repair::Sync,
    };
    assert_eq!(report.differences, std::slice::from_ref(&difference));
    let stdout = verify_fails(&app, &stripe).await;
    assert!(stdout.contains(&difference.to_string()), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "subscription {subscription}: status is \"canceled\" here, \"trialing\" in Stripe (repair: server stripe sync)"
        )),
        "{stdout}"
    );
    assert!(stdout.contains(": 1 difference."), "{stdout}");

    let sync = stripe_cli(app.database.url().as_str(), &stripe, &["sync"]).await;
    assert!(sync.status.success());
    assert!(verified(&app).await.matches(), "sync repaired it");
}

#[tokio::test]
async fn a_deleted_price_row_is_reported_as_not_stored() {
    let (app, stripe) = checked_out().await;
    let lifetime = price_id(&app, "tollgate_lifetime").await;
    sqlx::query("DELETE FROM stripe_prices WHERE id = $1")
        .bind(&lifetime)
        .execute(&app.db)
        .await
        .unwrap();

    let report = verified(&app).await;

    assert_eq!(
        report.differences,
        [Difference {
            object: Object::Price,
            id: lifetime.clone(),
            mismatch: Mismatch::NotStored,
            repair: Repair::Sync,
        }]
    );
    let stdout = verify_fails(&app, &stripe).await;
    assert!(
        stdout.contains(&format!(
            "price {lifetime}: in Stripe, not stored (repair: server stripe sync)"
        )),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_price_amount_changed_in_stripe_without_a_webhook_is_reported() {
    let (app, stripe) = checked_out().await;
    let yearly = price_id(&app, "tollgate_pro_yearly").await;
    let stored: i64 = sqlx::query_scalar("SELECT unit_amount FROM stripe_prices WHERE id = $1")
        .bind(&yearly)
        .fetch_one(&app.db)
        .await
        .unwrap();
    stripe.emulator().mutate(|world| {
        let mut price = world.find("price", &yearly).cloned().expect("the price");
        price["unit_amount"] = json!(stored + 100);
        world.put(price);
    });

    let report = verified(&app).await;

    assert_eq!(
        report.differences,
        [Difference {
            object: Object::Price,
            id: yearly.clone(),
            mismatch: Mismatch::Field {
                name: "unit_amount",
                stored: stored.to_string(),
                in_stripe: (stored + 100).to_string(),
            },
            repair: Repair::Sync,
        }]
    );
    let stdout = verify_fails(&app, &stripe).await;
    assert!(
        stdout.contains(&format!(
            "price {yearly}: unit_amount is {stored} here, {} in Stripe",
            stored + 100
        )),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_subscription_stripe_has_but_we_never_stored_names_the_replay_that_recovers_it() {
    let (app, stripe) = checked_out().await;
    let subscription: String = sqlx::query_scalar("SELECT id FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM subscriptions")
        .execute(&app.db)
        .await
        .unwrap();

    let report = verified(&app).await;

    assert_eq!(report.differences.len(), 1, "{:#?}", report.differences);
    let difference = &report.differences[0];
    assert_eq!(
        (
            difference.object,
            difference.id.as_str(),
            &difference.mismatch
        ),
        (
            Object::Subscription,
            subscription.as_str(),
            &Mismatch::NotStored
        )
    );
    let Repair::Replay { since } = difference.repair else {
        panic!("{difference}");
    };
    let replay = stripe_cli(
        app.database.url().as_str(),
        &stripe,
        &["replay", "--since", &since.to_string()],
    )
    .await;
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert!(verified(&app).await.matches(), "the replay recovered it");
}

#[tokio::test]
async fn a_stored_customer_stripe_does_not_have_is_the_one_difference() {
    let (app, stripe) = checked_out().await;
    sqlx::query("UPDATE billing_customers SET stripe_customer_id = 'cus_never_made'")
        .execute(&app.db)
        .await
        .unwrap();

    let report = verified(&app).await;

    assert_eq!(report.differences.len(), 1, "{:#?}", report.differences);
    let difference = &report.differences[0];
    assert_eq!(
        (
            difference.object,
            difference.id.as_str(),
            &difference.mismatch
        ),
        (Object::Customer, "cus_never_made", &Mismatch::NotInStripe)
    );
    assert!(
        matches!(difference.repair, Repair::Replay { .. }),
        "its deletion was missed: {difference}"
    );
    let stdout = verify_fails(&app, &stripe).await;
    assert!(
        stdout.contains(
            "customer cus_never_made: stored, not in Stripe (repair: server stripe replay --since "
        ),
        "{stdout}"
    );
}
