//! `/account/confirm-email?token=…`: the link mailed to a new address. Following it changes
//! nothing: mail scanners and link previews fetch links too. The change happens when the person
//! presses the button, a plain form `POST` handled by the server (`server/src/auth.rs`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let token = use_query_map()
        .get_untracked()
        .get("token")
        .unwrap_or_default();

    view! {
        <Title text="Confirm your new email address" />
        <section class="container narrow page auth">
            <h1>"Confirm your new email address"</h1>
            <p>"Press the button to make this address the one you sign in with. Every device signed in to your account, other than this one, will be signed out."</p>
            <form method="post" action="/account/confirm-email">
                <input type="hidden" name="token" value=token />
                <button type="submit" class="button">"Confirm my new email address"</button>
            </form>
        </section>
    }
}
