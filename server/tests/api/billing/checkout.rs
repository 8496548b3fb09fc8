//! Starting Checkout: one Stripe customer per user however many clicks, the session we create,
//! a subscriber refused a second subscription, and the signed-out path through sign-up.

use serde_json::json;
use uuid::Uuid;

use super::{payment, price_id, seed, spawn_billing, Stripe};
use crate::helpers::{form_error, location, TestApp, BASE_URL, PASSWORD};

/// An app and emulator with the demo catalog in both.
pub async fn shop(webhooks: bool) -> (TestApp, Stripe) {
    let (app, stripe) = spawn_billing(webhooks).await;
    seed(&app, &stripe).await;
    (app, stripe)
}

/// Signs `email` up in `client` (which is then signed in); the new user's id.
pub async fn sign_up_with(app: &TestApp, client: &reqwest::Client, email: &str) -> Uuid {
    let form = [
        ("email", email),
        ("password", PASSWORD),
        ("display_name", ""),
    ];
    let response = app.post_form_with(client, "/api/sign_up", &form).await;
    assert_eq!(response.status(), 302, "sign-up redirects");
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// As [`sign_up_with`], and the address confirmed by the link mailed at sign-up (which a free
/// trial without a card needs).
pub async fn sign_up_confirmed(app: &TestApp, client: &reqwest::Client, email: &str) -> Uuid {
    let user = sign_up_with(app, client, email).await;
    let followed = app.confirm_address_with(client, email, 1).await;
    assert_eq!(location(&followed), "/account?notice=email-confirmed");
    user
}

/// Posts the pricing page's form for `price`; the redirect to the hosted Checkout page.
pub async fn start_checkout(app: &TestApp, client: &reqwest::Client, price: &str) -> String {
    let response = app
        .post_form_with(client, "/api/start_checkout", &[("price", price)])
        .await;
    assert_eq!(response.status(), 302, "{:?}", form_error(&response));
    location(&response)
}

/// The `cs_…` id at the end of a hosted Checkout URL.
pub fn session_id(checkout_url: &str) -> String {
    checkout_url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn eight_concurrent_checkouts_from_one_user_make_exactly_one_stripe_customer() {
    let (app, stripe) = shop(false).await;
    let user = sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;

    let clicks: Vec<_> = (0..8)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/api/start_checkout"));
            let (origin, price) = (app.base_url.clone(), price.clone());
            tokio::spawn(async move {
                client
                    .post(url)
                    .header("accept", "text/html")
                    .header("origin", origin)
                    .form(&[("price", price)])
                    .send()
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut checkout_urls = Vec::new();
    for click in clicks {
        let response = click.await.unwrap();
        assert_eq!(response.status(), 302, "{:?}", form_error(&response));
        checkout_urls.push(location(&response));
    }

    let checkout_page = format!("{}/checkout/cs_", stripe.base_url());
    assert!(
        checkout_urls
            .iter()
            .all(|url| url.starts_with(&checkout_page)),
        "{checkout_urls:?}"
    );
    let customers: Vec<String> =
        sqlx::query_scalar("SELECT stripe_customer_id FROM billing_customers")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(customers.len(), 1);
    let in_stripe = stripe.get("/v1/customers?email=ada@example.com").await;
    assert_eq!(in_stripe["data"].as_array().unwrap().len(), 1);
    assert_eq!(in_stripe["data"][0]["id"], customers[0].as_str());
    assert_eq!(
        in_stripe["data"][0]["metadata"]["account_id"],
        user.to_string()
    );

    let session = stripe
        .get(&format!(
            "/v1/checkout/sessions/{}",
            session_id(&checkout_urls[0])
        ))
        .await;
    assert_eq!(session["mode"], "subscription");
    assert_eq!(session["client_reference_id"], user.to_string());
    assert_eq!(session["customer"], customers[0].as_str());
    assert_eq!(
        session["success_url"],
        format!("{BASE_URL}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}")
    );
    assert_eq!(session["cancel_url"], format!("{BASE_URL}/pricing"));
    assert_eq!(session["allow_promotion_codes"], true);
    let items = stripe
        .get(&format!(
            "/v1/checkout/sessions/{}/line_items",
            session_id(&checkout_urls[0])
        ))
        .await;
    assert_eq!(items["data"][0]["price"]["id"], price.as_str());
}

#[tokio::test]
async fn a_one_time_price_starts_checkout_in_payment_mode() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let lifetime = price_id(&app, "tollgate_lifetime").await;

    let url = start_checkout(&app, &app.client, &lifetime).await;

    let session = stripe
        .get(&format!("/v1/checkout/sessions/{}", session_id(&url)))
        .await;
    assert_eq!(session["mode"], "payment");
    assert_eq!(session["amount_total"], 19900);
}

#[tokio::test]
async fn a_subscriber_is_refused_a_second_subscription_and_offered_manage_or_a_plan_change() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let monthly = price_id(&app, "tollgate_pro_monthly").await;
    let session = payment::subscribe(&app, &app.client, &monthly).await;
    // No webhooks here: returning to the success page is what stores the subscription.
    let success = app
        .page(&format!("/checkout/success?session_id={session}"))
        .await;
    assert!(success.contains("Welcome to Pro"));

    for other in ["tollgate_pro_yearly", "tollgate_hobby_monthly"] {
        let price = price_id(&app, other).await;
        let response = app
            .post_form("/api/start_checkout", &[("price", &price)])
            .await;

        assert_eq!(response.status(), 302, "back to the form");
        assert_eq!(
            form_error(&response),
            Some(json!({
                "Form": "You already have a subscription. Change or cancel it from your account page."
            })),
            "{other}"
        );
    }
    let sessions = stripe.get("/v1/checkout/sessions").await;
    assert_eq!(
        sessions["data"].as_array().unwrap().len(),
        1,
        "no second session"
    );
    let pricing = app.page("/pricing").await;
    assert!(pricing.contains("Manage Pro"), "{pricing}");
    assert!(pricing.contains("Change to Hobby"), "{pricing}");
    // Another plan is a plan change on the account page (paid before it takes effect), not the
    // portal.
    let link = pricing
        .split(r#"href=""#)
        .map(|rest| rest.split('"').next().unwrap())
        .find(|href| href.starts_with("/account?change=sub_"))
        .unwrap_or_else(|| panic!("a plan-change link: {pricing}"));
    let preview = app.page(&link.replace("&amp;", "&")).await;
    assert!(
        preview.contains("Change to Hobby — $9 per month"),
        "{preview}"
    );
    assert!(!pricing.contains("Start free trial of Pro"));
}

#[tokio::test]
async fn a_signed_out_visitor_who_picks_a_plan_signs_up_and_continues_to_checkout() {
    let (app, stripe) = shop(false).await;
    let price = price_id(&app, "tollgate_pro_monthly").await;
    let start = format!("/checkout/start?price={price}");

    let response = app.get(&start).await;

    assert!(response.status().is_redirection());
    let next = format!("%2Fcheckout%2Fstart%3Fprice%3D{price}");
    assert_eq!(location(&response), format!("/signup?next={next}"));

    let form = [
        ("email", "ada@example.com"),
        ("password", PASSWORD),
        ("display_name", ""),
        ("next", start.as_str()),
    ];
    let response = app.post_form("/api/sign_up", &form).await;
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), start);

    let response = app.get(&start).await;

    assert_eq!(response.status(), 303);
    let checkout = location(&response);
    assert!(
        checkout.starts_with(&format!("{}/checkout/cs_", stripe.base_url())),
        "{checkout}"
    );
    let customers: i64 = sqlx::query_scalar("SELECT count(*) FROM billing_customers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(customers, 1);
}

#[tokio::test]
async fn a_checkout_link_followed_from_another_site_only_leads_to_the_pricing_page() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;

    let response = app
        .client
        .get(app.url(&format!("/checkout/start?price={price}")))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();

    assert!(response.status().is_redirection());
    assert_eq!(location(&response), "/pricing");
    let sessions = stripe.get("/v1/checkout/sessions").await;
    assert_eq!(sessions["data"], json!([]), "no session was created");
    let customers = stripe.get("/v1/customers").await;
    assert_eq!(customers["data"], json!([]), "nor a customer");
}

#[tokio::test]
async fn a_price_that_is_not_for_sale_is_refused_before_anything_is_created_in_stripe() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;

    let response = app
        .post_form("/api/start_checkout", &[("price", "price_not_for_sale")])
        .await;

    assert_eq!(
        form_error(&response),
        Some(json!({ "Form": "This plan is not available any more. Please pick another one." }))
    );
    let customers = stripe.get("/v1/customers").await;
    assert_eq!(customers["data"], json!([]));
}

#[tokio::test]
async fn with_stripe_down_starting_checkout_fails_politely_and_records_no_customer() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;
    drop(stripe);

    let response = app
        .post_form("/api/start_checkout", &[("price", &price)])
        .await;

    assert_eq!(response.status(), 302, "back to the form");
    assert_eq!(
        form_error(&response),
        Some(
            json!({ "Form": "We could not reach our payment provider. Please try again in a moment." })
        )
    );
    let customers: i64 = sqlx::query_scalar("SELECT count(*) FROM billing_customers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(customers, 0);
}
