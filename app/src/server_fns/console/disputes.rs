//! The disputes pages' data and the dispute actions: save evidence, submit it, accept. (A
//! document is uploaded by the server's own multipart handler, `server::evidence`.)

use leptos::prelude::*;

use crate::{
    console_views::{DisputeView, DisputesView},
    errors::FormError,
};

/// A page of disputes, newest first, after the dispute `after`.
#[server(endpoint = "admin_disputes")]
pub async fn admin_disputes(after: Option<String>) -> Result<DisputesView, FormError> {
    use backend::billing::Step;

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let rows = backend::console::disputes::page(&state.db, after.as_deref())
        .await
        .step("reading a page of disputes")?;
    Ok(crate::server_fns::console_mapping::disputes(&rows))
}

/// One dispute and its evidence.
#[server(endpoint = "admin_dispute")]
pub async fn admin_dispute(id: String) -> Result<DisputeView, FormError> {
    use backend::billing::Step;

    super::admin()?;
    let state = crate::server_fns::context::state()?;
    let session = crate::server_fns::context::session()?;
    let dispute = backend::console::disputes::dispute(&state.db, &id)
        .await
        .step("reading the dispute")?
        .ok_or(FormError::NotFound)?;
    let needs_password =
        backend::console::confirm::needed(&session, state.config.admin_password_window).await?;
    Ok(crate::server_fns::console_mapping::dispute(
        &dispute,
        needs_password,
    ))
}

/// Saves the text evidence as a draft. `evidence` holds Stripe's field names and the text.
#[server(endpoint = "save_dispute_evidence")]
pub async fn save_dispute_evidence(
    dispute: String,
    form_id: String,
    evidence: std::collections::BTreeMap<String, String>,
) -> Result<(), FormError> {
    let (user, admin) = super::admin()?;
    let state = crate::server_fns::context::state()?;
    let session = crate::server_fns::context::session()?;
    let by = super::requester(&user, &admin, &session)?;
    let fields: Vec<(String, String)> = evidence.into_iter().collect();
    backend::console::disputes::save_evidence(&state, by, &dispute, &fields, &form_id).await?;
    leptos_axum::redirect(&crate::notice::Notice::EvidenceSaved.href_for(&dispute));
    Ok(())
}

/// Submits the saved evidence to the bank (once; the password asked for outside its window).
#[server(endpoint = "submit_dispute")]
pub async fn submit_dispute(
    dispute: String,
    form_id: String,
    password: Option<String>,
) -> Result<(), FormError> {
    let (user, admin) = super::admin()?;
    let state = crate::server_fns::context::state()?;
    let session = crate::server_fns::context::session()?;
    let by = super::requester(&user, &admin, &session)?;
    backend::console::disputes::submit(&state, by, &dispute, &form_id, password.map(Into::into))
        .await?;
    leptos_axum::redirect(&crate::notice::Notice::EvidenceSubmitted.href_for(&dispute));
    Ok(())
}

/// Accepts the dispute: it is lost and closed (the password asked for outside its window).
#[server(endpoint = "accept_dispute")]
pub async fn accept_dispute(
    dispute: String,
    form_id: String,
    password: Option<String>,
) -> Result<(), FormError> {
    let (user, admin) = super::admin()?;
    let state = crate::server_fns::context::state()?;
    let session = crate::server_fns::context::session()?;
    let by = super::requester(&user, &admin, &session)?;
    backend::console::disputes::accept(&state, by, &dispute, &form_id, password.map(Into::into))
        .await?;
    leptos_axum::redirect(&crate::notice::Notice::DisputeAccepted.href_for(&dispute));
    Ok(())
}
