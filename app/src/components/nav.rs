//! The site navigation: plain HTML and CSS, no WASM.
//!
//! The links sit in a `<details>` disclosure. On small screens its `<summary>` is the **Menu**
//! button and the links fold behind it from the first paint, so the header never changes height
//! while the page loads; on wide screens the summary is hidden and the links show in a row
//! (`style/_nav.scss`).

use leptos::prelude::*;

/// The header navigation. `children` are the `<li>` links.
#[component]
pub fn SiteNav(children: Children) -> impl IntoView {
    view! {
        <nav class="site-nav" aria-label="Main">
            <details class="site-nav__menu">
                <summary class="site-nav__toggle">
                    <span aria-hidden="true" class="site-nav__icon"></span>
                    "Menu"
                </summary>
                <ul class="site-nav__links">{children()}</ul>
            </details>
        </nav>
    }
}
