//! Tollgate's user interface: the HTML shell, the router and every page, rendered on the server
//! (`ssr`) and brought to life in the browser (`hydrate`).
//!
//! Pages are plain server-rendered HTML and load no WASM. Leptos islands stay available: a page
//! that holds an `#[island]` renders [`components::islands::IslandScripts`], and only that page
//! loads the bundle (ARCHITECTURE.md, "Hydration").
//!
//! - [`components`]: the page layout (header, footer) and small reusable pieces.
//! - [`pages`]: one module per route.
//! - [`server_fns`]: the server functions the forms post to (thin adapters over `backend`).
//! - [`auth`]: the signed-in user as pages see it; the sign-in return-path rule.
//! - [`errors`]: the error type forms get back.
//! - [`notice`]: the confirmations pages show after an action, as carried in their URLs.
//! - [`billing_views`]: what the billing pages receive; [`console_views`]: what the operator
//!   console's pages receive.
#![recursion_limit = "256"]

pub mod auth;
pub mod billing_views;
pub mod components;
pub mod console_views;
pub mod errors;
pub mod notice;
pub mod pages;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::components::layout::Layout;
use crate::pages::{
    account::AccountPage,
    admin::{
        audit::AdminAuditPage, balance::AdminBalancePage, customer::AdminCustomerPage,
        customers::AdminCustomersPage, dispute::AdminDisputePage, disputes::AdminDisputesPage,
        event::AdminEventPage, events::AdminEventsPage, overview::AdminOverviewPage,
        partners::AdminPartnersPage, payment::AdminPaymentPage, payments::AdminPaymentsPage,
        payouts::AdminPayoutsPage,
    },
    checkout_success::CheckoutSuccessPage,
    confirm_email::ConfirmEmailPage,
    dashboard::DashboardPage,
    forgot_password::ForgotPasswordPage,
    home::HomePage,
    invitation::InvitationAcceptPage,
    not_found::NotFound,
    organization::OrganizationPageView,
    partners::PartnersPage,
    pricing::PricingPage,
    reset_password::ResetPasswordPage,
    signin::SignInPage,
    signup::SignUpPage,
};

/// The HTML document around the app, rendered once per request on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // Islands mode, which `HydrationScripts` would set on a page that loads the bundle: nothing
    // outside an island is hydrated, so no page's resources are serialized into it as inline
    // script for a browser that never reads them (the account page's data among them).
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    // For `IslandScripts`, on the pages that load the bundle.
    provide_context(options.clone());
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HashedStylesheet options id="leptos" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: metadata and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Tollgate".to_owned() } else { format!("{page} · Tollgate") }
        } />
        <Meta name="description" content="Subscriptions for your Rust product: pricing, checkout and billing in one starter." />
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("") view=HomePage />
                    <Route path=path!("/signup") view=SignUpPage />
                    <Route path=path!("/signin") view=SignInPage />
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage />
                    <Route path=path!("/reset-password") view=ResetPasswordPage />
                    <Route path=path!("/account/confirm-email") view=ConfirmEmailPage />
                    // Pages that load data render it all before responding (no streaming), so
                    // they are complete without JavaScript.
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/pricing") view=PricingPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/partners") view=PartnersPage ssr=SsrMode::Async />
                    <Route path=path!("/organization") view=OrganizationPageView ssr=SsrMode::Async />
                    <Route path=path!("/invitations/accept") view=InvitationAcceptPage ssr=SsrMode::Async />
                    <Route path=path!("/checkout/success") view=CheckoutSuccessPage ssr=SsrMode::Async />
                    // The operator console: admins only; everyone else gets the not-found page.
                    <Route path=path!("/admin") view=AdminOverviewPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/customers") view=AdminCustomersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/customers/:id") view=AdminCustomerPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/payments") view=AdminPaymentsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/payments/:id") view=AdminPaymentPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/disputes") view=AdminDisputesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/disputes/:id") view=AdminDisputePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/payouts") view=AdminPayoutsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/balance") view=AdminBalancePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/events") view=AdminEventsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/events/:id") view=AdminEventPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/partners") view=AdminPartnersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=AdminAuditPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
