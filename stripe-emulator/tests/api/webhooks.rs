//! Webhook delivery: signed, retried until a 2xx, logged; start-up endpoints; chaos duplicates.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use stripe_emulator::{Chaos, Config, StartupEndpoint};

use crate::helpers::Emulator;

#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<(String, Bytes)>>>,
    fail_first: Arc<Mutex<u32>>,
}

/// A receiving endpoint that answers 500 to the first `fail_first` deliveries.
async fn receiver(fail_first: u32) -> (String, Inbox) {
    let inbox = Inbox {
        fail_first: Arc::new(Mutex::new(fail_first)),
        ..Inbox::default()
    };
    let state = inbox.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                let mut remaining = state.fail_first.lock().unwrap();
                if *remaining > 0 {
                    *remaining -= 1;
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let signature = headers["stripe-signature"].to_str().unwrap().to_owned();
                state.received.lock().unwrap().push((signature, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, inbox)
}

fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let timestamp = header
        .split(',')
        .find_map(|part| part.strip_prefix("t="))
        .unwrap();
    let signatures: Vec<&str> = header
        .split(',')
        .filter_map(|part| part.strip_prefix("v1="))
        .collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    signatures.contains(&expected.as_str())
}

async fn wait_for(inbox: &Inbox, count: usize) -> Vec<(String, Bytes)> {
    for _ in 0..200 {
        if inbox.received.lock().unwrap().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    inbox.received.lock().unwrap().clone()
}

#[tokio::test]
async fn a_start_up_endpoint_receives_signed_events_retried_until_accepted() {
    let (url, inbox) = receiver(2).await;
    let secret = "whsec_startup";
    let emulator = Emulator::with(Config {
        tick: None,
        webhooks: vec![StartupEndpoint {
            url: url.clone(),
            secret: secret.to_owned(),
        }],
        delivery_backoff: vec![Duration::from_millis(20); 5],
        ..Config::default()
    })
    .await;
    let product = emulator.ok("/v1/products", &[("name", "Pro")]).await;

    let received = wait_for(&inbox, 1).await;
    assert_eq!(received.len(), 1);
    let (header, body) = &received[0];
    assert!(verify(secret, header, body), "signature {header} verifies");
    let timestamp: i64 = header.split(',').next().unwrap()[2..].parse().unwrap();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((wall - timestamp).abs() < 60, "t is the wall clock");
    let event: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "product.created");
    assert_eq!(event["data"]["object"]["id"], product["id"]);

    // The emulator logs an attempt once the answer is in, a moment after the receiver saw it.
    let mut log = emulator.running.emulator.delivery_log();
    for _ in 0..200 {
        if log.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        log = emulator.running.emulator.delivery_log();
    }
    let statuses: Vec<Option<u16>> = log.iter().map(|attempt| attempt.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    let stored = emulator
        .fetch(&format!("/v1/events/{}", event["id"].as_str().unwrap()))
        .await;
    assert_eq!(stored["pending_webhooks"], 0);
}

#[tokio::test]
async fn endpoints_receive_only_their_enabled_events_with_previous_attributes() {
    let (url, inbox) = receiver(0).await;
    let emulator = Emulator::start().await;
    let endpoint = emulator
        .ok(
            "/v1/webhook_endpoints",
            &[("url", &url), ("enabled_events[0]", "product.updated")],
        )
        .await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    let retrieved = emulator
        .fetch(&format!(
            "/v1/webhook_endpoints/{}",
            endpoint["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        retrieved.get("secret").is_none(),
        "the secret is shown only on create"
    );

    let product = emulator.ok("/v1/products", &[("name", "Pro")]).await;
    emulator
        .ok(
            &format!("/v1/products/{}", product["id"].as_str().unwrap()),
            &[("name", "Pro Plus")],
        )
        .await;
    let received = wait_for(&inbox, 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        inbox.received.lock().unwrap().len(),
        1,
        "product.created was not sent"
    );
    let (header, body) = &received[0];
    assert!(verify(&secret, header, body));
    let event: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "product.updated");
    assert_eq!(event["data"]["previous_attributes"]["name"], "Pro");
}

#[tokio::test]
async fn chaos_mode_delivers_duplicates() {
    let (url, inbox) = receiver(0).await;
    let emulator = Emulator::with(Config {
        tick: None,
        seed: Some(7),
        webhooks: vec![StartupEndpoint {
            url,
            secret: "whsec_chaos".to_owned(),
        }],
        chaos: Chaos {
            duplicate_rate: 1.0,
            shuffle_window: Duration::from_millis(30),
            ..Chaos::default()
        },
        ..Config::default()
    })
    .await;
    for n in 0..5 {
        emulator
            .ok("/v1/products", &[("name", &format!("P{n}"))])
            .await;
    }
    let received = wait_for(&inbox, 10).await;
    assert_eq!(received.len(), 10, "every event twice");
    let mut ids: Vec<String> = received
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<serde_json::Value>(body).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
}

#[tokio::test]
async fn an_endpoints_events_can_be_changed_in_place_but_not_its_api_version() {
    let emulator = Emulator::start().await;
    let endpoint = emulator
        .ok(
            "/v1/webhook_endpoints",
            &[
                ("url", "https://shop.example/webhooks/stripe"),
                ("enabled_events[]", "invoice.paid"),
                ("api_version", stripe_emulator::API_VERSION),
            ],
        )
        .await;
    let path = format!("/v1/webhook_endpoints/{}", endpoint["id"].as_str().unwrap());
    assert_eq!(endpoint["api_version"], stripe_emulator::API_VERSION);

    let updated = emulator
        .ok(
            &path,
            &[
                ("enabled_events[]", "invoice.paid"),
                ("enabled_events[]", "invoice.payment_failed"),
            ],
        )
        .await;
    assert_eq!(
        updated["enabled_events"],
        serde_json::json!(["invoice.paid", "invoice.payment_failed"])
    );
    assert_eq!(updated["id"], endpoint["id"]);

    let (status, body) = emulator.post(&path, &[("api_version", "2024-06-20")]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "api_version");
    let (status, body) = emulator
        .post(&path, &[("enabled_events[]", "invoice.bogus")])
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn every_answer_carries_the_date_a_client_compares_its_clock_with() {
    let emulator = Emulator::start().await;
    let answer = emulator
        .client
        .get(emulator.url("/v1/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401, "no key");
    let date = answer.headers()["date"].to_str().unwrap().to_owned();
    assert!(date.ends_with(" GMT"), "an HTTP date: {date}");
}
