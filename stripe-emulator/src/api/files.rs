//! Files: upload (`multipart/form-data`, which Stripe takes on its files host and the emulator on
//! its one port), retrieve, list (`purpose`), the contents (`url`), and file links created with
//! the upload (`file_link_data`), served at `/links/{id}`. Sizes and types are held to Stripe's
//! table per purpose. <https://docs.stripe.com/file-upload>

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::list_objects;
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::upload::Upload;
use crate::world::World;
use crate::Emulator;

const KB: usize = 1024;
const MB: usize = 1024 * KB;
/// The largest upload of any purpose (Stripe's 64 MB for account requirements).
const LARGEST: usize = 64 * MB;

/// The File routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/v1/files",
            post(op(create))
                .get(op(list))
                .layer(axum::extract::DefaultBodyLimit::max(LARGEST + MB)),
        )
        .route("/v1/files/{id}", get(op(retrieve)))
        .route("/v1/files/{id}/contents", get(contents))
        .route("/links/{id}", get(link))
}

/// What Stripe accepts for a purpose: the file types, the largest size, whether the File can be
/// downloaded again (`url`), and how long it is kept (days).
struct Rules {
    types: &'static [&'static str],
    max: usize,
    downloadable: bool,
    kept_days: Option<i64>,
}

fn rules(purpose: &str) -> Rules {
    const DOCUMENTS: &[&str] = &["pdf", "jpg", "png"];
    let (types, max, downloadable, kept_days): (&[&str], _, _, _) = match purpose {
        "account_requirement" => (DOCUMENTS, 64 * MB, false, None),
        "additional_verification" => (DOCUMENTS, 16 * MB, false, None),
        "business_icon" | "business_logo" => (&["jpg", "png", "gif"], 512 * KB, true, None),
        "customer_signature" => (&["jpg", "png", "svg"], 4 * MB, true, Some(7)),
        "dispute_evidence" => (DOCUMENTS, 5 * MB, true, Some(270)),
        "identity_document" => (DOCUMENTS, 32 * MB, false, None),
        "issuing_regulatory_reporting" => (&["json"], 256 * KB, true, Some(730)),
        "pci_document" => (&["pdf"], 16 * MB, true, None),
        "platform_terms_of_service" => (&["pdf", "txt", "markdown"], 64 * MB, false, None),
        "tax_document_user_upload" => (
            &["pdf", "csv", "jpg", "png", "xlsx", "docx"],
            16 * MB,
            true,
            None,
        ),
        _ => (&[], 16 * MB, true, None),
    };
    Rules {
        types,
        max,
        downloadable,
        kept_days,
    }
}

/// A file's `type`: from its first bytes for images and PDFs, else from its name, else from the
/// part's content type.
fn file_type(upload: &Upload) -> String {
    let bytes = &upload.bytes;
    let by_content = if bytes.starts_with(b"%PDF") {
        Some("pdf")
    } else if bytes.starts_with(b"\x89PNG") {
        Some("png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("jpg")
    } else if bytes.starts_with(b"GIF8") {
        Some("gif")
    } else {
        None
    };
    let by_name = upload
        .filename
        .as_deref()
        .and_then(|name| name.rsplit_once('.'))
        .map(
            |(_, extension)| match extension.to_ascii_lowercase().as_str() {
                "jpeg" => "jpg".to_owned(),
                "md" => "markdown".to_owned(),
                other => other.to_owned(),
            },
        );
    let by_declared = upload
        .content_type
        .as_deref()
        .and_then(|declared| match declared {
            "application/json" => Some("json"),
            "text/csv" => Some("csv"),
            "text/markdown" => Some("markdown"),
            "image/svg+xml" => Some("svg"),
            "text/plain" => Some("txt"),
            _ => None,
        });
    by_content
        .or(by_declared.filter(|_| by_name.is_none()))
        .map(str::to_owned)
        .or(by_name)
        .unwrap_or_else(|| "txt".to_owned())
}

/// `POST /v1/files` (multipart: `file`, `purpose`, `file_link_data[…]`)
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let Some(upload) = call.upload.as_ref().filter(|upload| upload.field == "file") else {
        return Err(ApiError::invalid(
            "Files must be uploaded as multipart/form-data with the file in the `file` part.",
            Some("file"),
        ));
    };
    let purpose = params.required("purpose")?.to_owned();
    let rules = rules(&purpose);
    let kind = file_type(upload);
    if !rules.types.is_empty() && !rules.types.contains(&kind.as_str()) {
        return Err(ApiError::invalid(
            format!(
                "Invalid file type: {kind}. Files with purpose `{purpose}` must be one of the following types: {}.",
                rules.types.join(", ")
            ),
            Some("file"),
        ));
    }
    if upload.bytes.len() > rules.max {
        return Err(ApiError::invalid(
            format!(
                "The file is too large ({} bytes): files with purpose `{purpose}` may be at most {}.",
                upload.bytes.len(),
                size(rules.max)
            ),
            Some("file"),
        ));
    }
    let id = world.new_id("file");
    let created = world.now();
    let mut links = Vec::new();
    if params.bool("file_link_data.create")? == Some(true) {
        links.push(new_link(world, call, &id, created)?);
    }
    let file = world.insert(json!({
        "id": id,
        "object": "file",
        "created": created,
        "expires_at": rules.kept_days.map(|days| created + days * crate::billing::DAY),
        "filename": upload.filename.clone().unwrap_or_else(|| id.clone()),
        "links": crate::listing::embedded(links, format!("/v1/file_links?file={id}")),
        "purpose": purpose,
        "size": upload.bytes.len(),
        "title": null,
        "type": kind,
        "url": rules.downloadable.then(|| format!("{}/v1/files/{id}/contents", call.base_url)),
    }));
    world.file_contents.insert(id, upload.bytes.to_vec());
    Ok(file)
}

/// A size as Stripe's table gives it (`512KB`, `5MB`).
fn size(bytes: usize) -> String {
    if bytes >= MB {
        format!("{}MB", bytes / MB)
    } else {
        format!("{}KB", bytes / KB)
    }
}

/// A public link to a new File (`file_link_data`).
fn new_link(world: &mut World, call: &Call, file: &str, created: i64) -> Result<Value, ApiError> {
    let params = &call.params;
    let id = world.new_id("link");
    Ok(world.insert(json!({
        "id": id,
        "object": "file_link",
        "created": created,
        "expired": false,
        "expires_at": params.int("file_link_data.expires_at")?,
        "file": file,
        "livemode": false,
        "metadata": params.get("file_link_data.metadata").filter(|value| value.is_object()).cloned().unwrap_or(json!({})),
        "url": format!("{}/links/{id}", call.base_url),
    })))
}

/// `GET /v1/files/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("file", call.id(), "id")
}

/// `GET /v1/files` (`purpose`)
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    list_objects(world, params, "file", "/v1/files", |file| {
        params.matches("purpose", &file["purpose"])
    })
}

/// The bytes of a File, with a content type for its `type`.
fn served(world: &World, file: &Value) -> Response {
    let id = file["id"].as_str().unwrap_or_default();
    let bytes = world.file_contents.get(id).cloned().unwrap_or_default();
    let content_type = match file["type"].as_str() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("csv") => "text/csv",
        Some("txt" | "markdown") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        bytes,
    )
        .into_response()
}

/// `GET /v1/files/{id}/contents`: the bytes (`url` of a downloadable File), with the API key.
async fn contents(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(error) = crate::http::api_key(&headers) {
        return error.into_response();
    }
    emulator.read(|world| match world.find("file", &id) {
        Some(file) if !file["url"].is_null() => served(world, file),
        _ => ApiError::missing_resource("file upload", &id, "id").into_response(),
    })
}

/// `GET /links/{id}`: a file link's bytes, without a key, until it expires.
async fn link(State(emulator): State<Emulator>, Path(id): Path<String>) -> Response {
    emulator.read(|world| {
        let now = world.now();
        let file = world
            .find("file_link", &id)
            .filter(|link| link["expires_at"].as_i64().is_none_or(|at| at > now))
            .and_then(|link| world.find("file", link["file"].as_str().unwrap_or_default()));
        match file {
            Some(file) => served(world, file),
            None => ApiError::missing_resource("file link", &id, "id").into_response(),
        }
    })
}
