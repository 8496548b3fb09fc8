//! `Idempotency-Key`: the first response replayed; other parameters under the same key refused.

use crate::helpers::{Emulator, KEY};

#[tokio::test]
async fn a_repeated_key_with_the_same_parameters_replays_the_first_response() {
    let emulator = Emulator::start().await;
    let send = || {
        emulator
            .client
            .post(emulator.url("/v1/customers"))
            .bearer_auth(KEY)
            .header("Idempotency-Key", "signup-42")
            .form(&[("email", "a@example.com")])
            .send()
    };
    let first = send().await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: serde_json::Value = first.json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: serde_json::Value = second.json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    let customers = emulator.fetch("/v1/customers").await;
    assert_eq!(
        customers["data"].as_array().unwrap().len(),
        1,
        "one customer, not two"
    );
}

#[tokio::test]
async fn a_repeated_key_with_other_parameters_is_a_400_idempotency_error() {
    let emulator = Emulator::start().await;
    let send = |email: &'static str| {
        emulator
            .client
            .post(emulator.url("/v1/customers"))
            .bearer_auth(KEY)
            .header("Idempotency-Key", "k1")
            .form(&[("email", email)])
            .send()
    };
    assert_eq!(send("a@example.com").await.unwrap().status(), 200);
    let conflict = send("b@example.com").await.unwrap();
    assert_eq!(
        conflict.status(),
        400,
        "as Stripe answers; the SDK maps it to StripeIdempotencyError"
    );
    let body: serde_json::Value = conflict.json().await.unwrap();
    assert_eq!(body["error"]["type"], "idempotency_error");
}

#[tokio::test]
async fn events_record_the_request_and_its_idempotency_key() {
    let emulator = Emulator::start().await;
    let response = emulator
        .client
        .post(emulator.url("/v1/products"))
        .bearer_auth(KEY)
        .header("Idempotency-Key", "catalog-pro")
        .form(&[("name", "Pro")])
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let events = emulator.fetch("/v1/events?type=product.created").await;
    assert_eq!(events["data"][0]["request"]["id"], request_id.as_str());
    assert_eq!(
        events["data"][0]["request"]["idempotency_key"],
        "catalog-pro"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_with_one_key_create_one_customer() {
    let emulator = Emulator::start().await;
    let requests = (0..50).map(|_| {
        emulator
            .client
            .post(emulator.url("/v1/customers"))
            .bearer_auth(KEY)
            .header("Idempotency-Key", "double-click")
            .form(&[("email", "a@example.com")])
            .send()
    });
    let statuses: Vec<u16> = futures_statuses(requests).await;
    assert!(
        statuses
            .iter()
            .all(|status| *status == 200 || *status == 409),
        "{statuses:?}"
    );
    let customers = emulator.fetch("/v1/customers").await;
    assert_eq!(customers["data"].as_array().unwrap().len(), 1);
}

async fn futures_statuses(
    requests: impl Iterator<
        Item = impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
    >,
) -> Vec<u16> {
    let handles: Vec<_> = requests.map(tokio::spawn).collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap().unwrap().status().as_u16());
    }
    statuses
}
