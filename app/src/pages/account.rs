//! `/account`: the signed-in user's billing and settings — plans and purchases, display name,
//! email, password, sessions, deletion.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::current_user,
    components::{
        billing_summary::BillingSummary,
        form::{Field, FormAlert, Notice},
        time_travel::TimeTravel,
    },
    server_fns::{
        profile::{
            email_confirmed, ChangeEmail, ChangePassword, DeleteAccount, ResendConfirmation,
            UpdateDisplayName,
        },
        session::SignOutEverywhere,
    },
};

#[component]
pub fn AccountPage() -> impl IntoView {
    let Some(user) = current_user() else {
        // Pages guard for convenience; every server function checks the user again.
        #[cfg(feature = "ssr")]
        leptos_axum::redirect("/signin?next=/account");
        return view! { <p class="container">"Sign in to see your account."</p> }.into_any();
    };
    let notice = crate::notice::Notice::in_url("/account").map(crate::notice::Notice::sentence);

    let name = ServerAction::<UpdateDisplayName>::new();
    let name_error = name.value().get_untracked().and_then(Result::err);
    let email = ServerAction::<ChangeEmail>::new();
    let email_error = email.value().get_untracked().and_then(Result::err);
    let password = ServerAction::<ChangePassword>::new();
    let password_error = password.value().get_untracked().and_then(Result::err);
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let everywhere_error = everywhere.value().get_untracked().and_then(Result::err);
    let delete = ServerAction::<DeleteAccount>::new();
    let delete_error = delete.value().get_untracked().and_then(Result::err);

    view! {
        <Title text="Account" />
        <section class="container narrow page account">
            <h1>"Account"</h1>
            <p class="muted">"Signed in as " {user.email.clone()}</p>
            <Notice message=notice />
            <BillingSummary />
            <TimeTravel />

            <section aria-labelledby="profile-title" class="card">
                <h2 id="profile-title">"Profile"</h2>
                <FormAlert error=name_error.clone() />
                <ActionForm action=name>
                    <Field id="profile-name" name="display_name" label="Display name"
                        autocomplete="nickname" maxlength=80 value=user.display_name.clone().unwrap_or_default()
                        hint="Leave empty to show your email instead." error=name_error />
                    <button type="submit" class="button">"Save name"</button>
                </ActionForm>
            </section>

            <section aria-labelledby="email-title" class="card">
                <h2 id="email-title">"Email"</h2>
                <Unconfirmed />
                <FormAlert error=email_error.clone() />
                <ActionForm action=email>
                    <Field id="email-new" name="new_email" label="New email" kind="email"
                        autocomplete="email" required=true error=email_error.clone() />
                    <Field id="email-password" name="current_password" label="Current password"
                        kind="password" autocomplete="current-password" required=true
                        error=email_error />
                    <button type="submit" class="button">"Send confirmation link"</button>
                </ActionForm>
            </section>

            <section aria-labelledby="password-title" class="card">
                <h2 id="password-title">"Password"</h2>
                <FormAlert error=password_error.clone() />
                <ActionForm action=password>
                    <Field id="password-current" name="current_password" label="Current password"
                        kind="password" autocomplete="current-password" required=true
                        error=password_error.clone() />
                    <Field id="password-new" name="new_password" label="New password"
                        kind="password" autocomplete="new-password" required=true minlength=8
                        maxlength=128 hint="8 to 128 characters." error=password_error />
                    <button type="submit" class="button">"Change password"</button>
                </ActionForm>
            </section>

            <section aria-labelledby="sessions-title" class="card">
                <h2 id="sessions-title">"Sessions"</h2>
                <FormAlert error=everywhere_error />
                <p>"Signed in somewhere you should not be? End every session, this one included."</p>
                <ActionForm action=everywhere>
                    <button type="submit" class="button button--secondary">"Sign out everywhere"</button>
                </ActionForm>
            </section>

            <section aria-labelledby="delete-title" class="card card--danger">
                <h2 id="delete-title">"Delete account"</h2>
                <p>"This deletes your account and personal data and ends every session. It cannot be undone."</p>
                <FormAlert error=delete_error.clone() />
                <ActionForm action=delete>
                    <Field id="delete-password" name="password" label="Password to confirm"
                        kind="password" autocomplete="current-password" required=true
                        error=delete_error />
                    <button type="submit" class="button button--danger">"Delete my account"</button>
                </ActionForm>
            </section>
        </section>
    }
    .into_any()
}

/// While the address is unconfirmed: why it matters, and the link again.
#[component]
fn Unconfirmed() -> impl IntoView {
    let confirmed = Resource::new(|| (), |_| email_confirmed());
    let resend = ServerAction::<ResendConfirmation>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                (confirmed.await == Ok(false)).then(|| view! {
                    <p>"Your address is not confirmed yet: follow the link we mailed you. A confirmed address can start a free trial without a card."</p>
                    <ActionForm action=resend>
                        <button type="submit" class="button button--secondary">"Send the link again"</button>
                    </ActionForm>
                })
            })}
        </Suspense>
    }
}
