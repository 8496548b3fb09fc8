//! Every server function refuses a visitor who is not signed in, unless it is one of the few
//! meant for visitors. The list is read from the server-function registry, so a new server
//! function that forgets to check the user fails here instead of shipping.

use leptos::server_fn::axum::server_fn_paths;

use crate::helpers::{form_error, spawn_app};

/// The server functions a visitor may call, by endpoint name.
const FOR_VISITORS: &[&str] = &[
    "sign_up",
    "sign_in",
    "sign_out",
    "forgot_password",
    "reset_password",
    "pricing",
    // The invitation link's page: the mailed token is the authority, and it only reads.
    "invitation_details",
];

/// The operator console's server functions: not found for anyone but an admin
/// (`console/access.rs` checks members too).
const FOR_ADMINS: &[&str] = &[
    "admin_overview",
    "admin_payments",
    "admin_payment",
    "admin_audit",
    "refund_charge",
    "admin_payouts",
    "pay_out",
    "admin_disputes",
    "admin_dispute",
    "save_dispute_evidence",
    "submit_dispute",
    "accept_dispute",
    "admin_customers",
    "admin_customer",
    "admin_cancel_subscription",
    "admin_balance_transactions",
    "admin_events",
    "admin_event",
    "reapply_event",
    "admin_partners",
];

/// Every argument any server function takes, so each call gets past decoding to its checks
/// (arguments a function does not take are ignored).
const ARGUMENTS: &[(&str, &str)] = &[
    ("subscription_id", "sub_x"),
    ("price_id", "price_x"),
    ("price", "price_x"),
    ("proration_date", "1800000000"),
    ("session_id", "cs_x"),
    ("days", "1"),
    ("display_name", "Eve"),
    ("new_email", "eve@example.com"),
    ("current_password", "correct horse battery"),
    ("new_password", "correct horse battery staple"),
    ("password", "correct horse battery"),
    ("id", "ch_x"),
    ("charge", "ch_x"),
    ("amount", "1"),
    ("reason", "requested_by_customer"),
    ("form_id", "8d3c1a52-7a0e-4a39-9a68-b1d8a8f5b0f1"),
    ("currency", "usd"),
    ("dispute", "du_x"),
    ("evidence[uncategorized_text]", "x"),
    ("subscription", "sub_x"),
    ("when", "now"),
    ("event", "evt_x"),
    ("first_name", "Eve"),
    ("last_name", "Example"),
    ("dob", "1990-01-01"),
    ("routing_number", "110000000"),
    ("account_number", "000123456789"),
    ("accepted_terms", "yes"),
    ("interval", "manual"),
    ("token", "x"),
    ("name", "Acme"),
    ("email", "eve@example.com"),
    ("role", "member"),
    ("member", "8d3c1a52-7a0e-4a39-9a68-b1d8a8f5b0f1"),
    ("invitation", "8d3c1a52-7a0e-4a39-9a68-b1d8a8f5b0f1"),
    ("account", "personal"),
];

/// The message a signed-in-only function answers a visitor with.
const SIGN_IN_AGAIN: &str = "Your session has ended. Sign in again.";

#[tokio::test]
async fn every_server_function_but_the_visitors_ones_refuses_a_visitor() {
    let app = spawn_app().await;
    let mut paths: Vec<&str> = server_fn_paths().map(|(path, _)| path).collect();
    paths.sort_unstable();
    assert!(
        paths.len() >= 20,
        "the registry lists the server functions: {paths:?}"
    );

    let mut checked = Vec::new();
    for path in paths {
        let name = path.trim_start_matches("/api/");
        if FOR_VISITORS.contains(&name) {
            continue;
        }
        let response = app
            .post_form_with(&app.new_browser(), path, ARGUMENTS)
            .await;
        let error = form_error(&response)
            .unwrap_or_else(|| panic!("{path} answered {} without an error", response.status()));
        if FOR_ADMINS.contains(&name) {
            assert_eq!(error, serde_json::json!("NotFound"), "{path}");
            checked.push(name);
            continue;
        }
        assert!(
            error.to_string().contains(SIGN_IN_AGAIN),
            "{path} did not ask a visitor to sign in: {error}"
        );
        checked.push(name);
    }
    assert!(checked.contains(&"change_plan") && checked.contains(&"advance_clock"));
    assert!(FOR_ADMINS.iter().all(|name| checked.contains(name)));
}

#[tokio::test]
async fn the_visitors_server_functions_are_still_registered() {
    let names: Vec<String> = server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();

    for name in FOR_VISITORS {
        assert!(
            names.iter().any(|n| n == name),
            "{name} is not a server function any more"
        );
    }
}
