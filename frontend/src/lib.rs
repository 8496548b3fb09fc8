//! The WASM entry point. `hydrate` is called by the script Leptos puts in every page; it
//! brings the `#[island]` components of the server-rendered page to life.
#![cfg(target_arch = "wasm32")]

// Linked for its `#[island]` components, which export themselves to the hydration script.
extern crate app;

use wasm_bindgen::prelude::wasm_bindgen;

/// Called once the WASM bundle has loaded.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
