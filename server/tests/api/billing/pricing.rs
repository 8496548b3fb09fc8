//! `/pricing` as served: the developer's hint for an empty catalog, the demo plans in order with
//! their toggle, savings and trial, the buttons for each visitor, the page's CSP, and a product
//! webhook showing at once; anonymous visitors served one rendered page, each with its own nonce;
//! no page's data sent along as script for hydration.

use super::{checkout::shop, deliver, price_id, spawn_billing};
use crate::helpers::{spawn_app, without_markers};

/// Where `needle` is in `page`, or a panic naming it.
fn position(page: &str, needle: &str) -> usize {
    page.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not on the page: {page}"))
}

#[tokio::test]
async fn an_empty_catalog_shows_no_plans_yet_and_how_to_seed_one() {
    let app = spawn_app().await;

    let response = app.get("/pricing").await;

    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("No plans yet"), "{page}");
    assert!(
        page.contains("cargo run -p server -- stripe seed"),
        "{page}"
    );
    assert!(!page.contains("interval-toggle"));
}

#[tokio::test]
async fn the_seeded_catalog_shows_hobby_pro_and_lifetime_in_order_with_toggle_savings_and_trial() {
    let (app, _stripe) = shop(false).await;

    let page = app.page("/pricing").await;

    let hobby = position(&page, ">Hobby</h2>");
    let pro = position(&page, ">Pro</h2>");
    let lifetime = position(&page, ">Lifetime</h2>");
    assert!(hobby < pro && pro < lifetime, "in metadata.index order");
    assert!(
        page.contains("Save 17%"),
        "yearly against twelve monthly payments"
    );
    assert!(page.contains("14-day free trial"));
    assert!(page.contains("$29"), "Pro monthly");
    for (group, label) in [
        ("month", "Monthly"),
        ("year", "Yearly"),
        ("one_time", "One-time"),
    ] {
        assert!(
            page.contains(&format!(r#"<label for="interval-{group}">{label}</label>"#)),
            "toggle label {label}"
        );
    }
    assert!(position(&page, "interval-month") < position(&page, "interval-one_time"));
    assert!(!page.contains("No plans yet"));
}

#[tokio::test]
async fn the_plan_marked_highlight_in_its_metadata_is_the_one_that_stands_out() {
    let (app, _stripe) = shop(false).await;

    let page = app.page("/pricing").await;

    // The demo catalog marks Pro (`"highlight": true` → `metadata.highlight`).
    assert_eq!(page.matches("Most popular").count(), 1, "{page}");
    assert_eq!(page.matches("plan--highlighted").count(), 1, "{page}");
    let pro = position(&page, ">Pro</h2>");
    let badge = position(&page, "Most popular");
    assert!(pro < badge && badge < position(&page, ">Lifetime</h2>"));
    assert!(position(&page, "plan--highlighted") < pro);
    assert!(position(&page, ">Hobby</h2>") < position(&page, "plan--highlighted"));
}

#[tokio::test]
async fn signed_out_buttons_lead_to_sign_up_then_on_to_checkout() {
    let (app, _stripe) = shop(false).await;
    let monthly = price_id(&app, "tollgate_pro_monthly").await;
    let lifetime = price_id(&app, "tollgate_lifetime").await;

    let page = app.page("/pricing").await;

    for price in [&monthly, &lifetime] {
        let href = format!(r#"href="/signup?next=/checkout/start%3Fprice%3D{price}""#);
        assert!(page.contains(&href), "{href} in {page}");
    }
    assert!(page.contains("Start free trial of Pro"));
    assert!(page.contains("Buy Lifetime"));
    assert!(
        !page.contains("/api/start_checkout"),
        "no checkout forms for a visitor"
    );
}

#[tokio::test]
async fn a_signed_in_user_gets_a_checkout_form_per_price() {
    let (app, _stripe) = shop(false).await;
    app.sign_up("ada@example.com").await;
    let monthly = price_id(&app, "tollgate_pro_monthly").await;

    let page = app.page("/pricing").await;

    assert!(page.contains("/api/start_checkout"), "{page}");
    assert!(page.contains(&format!(r#"name="price" value="{monthly}""#)));
    assert!(!page.contains("/signup?next="));
}

#[tokio::test]
async fn the_pricing_pages_csp_lets_forms_go_to_the_hosted_checkout_of_the_configured_stripe() {
    let (app, stripe) = spawn_billing(false).await;

    let response = app.get("/pricing").await;

    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let form_action = csp
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("form-action"))
        .unwrap_or_else(|| panic!("no form-action in {csp}"));
    let sources: Vec<&str> = form_action.split_whitespace().skip(1).collect();
    assert!(sources.contains(&"'self'"), "{form_action}");
    assert!(sources.contains(&stripe.base_url()), "{form_action}");
    assert!(
        !csp.contains("checkout.stripe.com"),
        "not real Stripe's: {csp}"
    );
}

#[tokio::test]
async fn a_product_webhook_changes_the_pricing_page_at_once() {
    let (app, stripe) = shop(false).await;
    assert!(app.page("/pricing").await.contains(">Pro</h2>"));

    stripe
        .ok("/v1/products/prod_tollgate_pro", &[("name", "Pro Max")])
        .await;
    stripe
        .ok(
            "/v1/products/prod_tollgate_lifetime",
            &[("active", "false")],
        )
        .await;
    for event in stripe.events(&["product.updated"]).await {
        assert_eq!(deliver(&app, &event).await.0, 200);
    }

    let page = app.page("/pricing").await;
    assert!(page.contains(">Pro Max</h2>"), "{page}");
    assert!(
        !page.contains(">Lifetime</h2>"),
        "an archived product is not sold"
    );
}

/// The `'nonce-…'` of a response's CSP, and its body.
async fn nonce_and_page(response: reqwest::Response) -> (String, String) {
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {csp}"))
        .to_owned();
    (nonce, response.text().await.unwrap())
}

#[tokio::test]
async fn anonymous_visitors_share_one_rendered_pricing_page_but_never_a_nonce() {
    let (app, _stripe) = shop(false).await;
    let visitor = || app.new_browser();

    let first = app.get_with(&visitor(), "/pricing").await;
    let second = app.get_with(&visitor(), "/pricing").await;

    assert_eq!(first.headers()["x-cache"], "miss");
    assert_eq!(second.headers()["x-cache"], "hit");
    let (first_nonce, first) = nonce_and_page(first).await;
    let (second_nonce, second) = nonce_and_page(second).await;

    assert_ne!(first_nonce, second_nonce);
    assert!(
        first.contains(&format!("nonce=\"{first_nonce}\"")),
        "{first}"
    );
    assert!(
        second.contains(&format!("nonce=\"{second_nonce}\"")),
        "{second}"
    );
    assert!(!second.contains(&first_nonce), "no nonce is served twice");
    assert_eq!(
        first.replace(&first_nonce, "NONCE"),
        second.replace(&second_nonce, "NONCE"),
        "the same page otherwise"
    );
    assert!(without_markers(second).contains(">Pro</h2>"));

    // A signed-in visitor is never served the anonymous page.
    app.sign_up("ada@example.com").await;
    let response = app.get("/pricing").await;
    assert!(response.headers().get("x-cache").is_none());
    let signed_in = without_markers(response.text().await.unwrap());
    assert!(signed_in.contains("/api/start_checkout"), "{signed_in}");
    assert!(!signed_in.contains("/signup?next="));
}

#[tokio::test]
async fn a_pricing_page_that_could_not_load_the_catalog_answers_503_and_is_not_kept() {
    let (app, _stripe) = spawn_billing(false).await;
    sqlx::query("ALTER TABLE stripe_products RENAME TO stripe_products_away")
        .execute(&app.db)
        .await
        .unwrap();

    let broken = app.get_with(&app.new_browser(), "/pricing").await;

    assert_eq!(broken.status(), 503);
    sqlx::query("ALTER TABLE stripe_products_away RENAME TO stripe_products")
        .execute(&app.db)
        .await
        .unwrap();
    let repaired = app.get_with(&app.new_browser(), "/pricing").await;
    assert_eq!(repaired.status(), 200);
    assert_eq!(
        repaired.headers()["x-cache"],
        "miss",
        "the error was not kept"
    );
    // Notices travel in the query string: such pages are rendered, never kept.
    let noticed = app
        .get_with(&app.new_browser(), "/pricing?notice=unavailable")
        .await;
    assert!(noticed.headers().get("x-cache").is_none());
    assert!(noticed
        .text()
        .await
        .unwrap()
        .contains("That plan is not available any more."));
}

#[tokio::test]
async fn no_page_serializes_its_data_into_the_html_for_a_bundle_that_never_comes() {
    let (app, _stripe) = shop(false).await;
    app.sign_up("private@example.com").await;

    for path in ["/pricing", "/account", "/dashboard"] {
        let page = app.page(path).await;
        // Leptos writes each resolved resource as `__RESOLVED_RESOURCES[n] = "…"` for hydration;
        // no page hydrates, so the account's plans and invoices must never be sent that way.
        assert!(
            !page.contains("__RESOLVED_RESOURCES["),
            "{path} carries its resources as script: {page}"
        );
    }
}
