//! What a page that holds an `#[island]` renders to load the WASM bundle.
//!
//! No page does today: the header menu is a `<details>` disclosure, and every other page is
//! forms and links. A page that needs one (a chart, a live calculator) writes the island with
//! `#[island]`, renders [`IslandScripts`] once, and only that page fetches the bundle.

use leptos::prelude::*;

/// Imports the bundle and hydrates the page's islands once the browser is idle: Leptos's
/// islands loader, with the script carrying the page's CSP nonce.
#[component]
pub fn IslandScripts() -> impl IntoView {
    let options = expect_context::<LeptosOptions>();
    view! { <HydrationScripts options islands=true /> }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_page_with_an_island_imports_the_bundle_and_hydrates_its_islands() {
        let owner = Owner::new();
        owner.with(|| {
            provide_context(LeptosOptions::builder().output_name("tollgate").build());
            let html = view! { <IslandScripts /> }.to_html();
            assert!(
                html.contains(r#"<link rel="modulepreload" href="/pkg/tollgate.js""#),
                "{html}"
            );
            assert!(html.contains(".wasm"), "{html}");
            assert!(html.contains("hydrate()"), "{html}");
        });
    }
}
