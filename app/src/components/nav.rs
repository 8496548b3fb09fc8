//! The site navigation: an island, so on small screens the links fold behind a menu button.
//!
//! Without JavaScript (or before the WASM arrives) the links are simply shown and the button is
//! disabled, so no click is ever lost; once hydrated the button is enabled and toggles the menu.

use leptos::prelude::*;

/// The header navigation. `children` are the `<li>` links.
#[island]
pub fn SiteNav(children: Children) -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    let (open, set_open) = signal(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| set_hydrated.set(true));

    view! {
        <nav
            class="site-nav"
            aria-label="Main"
            data-enhanced=move || if hydrated.get() { "true" } else { "false" }
            data-open=move || if open.get() { "true" } else { "false" }
        >
            <button
                type="button"
                class="site-nav__toggle"
                aria-controls="site-nav-links"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                disabled=move || !hydrated.get()
                on:click=move |_| set_open.update(|open| *open = !*open)
            >
                <span aria-hidden="true" class="site-nav__icon"></span>
                "Menu"
            </button>
            <ul id="site-nav-links" class="site-nav__links">
                {children()}
            </ul>
        </nav>
    }
}
