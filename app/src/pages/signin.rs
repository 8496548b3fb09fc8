//! `/signin`: sign in, then return to the page the user came from (`?next=`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::form::{Field, FormAlert, Notice},
    server_fns::session::SignIn,
};

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = action.value().get_untracked().and_then(Result::err);
    let query = use_query_map().get_untracked();
    let next = query.get("next");
    let notice = crate::notice::Notice::shown_on("/signin", query.get_str("notice"))
        .map(crate::notice::Notice::sentence);
    let signup_href = match &next {
        Some(next) => format!("/signup?next={}", crate::pages::encode(next)),
        None => "/signup".to_owned(),
    };

    view! {
        <Title text="Sign in" />
        <section class="container narrow page auth">
            <h1>"Sign in"</h1>
            <Notice message=notice />
            <FormAlert error=error.clone() />
            <ActionForm action=action>
                {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
                <Field id="signin-email" name="email" label="Email" kind="email"
                    autocomplete="username" required=true error=error.clone() />
                <Field id="signin-password" name="password" label="Password" kind="password"
                    autocomplete="current-password" required=true error=error.clone() />
                <button type="submit" class="button">"Sign in"</button>
            </ActionForm>
            <p><a href="/forgot-password">"Forgot your password?"</a></p>
            <p>"New here? " <a href=signup_href>"Create an account"</a></p>
        </section>
    }
}
