//! Promotion codes and tax: the demo catalog's code taken off at Checkout and on the invoices
//! (shown on the account page), a code Stripe refuses, and Stripe Tax adding a US state's sales
//! tax to an exclusive price (the pricing page says *plus tax*).

use super::{
    app_for_with,
    checkout::{session_id, shop, sign_up_with, start_checkout},
    eventually,
    payment::{pay_with, GOOD_CARD},
    price_id, seed, Stripe,
};
use crate::helpers::{location, TestApp};

/// Opens the success page of the paid `checkout`; the subscription it made.
async fn succeeded(app: &TestApp, stripe: &Stripe, checkout: &str) -> String {
    let session = session_id(checkout);
    app.page(&format!("/checkout/success?session_id={session}"))
        .await;
    stripe
        .get(&format!("/v1/checkout/sessions/{session}"))
        .await["subscription"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_promotion_code_takes_its_share_off_and_the_account_page_shows_it() {
    let (app, stripe) = shop(true).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let checkout = start_checkout(&app, &app.client, &hobby).await;

    // A code Stripe does not know is refused on the page; nothing is charged.
    let refused = pay_with(&checkout, GOOD_CARD, &[("promotion_code", "NOPE")]).await;
    assert_ne!(refused.status(), 303);
    let paid = pay_with(&checkout, GOOD_CARD, &[("promotion_code", "LAUNCH20")]).await;
    assert_eq!(paid.status(), 303, "{}", paid.text().await.unwrap());
    assert!(location(&paid).contains("/checkout/success"));
    let subscription = succeeded(&app, &stripe, &checkout).await;
    let invoices = stripe
        .get(&format!("/v1/invoices?subscription={subscription}"))
        .await;
    assert_eq!(invoices["data"][0]["total"], 720, "20% off $9");
    let stored = eventually(10, || async {
        let page = app.account_page(&app.client).await.unwrap();
        page.contains("$7.20") && page.contains("$1.80 off")
    })
    .await;
    let page = app.account_page(&app.client).await.unwrap();
    assert!(stored, "the invoice shows its discount: {page}");
    assert!(page.contains("Launch offer: 20% off until"), "{page}");
}

#[tokio::test]
async fn stripe_tax_adds_the_states_sales_tax_to_an_exclusive_price() {
    let stripe = Stripe::start().await;
    let app = app_for_with(&stripe, &[("STRIPE_AUTOMATIC_TAX", "true")]).await;
    stripe.send_webhooks_to(&app);
    seed(&app, &stripe).await;
    let pricing = app.page("/pricing").await;
    assert!(pricing.contains("plus tax"), "{pricing}");

    sign_up_with(&app, &app.client, "ada@example.com").await;
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let checkout = start_checkout(&app, &app.client, &hobby).await;
    let session = stripe
        .get(&format!("/v1/checkout/sessions/{}", session_id(&checkout)))
        .await;
    assert_eq!(session["automatic_tax"]["enabled"], true);
    assert_eq!(session["tax_id_collection"]["enabled"], true);
    let paid = pay_with(
        &checkout,
        GOOD_CARD,
        &[("address_state", "CA"), ("address_postal_code", "94103")],
    )
    .await;
    assert_eq!(paid.status(), 303, "{}", paid.text().await.unwrap());
    let subscription = succeeded(&app, &stripe, &checkout).await;
    let invoice = &stripe
        .get(&format!("/v1/invoices?subscription={subscription}"))
        .await["data"][0];
    assert_eq!(
        invoice["total"], 965,
        "$9 and 7.25% California sales tax: {invoice}"
    );
    let stored = eventually(10, || async {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT total, tax FROM invoices WHERE subscription_id = $1",
        )
        .bind(&subscription)
        .fetch_optional(&app.db)
        .await
        .unwrap()
            == Some((965, 65))
    })
    .await;
    assert!(stored, "the webhooks store the invoice with its tax");
    let page = app.account_page(&app.client).await.unwrap();
    assert!(page.contains("incl. $0.65 tax"), "{page}");
}
