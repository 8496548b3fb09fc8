//! The frame every page sits in: skip link, header with navigation, main content, footer.

use leptos::prelude::*;

use crate::components::nav::SiteNav;

/// Wraps a page in the site header and footer.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="container site-header__inner">
                <a class="brand" href="/" aria-label="Tollgate home">
                    <span class="brand__mark" aria-hidden="true">"◆"</span>
                    <span class="brand__name">"Tollgate"</span>
                </a>
                <SiteNav>
                    <li><a href="/#features">"Features"</a></li>
                    <li><a href="/#how-it-works">"How it works"</a></li>
                </SiteNav>
            </div>
        </header>
        <main id="main" class="site-main">{children()}</main>
        <footer class="site-footer">
            <div class="container site-footer__inner">
                <p>"Tollgate — subscriptions for Rust web apps."</p>
                <p class="muted">"Built with Leptos, axum and Postgres."</p>
            </div>
        </footer>
    }
}
