//! `/reset-password?token=…`: choose a new password with the link from the mail.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::form::{Field, FormAlert},
    server_fns::recovery::ResetPassword,
};

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = action.value().get_untracked().and_then(Result::err);
    let token = use_query_map()
        .get_untracked()
        .get("token")
        .unwrap_or_default();

    view! {
        <Title text="Choose a new password" />
        <section class="container narrow page auth">
            <h1>"Choose a new password"</h1>
            <FormAlert error=error.clone() />
            <ActionForm action=action>
                <input type="hidden" name="token" value=token />
                <Field id="reset-password" name="password" label="New password" kind="password"
                    autocomplete="new-password" required=true minlength=8 maxlength=128
                    hint="8 to 128 characters. You will be signed out everywhere."
                    error=error.clone() />
                <button type="submit" class="button">"Set new password"</button>
            </ActionForm>
            <p><a href="/forgot-password">"Ask for a new link"</a></p>
        </section>
    }
}
