//! `/forgot-password`: ask for a reset link by email.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::form::{Field, FormAlert, Notice},
    server_fns::recovery::ForgotPassword,
};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = action.value().get_untracked().and_then(Result::err);
    // The same words whether or not the account exists.
    let sent = use_query_map().get_untracked().get("sent").map(|_| {
        "If an account uses that email, we have sent it a link to reset the password. \
         The link works once, for one hour."
    });

    view! {
        <Title text="Forgot password" />
        <section class="container narrow page auth">
            <h1>"Forgot your password?"</h1>
            <Notice message=sent />
            <p>"Enter your account's email and we will send you a link to choose a new password."</p>
            <FormAlert error=error.clone() />
            <ActionForm action=action>
                <Field id="forgot-email" name="email" label="Email" kind="email"
                    autocomplete="email" required=true error=error.clone() />
                <button type="submit" class="button">"Send reset link"</button>
            </ActionForm>
            <p><a href="/signin">"Back to sign in"</a></p>
        </section>
    }
}
