//! Form pieces shared by the account pages: a labelled field with its inline error, and the
//! form-level alert and status notices.

use leptos::prelude::*;

use crate::errors::FormError;

/// A labelled input. `error` is shown under it and linked with `aria-describedby`.
#[component]
pub fn Field(
    /// Unique on the page (several forms may share field names).
    id: &'static str,
    /// The form field's name: the server function's argument.
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] value: Option<String>,
    #[prop(optional)] minlength: Option<u32>,
    #[prop(optional)] maxlength: Option<u32>,
    /// The form's error, if any; only a message about `name` is shown here.
    #[prop(optional_no_strip)]
    error: Option<FormError>,
) -> impl IntoView {
    let message = error.and_then(|e| e.for_field(name));
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = [
        hint.map(|_| hint_id.clone()),
        message.as_ref().map(|_| error_id.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let described_by = (!described_by.is_empty()).then_some(described_by);
    let invalid = message.as_ref().map(|_| "true");

    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint.map(|hint| view! { <p class="field__hint" id=hint_id>{hint}</p> })}
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                value=value
                minlength=minlength
                maxlength=maxlength
                aria-invalid=invalid
                aria-describedby=described_by
            />
            {message.map(|message| view! { <p class="field__error" id=error_id>{message}</p> })}
        </div>
    }
}

/// The form-level error (not about one field), as an alert.
#[component]
pub fn FormAlert(error: Option<FormError>) -> impl IntoView {
    error
        .and_then(|e| e.for_form())
        .map(|message| view! { <p class="alert alert--error" role="alert">{message}</p> })
}

/// A status message after a successful action (from the `notice` query parameter).
#[component]
pub fn Notice(message: Option<&'static str>) -> impl IntoView {
    message.map(|message| view! { <p class="alert alert--ok" role="status">{message}</p> })
}
