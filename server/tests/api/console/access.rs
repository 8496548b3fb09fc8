//! Everything under `/admin` is the not-found page to anyone but an admin — a visitor, a
//! member — and its server functions answer "not found" too; an admin opens every page.

use super::{console, paid, ADMIN};
use crate::helpers::{form_error, spawn_app};

/// The console's pages (`{charge}` and `{dispute}` are filled with real ids).
const PAGES: &[&str] = &[
    "/admin",
    "/admin/payments",
    "/admin/payments?q=example",
    "/admin/payments/{charge}",
    "/admin/payouts",
    "/admin/disputes",
    "/admin/disputes/{dispute}",
    "/admin/customers",
    "/admin/customers?q=example",
    "/admin/balance",
    "/admin/balance?type=charge",
    "/admin/events",
    "/admin/events?failing=1",
    "/admin/partners",
    "/admin/audit",
];

/// The console's server functions, with arguments that get past decoding.
const FUNCTIONS: &[(&str, &[(&str, &str)])] = &[
    ("/api/admin_overview", &[]),
    ("/api/admin_payments", &[]),
    ("/api/admin_payment", &[("id", "ch_x")]),
    ("/api/admin_audit", &[]),
    ("/api/admin_payouts", &[]),
    ("/api/admin_customers", &[]),
    ("/api/admin_customer", &[("id", "cus_x")]),
    (
        "/api/admin_cancel_subscription",
        &[
            ("subscription", "sub_x"),
            ("when", "now"),
            ("form_id", "8d3c1a52-7a0e-4a39-9a68-b1d8a8f5b0f1"),
        ],
    ),
    ("/api/admin_balance_transactions", &[]),
    ("/api/admin_events", &[]),
    ("/api/admin_event", &[("id", "evt_x")]),
    ("/api/reapply_event", &[("event", "evt_x")]),
    ("/api/admin_partners", &[]),
    ("/api/admin_disputes", &[]),
    ("/api/admin_dispute", &[("id", "du_x")]),
    (
        "/api/save_dispute_evidence",
        &[
            ("dispute", "du_x"),
            ("form_id", "8d3c1a52-7a0e-4a39-9a68-b1d8a8f5b0f1"),
            ("evidence[uncategorized_text]", "x"),
        ],
    ),
    (
        "/api/submit_dispute",
        &[
            ("dispute", "du_x"),
            ("form_id", "8d3c1a52-7a0e-4a39-9a68-b1d8a8f5b0f1"),
        ],
    ),
    (
        "/api/accept_dispute",
        &[
            ("dispute", "du_x"),
            ("form_id", "8d3c1a52-7a0e-4a39-9a68-b1d8a8f5b0f1"),
        ],
    ),
    (
        "/api/pay_out",
        &[
            ("currency", "usd"),
            ("amount", "1"),
            ("form_id", "8d3c1a52-7a0e-4a39-9a68-b1d8a8f5b0f1"),
        ],
    ),
    (
        "/api/refund_charge",
        &[
            ("charge", "ch_x"),
            ("amount", "1"),
            ("reason", "requested_by_customer"),
            ("form_id", "8d3c1a52-7a0e-4a39-9a68-b1d8a8f5b0f1"),
        ],
    ),
];

#[tokio::test]
async fn the_console_is_not_found_for_visitors_and_members_and_opens_for_an_admin() {
    let (app, stripe) = console().await;
    let charge = paid(&app, &stripe, 2000, "pm_card_createDispute").await;
    let dispute: String = {
        let find = || async {
            sqlx::query_scalar::<_, String>("SELECT id FROM stripe_disputes WHERE charge_id = $1")
                .bind(&charge)
                .fetch_optional(&app.db)
                .await
                .unwrap()
        };
        assert!(crate::billing::eventually(10, || async { find().await.is_some() }).await);
        find().await.unwrap()
    };
    let member = app.new_browser();
    app.post_form_with(
        &member,
        "/api/sign_up",
        &[
            ("email", "member@example.com"),
            ("password", crate::helpers::PASSWORD),
            ("display_name", ""),
        ],
    )
    .await;
    for page in PAGES {
        let path = page
            .replace("{charge}", &charge)
            .replace("{dispute}", &dispute);
        for (who, client) in [
            ("a visitor", app.new_browser()),
            ("a member", member.clone()),
        ] {
            let response = app.get_with(&client, &path).await;
            assert_eq!(response.status(), 404, "{path} for {who}");
            let html = response.text().await.unwrap();
            assert!(html.contains("Page not found"), "{path} for {who}");
            assert!(
                !html.contains("Console"),
                "{path} for {who} says nothing of the console"
            );
        }
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path} for {ADMIN}");
    }
    // The upload's path, asked with another method, says nothing either.
    for client in [app.new_browser(), member.clone(), app.client.clone()] {
        let response = app
            .get_with(&client, &format!("/admin/disputes/{dispute}/evidence-file"))
            .await;
        assert_eq!(response.status(), 404);
    }
    for (path, form) in FUNCTIONS {
        for (who, client) in [
            ("a visitor", app.new_browser()),
            ("a member", member.clone()),
        ] {
            let response = app.post_form_with(&client, path, form).await;
            let error = form_error(&response)
                .unwrap_or_else(|| panic!("{path} for {who} answered {}", response.status()));
            assert_eq!(error, serde_json::json!("NotFound"), "{path} for {who}");
        }
    }
}

#[tokio::test]
async fn an_account_made_an_admin_opens_the_console_from_its_next_request_and_loses_it_when_revoked(
) {
    let app = spawn_app().await;
    app.sign_up("later@example.com").await;
    assert_eq!(app.get("/admin").await.status(), 404);
    super::grant(&app, "later@example.com").await;
    assert_eq!(app.get("/admin").await.status(), 200);
    backend::console::admins::set_role(&app.db, "later@example.com", backend::auth::Role::Member)
        .await
        .unwrap();
    assert_eq!(app.get("/admin").await.status(), 404);
    let unknown = backend::console::admins::set_role(
        &app.db,
        "nobody@example.com",
        backend::auth::Role::Admin,
    )
    .await
    .unwrap();
    assert_eq!(unknown, backend::console::admins::RoleChange::NoSuchAccount);
}

#[tokio::test]
async fn in_development_the_first_account_signed_up_is_the_admin_and_the_next_is_not() {
    let app = crate::helpers::spawn_app_with(&[("FIRST_ACCOUNT_ADMIN", "true")]).await;
    app.sign_up("first@example.com").await;
    let console = app.get("/admin").await;
    assert_eq!(console.status(), 200);
    let header = console.text().await.unwrap();
    assert!(
        header.contains("href=\"/admin\""),
        "Console in the header: {header}"
    );
    let second = app.new_browser();
    app.post_form_with(
        &second,
        "/api/sign_up",
        &[
            ("email", "second@example.com"),
            ("password", crate::helpers::PASSWORD),
            ("display_name", ""),
        ],
    )
    .await;
    assert_eq!(app.get_with(&second, "/admin").await.status(), 404);
    let production = [
        crate::helpers::PRODUCTION,
        &[("FIRST_ACCOUNT_ADMIN", "true")],
    ]
    .concat();
    let production = crate::helpers::spawn_app_with(&production).await;
    production.sign_up("first@example.com").await;
    assert_eq!(
        production.get("/admin").await.status(),
        404,
        "never outside development"
    );
}
