//! Request body limits: a webhook over `WEBHOOK_BODY_LIMIT` and a form over `FORM_BODY_LIMIT`
//! are refused with 413 and store nothing; bodies within them still work.

use backend::stripe::signature::sign;
use serde_json::json;
use server::startup::{FORM_BODY_LIMIT, WEBHOOK_BODY_LIMIT};

use super::{stored_events, users};
use crate::{
    accounts::signin::session_cookie,
    billing::{event, now, post_webhook, recorded},
    helpers::{location, spawn_app, TestApp, PASSWORD, WEBHOOK_SECRET},
};

/// A correctly signed event of `len` bytes: real JSON, padded with trailing whitespace.
fn signed_event_of(len: usize) -> (String, Vec<u8>, String) {
    let event = event(
        "issuing_card.created",
        json!({ "id": "ic_1", "object": "issuing.card" }),
    );
    let mut body = serde_json::to_vec(&event).unwrap();
    assert!(body.len() < len);
    body.resize(len, b' ');
    let signature = sign(&body, WEBHOOK_SECRET, now());
    (event["id"].as_str().unwrap().to_owned(), body, signature)
}

/// Posts the display-name form (a server function no other limit covers) as the signed-in
/// client, with an extra, ignored field of `padding` bytes.
async fn save_name_padded(app: &TestApp, name: &str, padding: usize) -> reqwest::Response {
    let padding = "x".repeat(padding);
    let form = [("display_name", name), ("comment", &padding)];
    app.post_form("/api/update_display_name", &form).await
}

async fn stored_name(app: &TestApp) -> Option<String> {
    sqlx::query_scalar("SELECT display_name FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_webhook_one_byte_over_the_limit_is_refused_with_413_and_not_recorded() {
    let app = spawn_app().await;
    let (event_id, body, signature) = signed_event_of(WEBHOOK_BODY_LIMIT + 1);

    let (status, _) = post_webhook(&app, &body, Some(&signature)).await;

    assert_eq!(status, 413);
    assert_eq!(stored_events(&app).await, 0);
    assert!(recorded(&app, &event_id).await.is_none());
}

#[tokio::test]
async fn a_signed_webhook_of_exactly_the_limit_is_recorded() {
    let app = spawn_app().await;
    let (event_id, body, signature) = signed_event_of(WEBHOOK_BODY_LIMIT);

    let (status, answer) = post_webhook(&app, &body, Some(&signature)).await;

    assert_eq!(status, 200, "{answer}");
    assert_eq!(recorded(&app, &event_id).await, Some((0, true, None)));
}

#[tokio::test]
async fn a_200_kb_sign_up_form_is_refused_with_413_and_creates_no_user() {
    let app = spawn_app().await;

    let padding = "x".repeat(200 * 1024);
    let form = [
        ("email", "ada@example.com"),
        ("password", PASSWORD),
        ("comment", &padding),
    ];

    let response = app.post_form("/api/sign_up", &form).await;

    assert_eq!(response.status(), 413);
    assert_eq!(users(&app).await, 0);
}

#[tokio::test]
async fn a_200_kb_server_function_call_is_refused_with_413_and_changes_nothing() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    let response = save_name_padded(&app, "Ada", 200 * 1024).await;

    assert_eq!(response.status(), 413);
    assert_eq!(stored_name(&app).await, None);
}

#[tokio::test]
async fn a_form_streamed_without_a_length_is_refused_with_413_at_the_limit_and_changes_nothing() {
    let app = spawn_app().await;
    let cookie = session_cookie(&app.sign_up("ada@example.com").await);
    let body = format!("display_name=Ada&comment={}", "x".repeat(200 * 1024));

    let head = post_chunked(&app, &cookie, "/api/update_display_name", body.as_bytes()).await;

    // No length to refuse up front: reading it stops at the limit.
    assert!(head.starts_with("HTTP/1.1 413 "), "{head}");
    assert_eq!(stored_name(&app).await, None);
}

/// POSTs `body` as a urlencoded form in 16 KiB chunks (`Transfer-Encoding: chunked`, no
/// `Content-Length`) over a raw connection; the response's status line and headers.
async fn post_chunked(app: &TestApp, cookie: &str, path: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut connection = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nCookie: {cookie}\r\n\
         Accept: text/html\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        host = app.address,
        origin = app.base_url,
    );
    connection.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(16 * 1024) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        // The server may answer and close before reading everything.
        if connection.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = connection.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = connection.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    response
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_server_function_call_just_under_the_limit_still_works() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    // The name, the field names and the encoding fit in the remaining 1 KiB.
    let response = save_name_padded(&app, "Ada", FORM_BODY_LIMIT - 1024).await;

    assert_eq!(location(&response), "/account?notice=name-saved");
    assert_eq!(stored_name(&app).await.as_deref(), Some("Ada"));
}
