//! Every route a visitor can reach, enumerated: the Leptos pages from the very route list the
//! server is built with, and the plain axum routes read out of `startup.rs` itself. Each is
//! classified here with what a visitor (not signed in) gets, and checked; a route nobody
//! classified fails the suite, and so does a signed-in-only route that lets a visitor through.
//! (Server functions are enumerated the same way in `authorization.rs`.)

use crate::helpers::{location, spawn_app, spawn_app_with, PRODUCTION};

/// What a visitor gets.
#[derive(Debug, Clone, Copy)]
enum Visitor {
    /// The page or answer itself: a public route.
    Open,
    /// Sent to sign in (or sign up) first, with the way back in `next`.
    SignInFirst,
    /// Refused with this status.
    Refused(u16),
    /// Not routed at all unless configured (dev mode, the benchmark): 404 in production.
    OnlyWhenConfigured,
    /// Sent on to this page, having done nothing.
    SentTo(&'static str),
}

/// The app's pages, by path.
const PAGES: &[(&str, Visitor)] = &[
    ("/", Visitor::Open),
    ("/signup", Visitor::Open),
    ("/signin", Visitor::Open),
    ("/forgot-password", Visitor::Open),
    ("/reset-password", Visitor::Open),
    // Opening a mailed link changes nothing; its button posts the token.
    ("/account/confirm-email", Visitor::Open),
    ("/pricing", Visitor::Open),
    ("/account", Visitor::SignInFirst),
    ("/dashboard", Visitor::SignInFirst),
    ("/partners", Visitor::SignInFirst),
    ("/organization", Visitor::SignInFirst),
    // Opening a mailed invitation changes nothing; its button posts the token.
    ("/invitations/accept", Visitor::Open),
    ("/checkout/success", Visitor::SignInFirst),
    // The operator console does not announce itself (console/access.rs: members too).
    ("/admin", Visitor::Refused(404)),
    ("/admin/payments", Visitor::Refused(404)),
    ("/admin/payments/{id}", Visitor::Refused(404)),
    ("/admin/payouts", Visitor::Refused(404)),
    ("/admin/customers", Visitor::Refused(404)),
    ("/admin/customers/{id}", Visitor::Refused(404)),
    ("/admin/balance", Visitor::Refused(404)),
    ("/admin/events", Visitor::Refused(404)),
    ("/admin/events/{id}", Visitor::Refused(404)),
    ("/admin/disputes", Visitor::Refused(404)),
    ("/admin/disputes/{id}", Visitor::Refused(404)),
    ("/admin/partners", Visitor::Refused(404)),
    ("/admin/audit", Visitor::Refused(404)),
];

/// The plain axum routes in `server/src/startup.rs`: method, path (with the query a real request
/// carries) and what a visitor gets.
const ROUTES: &[(&str, &str, Visitor)] = &[
    // The mailed token is the authority; a wrong one changes nothing.
    (
        "POST",
        "/account/confirm-email",
        Visitor::SentTo("/account?notice=link-invalid"),
    ),
    // The mailed token is the authority; a wrong one confirms nothing.
    (
        "GET",
        "/account/verify-email?token=x",
        Visitor::SentTo("/account?notice=link-invalid"),
    ),
    ("GET", "/checkout/start?price=price_x", Visitor::SignInFirst),
    ("GET", "/api/reports", Visitor::Refused(401)),
    // The console's evidence upload: not found for anyone but an admin.
    (
        "POST",
        "/admin/disputes/{id}/evidence-file",
        Visitor::Refused(404),
    ),
    (
        "GET",
        "/admin/balance/export?from=2026-12-01&to=2026-12-31",
        Visitor::Refused(404),
    ),
    // Where Stripe's hosted onboarding sends a partner back: signed-in partners only.
    ("GET", "/partners/onboarding/return", Visitor::Refused(404)),
    ("GET", "/partners/onboarding/refresh", Visitor::Refused(404)),
    ("GET", "/dev/mailbox", Visitor::OnlyWhenConfigured),
    ("GET", "/healthz", Visitor::Open),
    // For a scraper with METRICS_TOKEN (metrics.rs).
    ("GET", "/metrics", Visitor::OnlyWhenConfigured),
    ("GET", "/readyz", Visitor::Open),
    // Only Stripe, with a signature.
    ("POST", "/webhooks/stripe", Visitor::Refused(400)),
    ("POST", "/webhooks/stripe/connect", Visitor::Refused(400)),
    ("GET", "/bench/ceiling", Visitor::OnlyWhenConfigured),
];

/// A route's path without its query.
fn path_of(route: &str) -> &str {
    route.split('?').next().unwrap_or(route)
}

/// Every path given to `.route(` in the server's router.
fn routes_in_startup() -> Vec<String> {
    let source = include_str!("../../src/startup.rs");
    source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.trim_start().strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_owned())
        })
        .collect()
}

#[test]
fn every_axum_route_in_the_router_is_classified_here() {
    let mut found = routes_in_startup();
    found.sort();
    found.dedup();
    let mut classified: Vec<String> = ROUTES
        .iter()
        .map(|(_, route, _)| path_of(route).to_owned())
        .collect();
    classified.sort();
    assert!(
        found.len() >= 6,
        "the router's routes were found: {found:?}"
    );
    assert_eq!(
        found, classified,
        "a route was added or removed in startup.rs: classify it in ROUTES"
    );
}

#[tokio::test]
async fn every_page_is_classified_and_a_visitor_gets_what_its_class_says() {
    let app = spawn_app().await;
    let mut listed: Vec<String> = server::startup::routes()
        .iter()
        .map(|route| route.path().to_owned())
        .collect();
    listed.sort();
    listed.dedup();
    let mut classified: Vec<String> = PAGES.iter().map(|(path, _)| path.to_string()).collect();
    classified.sort();
    assert_eq!(
        listed, classified,
        "a page was added or removed: classify it in PAGES"
    );

    for (path, visitor) in PAGES {
        let path = &path.replace("{id}", "ch_x");
        let response = app.get_with(&app.new_browser(), path).await;
        let status = response.status().as_u16();
        match visitor {
            Visitor::Open => assert_eq!(status, 200, "{path}"),
            Visitor::SignInFirst => {
                assert_eq!(status, 302, "{path}");
                let to = location(&response);
                assert!(
                    to.starts_with("/signin?next=") || to.starts_with("/signup?next="),
                    "{path} sent a visitor to {to}"
                );
            }
            Visitor::Refused(expected) => assert_eq!(status, *expected, "{path}"),
            other => panic!("{path}: pages are open, need a sign-in or are refused, not {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_visitor_gets_what_each_axum_route_is_classified_as() {
    let production = spawn_app_with(PRODUCTION).await;
    for (method, path, visitor) in ROUTES {
        let browser = production.new_browser();
        let url = production.url(path);
        let request = match *method {
            "GET" => browser.get(&url),
            "POST" => browser
                .post(&url)
                .header("origin", &production.base_url)
                .form(&[("token", "not-a-token")]),
            other => panic!("add {other} to this test"),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        match visitor {
            Visitor::Open => assert_eq!(status, 200, "{method} {path}"),
            Visitor::SentTo(page) => {
                assert!((300..400).contains(&status), "{method} {path}: {status}");
                assert_eq!(location(&response), *page, "{method} {path}");
            }
            Visitor::SignInFirst => {
                assert!((300..400).contains(&status), "{method} {path}: {status}");
                let to = location(&response);
                assert!(
                    to.starts_with("/signin?next=") || to.starts_with("/signup?next="),
                    "{method} {path} sent a visitor to {to}"
                );
            }
            Visitor::Refused(expected) => assert_eq!(status, *expected, "{method} {path}"),
            Visitor::OnlyWhenConfigured => assert_eq!(status, 404, "{method} {path}"),
        }
    }
}
