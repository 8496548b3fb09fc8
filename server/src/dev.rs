//! Development helpers, routed only when `DEV_MODE=true`: `/dev/mailbox` shows the mail the
//! outbox mailer recorded, so reset and confirmation links can be followed without a mail server.

use axum::{
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use backend::{mail::messages::escape, AppState};

/// `GET /dev/mailbox`: the 50 newest messages, newest first, with their links.
pub async fn mailbox(State(state): State<AppState>) -> Response {
    let messages = match backend::mail::outbox::latest(&state.db, 50).await {
        Ok(messages) => messages,
        Err(error) => {
            tracing::error!(error.cause_chain = ?error, "reading the dev outbox failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Dev mailbox · Tollgate</title></head><body><main><h1>Dev mailbox</h1>\
         <p>Mail the app would have sent (no SMTP_URL is configured). Newest first.</p>",
    );
    if messages.is_empty() {
        html.push_str("<p>No mail yet.</p>");
    }
    for message in messages {
        html.push_str(&format!(
            "<article aria-label=\"{subject} to {to}\"><h2>{subject}</h2>\
             <p>To: {to} · {at}</p><pre>{text}</pre><ul>",
            subject = escape(&message.subject),
            to = escape(&message.to),
            at = message.created_at,
            text = escape(&message.text),
        ));
        for link in message
            .text
            .split_whitespace()
            .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        {
            let link = escape(link);
            html.push_str(&format!("<li><a href=\"{link}\">{link}</a></li>"));
        }
        html.push_str("</ul></article>");
    }
    html.push_str("</main></body></html>");
    Html(html).into_response()
}
