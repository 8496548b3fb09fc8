//! Tollgate's user interface: the HTML shell, the router and every page, rendered on the server
//! (`ssr`) and brought to life in the browser (`hydrate`).
//!
//! Only `#[island]` components ship WASM (Leptos islands; the reasoning and figures are in
//! ARCHITECTURE.md, "Hydration"). Everything else is plain server-rendered HTML.
//!
//! - [`components`]: the page layout (header, footer) and small reusable pieces.
//! - [`pages`]: one module per route.
#![recursion_limit = "256"]

pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::components::layout::Layout;
use crate::pages::{home::HomePage, not_found::NotFound};

/// The HTML document around the app, rendered once per request on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HydrationScripts options=options.clone() islands=cfg!(feature = "islands") />
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
                </Routes>
            </Layout>
        </Router>
    }
}
