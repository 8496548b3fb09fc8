//! `multipart/form-data` bodies, as file uploads (`POST /v1/files`) arrive: the text fields become
//! ordinary form parameters and the one file part is kept aside with its name and type.
//! <https://docs.stripe.com/file-upload>

use axum::body::Bytes;

use crate::error::ApiError;

/// The file part of an upload.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The part's name (`file`).
    pub field: String,
    /// The file name the client gave, if any.
    pub filename: Option<String>,
    /// The part's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The file's bytes.
    pub bytes: Bytes,
}

/// The boundary of a `multipart/form-data` content type, or None for any other body.
pub fn boundary(content_type: Option<&str>) -> Option<String> {
    let content_type = content_type?;
    content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
        .then(|| multer::parse_boundary(content_type).ok())
        .flatten()
}

/// Splits a multipart body into form-encoded text fields (`purpose=…&file_link_data[create]=true`,
/// with `file=<its file name>` standing for the file so required-parameter checks see it) and
/// the file part.
pub fn parse(body: Bytes, boundary: &str) -> Result<(Vec<u8>, Option<Upload>), ApiError> {
    let malformed = |error: multer::Error| {
        ApiError::invalid(format!("Invalid multipart/form-data body: {error}"), None)
    };
    let stream =
        futures_util::stream::once(std::future::ready(Ok::<_, std::convert::Infallible>(body)));
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    let mut upload = None;
    // The whole body is already in memory, so every step completes at once.
    let mut next = || {
        futures_util::FutureExt::now_or_never(multipart.next_field())
            .unwrap_or_else(|| Err(multer::Error::IncompleteStream))
    };
    while let Some(field) = next().map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(ToString::to_string);
        let bytes = futures_util::FutureExt::now_or_never(field.bytes())
            .unwrap_or(Err(multer::Error::IncompleteStream))
            .map_err(malformed)?;
        if filename.is_some() || name == "file" {
            form.append_pair(&name, filename.as_deref().unwrap_or(&name));
            upload = Some(Upload {
                field: name,
                filename,
                content_type,
                bytes,
            });
        } else {
            form.append_pair(&name, &String::from_utf8_lossy(&bytes));
        }
    }
    Ok((form.finish().into_bytes(), upload))
}
