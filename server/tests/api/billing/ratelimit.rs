//! The per-user limit on billing calls that reach Stripe.

use super::{app_for_with, checkout::sign_up_with, Stripe};

#[tokio::test]
async fn a_user_over_the_billing_limit_gets_429_with_retry_after_and_others_do_not() {
    let stripe = Stripe::start().await;
    let app = app_for_with(&stripe, &[("RATE_LIMIT_BILLING_PER_MINUTE", "2")]).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let page = "/checkout/success?session_id=cs_unknown";

    for _ in 0..2 {
        assert_eq!(app.get(page).await.status(), 200);
    }
    let limited = app.get(page).await;

    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let posted = app.post_form("/api/open_portal", &[]).await;
    assert_eq!(posted.status(), 429, "server functions count too");

    let bob = app.new_browser();
    sign_up_with(&app, &bob, "bob@example.com").await;
    assert_eq!(app.get_with(&bob, page).await.status(), 200);
}
