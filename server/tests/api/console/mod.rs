//! The operator console through the real router, with the emulator in-process: who may open it,
//! the mirror of the money after the sale, and the refund action.

mod access;
mod customers;
mod disputes;
mod overview;
mod payouts;
mod purchases;
mod records;
mod refunds;

use serde_json::Value;

use crate::{
    billing::{eventually, spawn_billing, Stripe},
    helpers::TestApp,
};

/// The admin every console test signs in as.
pub const ADMIN: &str = "operator@example.com";

/// An app with webhooks from its emulator, and a signed-in admin (the app's own client).
pub async fn console() -> (TestApp, Stripe) {
    let (app, stripe) = spawn_billing(true).await;
    app.sign_up(ADMIN).await;
    grant(&app, ADMIN).await;
    (app, stripe)
}

/// Makes the account an admin, as `server admin grant` does.
pub async fn grant(app: &TestApp, email: &str) {
    let changed = backend::console::admins::set_role(&app.db, email, backend::auth::Role::Admin)
        .await
        .unwrap();
    assert_eq!(changed, backend::console::admins::RoleChange::Set);
}

/// A card payment of `amount` cents (USD) without a customer, paid with `test_card`
/// (`pm_card_visa`, `pm_card_createDispute`, …), once the console's mirror holds its charge;
/// the charge's id.
pub async fn paid(app: &TestApp, stripe: &Stripe, amount: i64, test_card: &str) -> String {
    let intent = stripe
        .ok(
            "/v1/payment_intents",
            &[
                ("amount", &amount.to_string()),
                ("currency", "usd"),
                ("payment_method", test_card),
                ("confirm", "true"),
                ("allowed_payment_method_types[0]", "card"),
            ],
        )
        .await;
    assert_eq!(intent["status"], "succeeded", "{intent}");
    let charge = intent["latest_charge"].as_str().unwrap().to_owned();
    assert!(
        eventually(10, || mirrored(app, &charge)).await,
        "the charge.succeeded webhook mirrored {charge}"
    );
    charge
}

async fn mirrored(app: &TestApp, charge: &str) -> bool {
    sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM stripe_charges WHERE id = $1 AND fee IS NOT NULL",
    )
    .bind(charge)
    .fetch_one(&app.db)
    .await
    .unwrap()
        == 1
}

/// The charge as Stripe has it now.
pub async fn charge(stripe: &Stripe, id: &str) -> Value {
    stripe.get(&format!("/v1/charges/{id}")).await
}
