//! What a stored change calls for in Stripe (here: ending a trial the card had before) is done
//! after the change is committed, holding no database connection while Stripe answers.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use tokio::sync::Notify;

use super::{
    eventually,
    payment::GOOD_CARD,
    seed,
    subscriber::{stored_subscription, subscribe_as, subscribe_by_webhooks},
    Stripe,
};
use crate::helpers::spawn_app_with;

/// A Stripe in front of the emulator that holds back the first request [`Gate::holds`] picks
/// until released, and says when it has it.
struct Gate {
    url: String,
    /// Whether the request to hold came already.
    held: AtomicBool,
    arrived: Notify,
    release: Notify,
    upstream: String,
    http: reqwest::Client,
}

impl Gate {
    async fn start(upstream: &str) -> Arc<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gate = Arc::new(Self {
            url: format!("http://{}", listener.local_addr().unwrap()),
            held: AtomicBool::new(false),
            arrived: Notify::new(),
            release: Notify::new(),
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
        });
        let router = axum::Router::new()
            .fallback(forward)
            .with_state(gate.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        gate
    }

    /// The request to hold: the one ending a trial now.
    fn holds(method: &Method, uri: &Uri, body: &[u8]) -> bool {
        method == Method::POST
            && uri.path().starts_with("/v1/subscriptions/")
            && String::from_utf8_lossy(body).contains("trial_end=now")
    }
}

async fn forward(
    State(gate): State<Arc<Gate>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if Gate::holds(&method, &uri, &body) && !gate.held.swap(true, Ordering::SeqCst) {
        gate.arrived.notify_one();
        gate.release.notified().await;
    }
    let mut request = gate
        .http
        .request(method, format!("{}{uri}", gate.upstream))
        .body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            let content_type = answer
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("application/json")
                .to_owned();
            let body = answer.bytes().await.unwrap_or_default();
            (status, [("content-type", content_type)], body).into_response()
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[tokio::test]
async fn while_stripe_ends_a_repeated_trial_the_apps_only_connection_serves_others() {
    let stripe = Stripe::start().await;
    let gate = Gate::start(stripe.base_url()).await;
    // One pooled connection: were it held across the held call, nothing else could be served.
    let app = spawn_app_with(&[
        ("STRIPE_API_BASE", gate.url.as_str()),
        ("DATABASE_MAX_CONNECTIONS", "1"),
    ])
    .await;
    stripe.send_webhooks_to(&app);
    seed(&app, &stripe).await;
    subscribe_by_webhooks(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;

    // Bob's trial, on the card Ada's trial had: applying it ends it in Stripe, held at the gate.
    let bob_browser = app.new_browser();
    let bob = subscribe_as(
        &app,
        &stripe,
        &bob_browser,
        "bob@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;
    tokio::time::timeout(std::time::Duration::from_secs(20), gate.arrived.notified())
        .await
        .expect("the app asks Stripe to end Bob's trial");

    // Stripe has not answered: the one connection still serves a signed-in page.
    let page = app.get("/account").await;
    assert_eq!(page.status(), 200);
    assert!(
        stored_subscription(&app, &bob.subscription).await.is_some(),
        "Bob's trial was stored before its follow-up"
    );

    gate.release.notify_one();
    let paid = eventually(20, || async {
        stored_subscription(&app, &bob.subscription)
            .await
            .is_some_and(|stored| stored.status == "active")
    })
    .await;
    assert!(
        paid,
        "{:?}",
        stored_subscription(&app, &bob.subscription).await
    );
}
