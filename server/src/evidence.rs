//! `POST /admin/disputes/{id}/evidence-file`: a document for a dispute's evidence, uploaded from
//! the console's form as `multipart/form-data` (`field`, `file`) — the one request body that is
//! not a small urlencoded form, so the only one allowed [`EVIDENCE_BODY_LIMIT`]. Admins only
//! (anyone else gets the not-found page); the file goes to Stripe's Files API and is saved on
//! the dispute as a draft, and the browser is sent back to the dispute's page with what came of
//! it.

use axum::{
    body::Body,
    extract::{FromRequest, Multipart, Path, Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use backend::{
    auth::User,
    console::{
        actions::Requester,
        disputes::{attach_file, EvidenceFile, FileProblem},
        Admin, ConsoleError,
    },
    ratelimit::ClientNetwork,
    AppState,
};
use tower_sessions::Session;

use app::console_views::EvidenceUpload;

/// The largest evidence upload read: above Stripe's 5 MB, so a file too large for Stripe is
/// answered in words, not with a bare 413.
pub const EVIDENCE_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Whether `request` is an evidence upload.
pub fn is_upload(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::POST
        && path.starts_with("/admin/disputes/")
        && path.ends_with("/evidence-file")
}

/// The body limit of every page and server function: [`crate::startup::FORM_BODY_LIMIT`], but
/// for an evidence upload. Larger is refused (413) before it is read.
pub async fn limit_body(request: Request, next: Next) -> Response {
    let limit = if is_upload(&request) {
        EVIDENCE_BODY_LIMIT
    } else {
        crate::startup::FORM_BODY_LIMIT
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    // A body without a length (chunked) is cut off at the limit as it is read.
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// Any other method at the upload's path: not found, as for everything of the console's to
/// whoever asks (a 405 would say the path exists).
pub async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// Uploads the file and attaches it to the dispute; back to the dispute's page.
pub async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    session: Session,
    request: Request,
) -> Response {
    let Some(user) = request.extensions().get::<User>().cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(admin) = Admin::check(&user) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let network = ClientNetwork::of(crate::ratelimit::client_ip(
        &request,
        state.config.trusted_proxy_hops,
    ));
    let page = format!("/admin/disputes/{id}");
    let back = |outcome: EvidenceUpload| {
        Redirect::to(&format!("{page}?upload={}", outcome.code())).into_response()
    };
    let Ok(mut form) = Multipart::from_request(request.map(Body::new), &state).await else {
        return back(EvidenceUpload::NoFile);
    };
    let (mut field, mut form_id, mut file) = (None, None, None);
    loop {
        match form.next_field().await {
            Ok(Some(part)) => match part.name() {
                Some("field") => field = part.text().await.ok(),
                Some("form_id") => form_id = part.text().await.ok(),
                Some("file") => {
                    let name = part.file_name().unwrap_or("evidence").to_owned();
                    match part.bytes().await {
                        Ok(bytes) => file = Some((name, bytes)),
                        Err(_) => return back(EvidenceUpload::TooLarge),
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return back(EvidenceUpload::TooLarge),
        }
    }
    let (Some(field), Some(form_id), Some((filename, bytes))) = (field, form_id, file) else {
        return back(EvidenceUpload::NoFile);
    };
    let by = Requester {
        user: &user,
        admin: &admin,
        session: &session,
        network: Some(network),
    };
    let evidence = EvidenceFile {
        field: &field,
        filename: &filename,
        bytes: &bytes,
        form_id: &form_id,
    };
    match attach_file(&state, by, &id, evidence).await {
        Ok(()) => back(EvidenceUpload::Attached),
        Err(ConsoleError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(ConsoleError::BadFile(problem)) => back(match problem {
            FileProblem::Missing | FileProblem::UnknownEvidence => EvidenceUpload::NoFile,
            FileProblem::TooLarge => EvidenceUpload::TooLarge,
            FileProblem::WrongType => EvidenceUpload::WrongType,
        }),
        Err(ConsoleError::NotNow(_)) => back(EvidenceUpload::Closed),
        // A form id that is not one: the page was not ours, or is out of date.
        Err(ConsoleError::Invalid { .. }) => back(EvidenceUpload::NoFile),
        Err(ConsoleError::Refused(message)) => {
            tracing::warn!(dispute = %id, %message, "Stripe refused an evidence file");
            back(EvidenceUpload::Refused)
        }
        Err(error) => {
            tracing::error!(error.cause_chain = ?anyhow::Error::new(error), dispute = %id, "uploading evidence failed");
            back(EvidenceUpload::Failed)
        }
    }
}
