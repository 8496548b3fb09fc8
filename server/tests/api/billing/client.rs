//! The Stripe client against a scripted stand-in for Stripe: retries with the same
//! `Idempotency-Key`, what is not retried, and how errors come out.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use backend::{
    billing::{BillingError, Step},
    stripe::{client::RetryPolicy, Form, StripeClient, StripeError},
};
use serde_json::{json, Value};

/// A server on port 0 that answers each request with the next scripted `(status, body)` and
/// records the request's headers.
struct FakeStripe {
    base_url: String,
    requests: Arc<Mutex<Vec<HeaderMap>>>,
}

#[derive(Clone)]
struct Script {
    answers: Arc<Mutex<VecDeque<(u16, Value)>>>,
    requests: Arc<Mutex<Vec<HeaderMap>>>,
}

impl FakeStripe {
    async fn answering(answers: &[(u16, Value)]) -> Self {
        let script = Script {
            answers: Arc::new(Mutex::new(answers.iter().cloned().collect())),
            requests: Arc::default(),
        };
        let requests = script.requests.clone();
        let router = axum::Router::new().fallback(answer).with_state(script);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { base_url, requests }
    }

    fn requests(&self) -> Vec<HeaderMap> {
        self.requests.lock().unwrap().clone()
    }
}

async fn answer(State(script): State<Script>, headers: HeaderMap) -> impl IntoResponse {
    script.requests.lock().unwrap().push(headers);
    let (status, body) = script
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .expect("no more scripted answers: too many requests");
    (StatusCode::from_u16(status).unwrap(), axum::Json(body))
}

/// A client for `api_base` allowing `max_retries` retries, waiting milliseconds between them.
pub fn client(api_base: &str, max_retries: u32) -> StripeClient {
    let config = backend::Config::from_lookup(|name| {
        match name {
            "DATABASE_URL" => Some("postgres://unused@127.0.0.1:1/unused"),
            "DEV_MODE" => Some("true"),
            "STRIPE_API_BASE" => Some(api_base),
            "STRIPE_SECRET_KEY" => Some("sk_test_client"),
            "STRIPE_WEBHOOK_SECRET" => Some("whsec_client"),
            _ => None,
        }
        .map(str::to_owned)
    })
    .expect("a valid configuration");
    StripeClient::with_retry_policy(
        &config.stripe,
        RetryPolicy {
            max_retries,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
        },
    )
}

fn server_error() -> (u16, Value) {
    (
        500,
        json!({ "error": { "type": "api_error", "message": "Something went wrong." } }),
    )
}

fn customer() -> (u16, Value) {
    (
        200,
        json!({ "id": "cus_1", "object": "customer", "email": "ada@example.com" }),
    )
}

async fn create_customer(client: &StripeClient) -> Result<Value, StripeError> {
    client
        .post(
            "/v1/customers",
            &Form::new().set("email", "ada@example.com"),
            "tollgate-customer-for-user-1",
        )
        .await
}

#[tokio::test]
async fn a_post_answered_500_500_200_is_retried_with_the_same_idempotency_key_each_time() {
    let stripe = FakeStripe::answering(&[server_error(), server_error(), customer()]).await;

    let created = create_customer(&client(&stripe.base_url, 2)).await.unwrap();

    assert_eq!(created["id"], "cus_1");
    let requests = stripe.requests();
    assert_eq!(requests.len(), 3);
    for headers in &requests {
        assert_eq!(headers["idempotency-key"], "tollgate-customer-for-user-1");
        assert_eq!(headers["stripe-version"], backend::stripe::API_VERSION);
        assert_eq!(headers["authorization"], "Bearer sk_test_client");
        assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    }
}

#[tokio::test]
async fn a_429_is_retried() {
    let rate_limited = (
        429,
        json!({ "error": { "type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests." } }),
    );
    let stripe = FakeStripe::answering(&[rate_limited, customer()]).await;

    let created = create_customer(&client(&stripe.base_url, 2)).await.unwrap();

    assert_eq!(created["id"], "cus_1");
    assert_eq!(stripe.requests().len(), 2);
}

#[tokio::test]
async fn a_400_is_not_retried_and_comes_back_as_stripes_error() {
    let invalid = (
        400,
        json!({ "error": { "type": "invalid_request_error", "param": "email", "message": "Invalid email address." } }),
    );
    let stripe = FakeStripe::answering(&[invalid, customer()]).await;

    let error = create_customer(&client(&stripe.base_url, 2))
        .await
        .unwrap_err();

    assert_eq!(stripe.requests().len(), 1, "one request only");
    match &error {
        StripeError::Api { status, error, .. } => {
            assert_eq!(*status, 400);
            assert_eq!(error.param.as_deref(), Some("email"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert_eq!(error.user_message(), None, "our fault, not the user's");
}

#[tokio::test]
async fn retries_stop_after_max_retries_with_the_last_error() {
    let unavailable = (
        503,
        json!({ "error": { "type": "api_error", "message": "The last one." } }),
    );
    let stripe =
        FakeStripe::answering(&[server_error(), server_error(), unavailable, customer()]).await;

    let error = create_customer(&client(&stripe.base_url, 2))
        .await
        .unwrap_err();

    assert_eq!(
        stripe.requests().len(),
        3,
        "the first attempt and two retries"
    );
    match error {
        StripeError::Api { status, error, .. } => {
            assert_eq!(status, 503);
            assert_eq!(error.message.as_deref(), Some("The last one."));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_402_card_error_becomes_a_card_error_with_stripes_message_not_a_500() {
    let declined = (
        402,
        json!({ "error": {
            "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
            "message": "Your card was declined."
        } }),
    );
    let stripe = FakeStripe::answering(&[declined, customer()]).await;

    let error = create_customer(&client(&stripe.base_url, 2))
        .await
        .unwrap_err();

    assert_eq!(stripe.requests().len(), 1, "a decline is not retried");
    assert_eq!(error.user_message(), Some("Your card was declined."));
    match error.step("creating the customer") {
        BillingError::Card(message) => assert_eq!(message, "Your card was declined."),
        other => panic!("expected BillingError::Card, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_stripe_is_a_network_error() {
    // A port that was free a moment ago: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);

    let error = client(&format!("http://{address}"), 1)
        .get::<Value>("/v1/products/prod_1", &Form::new())
        .await
        .unwrap_err();

    match &error {
        StripeError::Network { url, .. } => {
            assert_eq!(url, &format!("http://{address}/v1/products/prod_1"))
        }
        other => panic!("expected a network error, got {other:?}"),
    }
    assert!(matches!(
        error.step("fetching the product"),
        BillingError::Stripe { .. }
    ));
}
