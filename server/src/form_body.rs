//! Form bodies must be UTF-8. A urlencoded body whose names or values do not decode to UTF-8 is
//! refused with 400 before a server function reads it: server functions decode percent-escapes
//! lossily, so `password=%C0%AF…` would otherwise become a password of U+FFFD characters (many
//! byte strings, one password), while raw non-UTF-8 bytes failed as "something went wrong on
//! our side". Browsers always send forms as UTF-8 (the pages declare it).

use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Refuses a posted body that is not UTF-8 once percent-decoded, whatever `Content-Type` it
/// claims (server functions decode the body as a form without looking at the type); JSON, which
/// its parser checks itself, and bodiless requests pass untouched. Runs inside the body size
/// limit, so buffering is bounded.
pub async fn require_utf8(request: Request, next: Next) -> Response {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    // An evidence upload is a file, which the console's upload handler reads as multipart.
    if request.method() != Method::POST || is_json || crate::evidence::is_upload(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        // The size limit cut it off (or the client went away, which nobody will see).
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    if !decodes_to_utf8(&bytes) {
        return (StatusCode::BAD_REQUEST, "The form was not sent as UTF-8.").into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether every name and value of a urlencoded body is UTF-8 once percent-decoded.
fn decodes_to_utf8(body: &[u8]) -> bool {
    body.split(|&byte| byte == b'&')
        .all(|pair| percent_encoding::percent_decode(pair).decode_utf8().is_ok())
}

#[cfg(test)]
mod tests {
    use super::decodes_to_utf8;

    #[test]
    fn forms_decoding_to_utf8_pass_and_others_do_not() {
        for good in [
            b"".as_slice(),
            b"email=ada%40example.com&password=correct+horse",
            "display_name=Zo%C3%AB+%F0%9F%9A%80&x=Zoë".as_bytes(),
            b"broken=%ZZ&trailing=%",
        ] {
            assert!(decodes_to_utf8(good), "{:?}", String::from_utf8_lossy(good));
        }
        for bad in [
            b"email=%FF%FE".as_slice(),
            b"password=%C0%AF",
            b"name=%ED%A0%80",
            b"email=\xff@example.com",
            b"%FF=value",
        ] {
            assert!(!decodes_to_utf8(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
