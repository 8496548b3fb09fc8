//! `/admin/disputes/du_…`: one dispute — its evidence saved as a draft (text, and documents
//! uploaded to Stripe's Files API through `POST /admin/disputes/{id}/evidence-file`), then
//! submitted once after a confirmation (`?confirm=submit`, with the password window), or the
//! dispute accepted (`?confirm=accept`).

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::is_admin;
use crate::{
    components::form::{Field, FormAlert, Notice as NoticeLine},
    console_views::{DisputeView, EvidenceUpload},
    errors::FormError,
    notice::Notice,
    pages::not_found::NotFound,
    server_fns::console::{
        disputes::admin_dispute, AcceptDispute, SaveDisputeEvidence, SubmitDispute,
    },
};

/// The page's forms.
#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveDisputeEvidence>,
    submit: ServerAction<SubmitDispute>,
    accept: ServerAction<AcceptDispute>,
}

#[component]
pub fn AdminDisputePage() -> impl IntoView {
    if !is_admin() {
        return view! { <NotFound /> }.into_any();
    }
    let params = use_params_map();
    let query = use_query_map().get_untracked();
    let confirming = query.get("confirm");
    let upload = query
        .get("upload")
        .and_then(|code| EvidenceUpload::from_code(&code));
    let data = Resource::new(
        move || params.get().get("id").unwrap_or_default(),
        admin_dispute,
    );
    let actions = Actions {
        save: ServerAction::new(),
        submit: ServerAction::new(),
        accept: ServerAction::new(),
    };
    let error = [
        actions.save.value().get_untracked().and_then(Result::err),
        actions.submit.value().get_untracked().and_then(Result::err),
        actions.accept.value().get_untracked().and_then(Result::err),
    ]
    .into_iter()
    .flatten()
    .next();
    let notice = Notice::in_url("/admin/disputes").map(Notice::sentence);
    let above = view! {
        <NoticeLine message=notice />
        {upload.map(|outcome| {
            let (sentence, is_error) = outcome.sentence();
            if is_error {
                view! { <p class="alert alert--error" role="alert">{sentence}</p> }.into_any()
            } else {
                view! { <p class="alert alert--ok" role="status">{sentence}</p> }.into_any()
            }
        })}
    };
    super::frame("Dispute", above, data, move |dispute| {
        let (error, confirming) = (error.clone(), confirming.clone());
        view! { <Dispute dispute actions error confirming /> }
    })
}

#[component]
fn Dispute(
    dispute: DisputeView,
    actions: Actions,
    error: Option<FormError>,
    confirming: Option<String>,
) -> impl IntoView {
    let DisputeView {
        id,
        line,
        submissions,
        open,
        text,
        files,
        form_id,
        needs_password,
    } = dispute;
    let href = line.href.clone();
    view! {
        <section class="card" aria-labelledby="dispute-title">
            <h2 id="dispute-title">{format!("{}, {}", line.amount, line.status)}</h2>
            <dl class="figures">
                <dt>"Dispute"</dt><dd><code>{id.clone()}</code></dd>
                <dt>"Opened"</dt><dd>{line.opened}</dd>
                <dt>"Reason"</dt><dd>{line.reason}</dd>
                <dt>"Evidence due"</dt><dd>{line.due}</dd>
                <dt>"Submissions"</dt><dd>{submissions}</dd>
                <dt>"Payment"</dt><dd><a href=line.payment_href>"The disputed payment"</a></dd>
            </dl>
        </section>
        <FormAlert error=error.clone() />
        {if open {
            view! {
                <Evidence id=id.clone() text files form_id=form_id.clone() action=actions.save />
                <Decide id href confirming form_id needs_password actions error />
            }.into_any()
        } else {
            view! {
                <section class="card" aria-labelledby="evidence-title">
                    <h2 id="evidence-title">"Evidence"</h2>
                    <dl class="figures">
                        {text.into_iter().filter(|(_, _, value)| !value.is_empty()).map(|(_, label, value)| view! {
                            <dt>{label}</dt><dd>{value}</dd>
                        }).collect_view()}
                        {files.into_iter().filter_map(|(_, label, file)| file.map(|file| view! {
                            <dt>{label}</dt><dd><code>{file}</code></dd>
                        })).collect_view()}
                    </dl>
                    <p class="muted">"This dispute no longer takes evidence."</p>
                </section>
            }.into_any()
        }}
    }
}

/// The evidence: text saved as a draft, documents uploaded one at a time.
#[component]
fn Evidence(
    id: String,
    text: Vec<(String, String, String)>,
    files: Vec<(String, String, Option<String>)>,
    form_id: String,
    action: ServerAction<SaveDisputeEvidence>,
) -> impl IntoView {
    let upload_to = format!("/admin/disputes/{id}/evidence-file");
    let upload_form_id = form_id.clone();
    view! {
        <section class="card" aria-labelledby="evidence-title">
            <h2 id="evidence-title">"Evidence"</h2>
            <p>"Write what shows the payment was right, and attach documents. Everything is a draft until you submit it."</p>
            <ActionForm action>
                <input type="hidden" name="dispute" value=id.clone() />
                <input type="hidden" name="form_id" value=form_id.clone() />
                {text.into_iter().map(|(field, label, value)| {
                    let input = format!("evidence-{field}");
                    view! {
                        <div class="field">
                            <label for=input.clone()>{label}</label>
                            <textarea id=input name=format!("evidence[{field}]") rows="3">{value}</textarea>
                        </div>
                    }
                }).collect_view()}
                <div class="actions">
                    <button type="submit" class="button button--secondary">"Save draft"</button>
                </div>
            </ActionForm>
        </section>
        <section class="card" aria-labelledby="documents-title">
            <h2 id="documents-title">"Documents"</h2>
            <ul>
                {files.iter().map(|(_, label, file)| view! {
                    <li>{label.clone()}": "{file.clone().unwrap_or_else(|| "none yet".to_owned())}</li>
                }).collect_view()}
            </ul>
            <form method="post" action=upload_to enctype="multipart/form-data">
                <input type="hidden" name="form_id" value=upload_form_id />
                <div class="field">
                    <label for="evidence-field">"Which evidence"</label>
                    <select id="evidence-field" name="field">
                        {files.into_iter().map(|(field, label, _)| view! { <option value=field>{label}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="evidence-file">"Document (PDF, JPEG or PNG, at most 5 MB)"</label>
                    <input id="evidence-file" name="file" type="file" accept=".pdf,.jpg,.jpeg,.png" required=true />
                </div>
                <div class="actions">
                    <button type="submit" class="button button--secondary">"Upload"</button>
                </div>
            </form>
        </section>
    }
}

/// Submitting the evidence, or accepting the dispute: each after a confirmation.
#[component]
fn Decide(
    id: String,
    href: String,
    confirming: Option<String>,
    form_id: String,
    needs_password: bool,
    actions: Actions,
    error: Option<FormError>,
) -> impl IntoView {
    let confirm = confirming.as_deref();
    view! {
        <section class="card" aria-labelledby="decide-title">
            <h2 id="decide-title">"Submit or accept"</h2>
            {match confirm {
                Some("submit") => view! {
                    <div class="confirm" role="group" aria-label="Confirm submission">
                        <p>"Submit the saved evidence to the bank? It can be submitted once, and cannot change afterwards."</p>
                        <ActionForm action=actions.submit>
                            <input type="hidden" name="dispute" value=id.clone() />
                            <input type="hidden" name="form_id" value=form_id.clone() />
                            {needs_password.then(|| view! {
                                <Field id="submit-password" name="password" label="Your password" kind="password"
                                    autocomplete="current-password" required=true
                                    hint="The bank's decision moves money: confirm it is you."
                                    error=error.clone() />
                            })}
                            <div class="actions">
                                <button type="submit" class="button">"Yes, submit the evidence"</button>
                                <a href=href.clone()>"Not yet"</a>
                            </div>
                        </ActionForm>
                    </div>
                }.into_any(),
                Some("accept") => view! {
                    <div class="confirm" role="group" aria-label="Confirm acceptance">
                        <p>"Accept the dispute? It closes as lost, and the amount and the dispute fee stay withdrawn."</p>
                        <ActionForm action=actions.accept>
                            <input type="hidden" name="dispute" value=id.clone() />
                            <input type="hidden" name="form_id" value=form_id.clone() />
                            {needs_password.then(|| view! {
                                <Field id="accept-password" name="password" label="Your password" kind="password"
                                    autocomplete="current-password" required=true
                                    hint="Accepting gives the money up for good: confirm it is you."
                                    error=error.clone() />
                            })}
                            <div class="actions">
                                <button type="submit" class="button button--danger">"Yes, accept it"</button>
                                <a href=href.clone()>"Keep answering"</a>
                            </div>
                        </ActionForm>
                    </div>
                }.into_any(),
                _ => view! {
                    <p>"Save your evidence first; submitting sends what is saved."</p>
                    <div class="actions">
                        <a class="button" href=format!("{href}?confirm=submit")>"Submit the evidence…"</a>
                        <a class="button button--danger" href=format!("{href}?confirm=accept")>"Accept the dispute…"</a>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}
