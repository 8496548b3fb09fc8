//! `/signup`: create an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::form::{Field, FormAlert},
    server_fns::session::SignUp,
};

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action.value().get_untracked().and_then(Result::err);
    let next = use_query_map().get_untracked().get("next");
    let signin_href = match &next {
        Some(next) => format!("/signin?next={}", crate::pages::encode(next)),
        None => "/signin".to_owned(),
    };

    view! {
        <Title text="Create an account" />
        <section class="container narrow page auth">
            <h1>"Create an account"</h1>
            <FormAlert error=error.clone() />
            <ActionForm action=action>
                {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
                <Field id="signup-name" name="display_name" label="Display name (optional)"
                    autocomplete="nickname" maxlength=80 error=error.clone()
                    hint="Shown in the header instead of your email." />
                <Field id="signup-email" name="email" label="Email" kind="email"
                    autocomplete="email" required=true error=error.clone() />
                <Field id="signup-password" name="password" label="Password" kind="password"
                    autocomplete="new-password" required=true minlength=8 maxlength=128
                    hint="8 to 128 characters." error=error.clone() />
                <button type="submit" class="button">"Create account"</button>
            </ActionForm>
            <p>"Already have an account? " <a href=signin_href>"Sign in"</a></p>
        </section>
    }
}
