//! API latency: `/v1/…` requests are answered only after the configured wait, and they wait side
//! by side without holding the emulator's state, while `/_emulator/…` answers at once.

use std::time::{Duration, Instant};

use stripe_emulator::{Config, Latency};

use crate::helpers::Emulator;

async fn slow(base: Duration, jitter: Duration) -> Emulator {
    Emulator::with(Config {
        tick: None,
        seed: Some(7),
        latency: Latency { base, jitter },
        ..Config::default()
    })
    .await
}

/// How many API requests have reached the emulator (the fault middleware counts each on arrival,
/// before its wait).
async fn arrived(emulator: &Emulator) -> u64 {
    emulator.fetch("/_emulator/chaos").await["requests"]
        .as_u64()
        .expect("a request count")
}

#[tokio::test]
async fn an_api_request_is_answered_no_sooner_than_the_latency() {
    let emulator = slow(Duration::from_millis(300), Duration::ZERO).await;

    let started = Instant::now();
    emulator
        .ok("/v1/customers", &[("email", "jenny@example.com")])
        .await;
    let first = started.elapsed();
    let started = Instant::now();
    emulator.fetch("/v1/customers").await;
    let second = started.elapsed();

    assert!(
        first >= Duration::from_millis(300),
        "answered after {first:?}"
    );
    assert!(
        second >= Duration::from_millis(300),
        "answered after {second:?}"
    );
}

#[tokio::test]
async fn a_jittered_request_waits_at_least_the_latency_less_the_jitter() {
    let emulator = slow(Duration::from_millis(200), Duration::from_millis(100)).await;

    for _ in 0..3 {
        let started = Instant::now();
        emulator.fetch("/v1/products").await;
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(100),
            "answered after {waited:?}"
        );
    }
}

#[tokio::test]
async fn requests_wait_side_by_side_and_the_controls_answer_while_they_wait() {
    // An hour: the requests are certainly still waiting while the test looks at them.
    let emulator = slow(Duration::from_secs(3_600), Duration::ZERO).await;
    let waiting: Vec<_> = (0..8)
        .map(|n| {
            let request = emulator
                .client
                .post(emulator.url("/v1/customers"))
                .bearer_auth(crate::helpers::KEY)
                .form(&[("email", format!("customer{n}@example.com"))]);
            tokio::spawn(request.send())
        })
        .collect();

    // All eight are inside the emulator at once, each in its wait...
    while arrived(&emulator).await < 8 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // ...and the state is not locked meanwhile: the clock (which reads it) answers, and a change
    // made directly goes through.
    let clock = emulator.fetch("/_emulator/clock").await;
    assert_eq!(clock["pending_webhooks"], 0);
    let (_, events) = emulator.running.emulator.advance(60);
    assert!(events.is_empty(), "no customer was created yet: {events:?}");
    assert!(waiting.iter().all(|request| !request.is_finished()));
    for request in waiting {
        request.abort();
    }
}

#[tokio::test]
async fn a_latency_switched_on_while_running_delays_the_next_api_request() {
    let emulator = slow(Duration::ZERO, Duration::ZERO).await;
    assert_eq!(
        emulator.fetch("/_emulator/latency").await,
        serde_json::json!({ "latency_ms": 0, "jitter_ms": 0 })
    );

    let set = emulator
        .ok(
            "/_emulator/latency",
            &[("latency", "300ms"), ("jitter", "0")],
        )
        .await;
    let started = Instant::now();
    emulator.fetch("/v1/products").await;
    let waited = started.elapsed();

    assert_eq!(
        set,
        serde_json::json!({ "latency_ms": 300, "jitter_ms": 0 })
    );
    assert!(
        waited >= Duration::from_millis(300),
        "answered after {waited:?}"
    );
    // Changing one leaves the other as it was.
    let jittered = emulator
        .ok("/_emulator/latency", &[("jitter", "50ms")])
        .await;
    assert_eq!(
        jittered,
        serde_json::json!({ "latency_ms": 300, "jitter_ms": 50 })
    );
}

#[tokio::test]
async fn a_latency_without_a_unit_is_refused_and_changes_nothing() {
    let emulator = slow(Duration::from_millis(150), Duration::ZERO).await;

    let (status, body) = emulator
        .post("/_emulator/latency", &[("latency", "150")])
        .await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "latency");
    assert_eq!(
        emulator.fetch("/_emulator/latency").await,
        serde_json::json!({ "latency_ms": 150, "jitter_ms": 0 })
    );
}
