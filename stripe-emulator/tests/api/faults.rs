//! API chaos: a share of `/v1/…` requests fails as Stripe and the network do, counted at
//! `/_emulator/chaos`, and switched at run time.

use std::time::Duration;

use serde_json::Value;
use stripe_emulator::{Chaos, Config};

use crate::helpers::{Emulator, KEY};

async fn faulty(rate: f64) -> Emulator {
    Emulator::with(Config {
        tick: None,
        seed: Some(11),
        chaos: Chaos {
            api_fault_rate: rate,
            api_stall: Duration::from_millis(50),
            ..Chaos::default()
        },
        ..Config::default()
    })
    .await
}

/// What a client sees for one `POST /v1/products` with an idempotency key.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum Seen {
    Ok,
    ServerError,
    RateLimited,
    Cut,
}

async fn create_product(emulator: &Emulator, key: &str) -> (Seen, Option<Value>) {
    let sent = emulator
        .client
        .post(emulator.url("/v1/products"))
        .bearer_auth(KEY)
        .header("idempotency-key", key)
        .form(&[("name", key)])
        .send()
        .await;
    // A cut connection fails either before the status line or in the middle of the body.
    let Ok(sent) = sent else {
        return (Seen::Cut, None);
    };
    let status = sent.status().as_u16();
    match sent.json::<Value>().await {
        Err(_) => (Seen::Cut, None),
        Ok(body) => match status {
            200 => (Seen::Ok, Some(body)),
            500 => (Seen::ServerError, Some(body)),
            429 => (Seen::RateLimited, Some(body)),
            other => panic!("unexpected {other}: {body}"),
        },
    }
}

async fn chaos(emulator: &Emulator) -> Value {
    emulator.get("/_emulator/chaos").await.1
}

#[tokio::test]
async fn every_api_request_can_fail_in_each_of_the_five_ways_and_each_is_counted() {
    let emulator = faulty(1.0).await;
    let mut seen = std::collections::HashMap::new();
    for n in 0..60 {
        let (kind, _) = create_product(&emulator, &format!("key-{n}")).await;
        *seen.entry(kind).or_insert(0u64) += 1;
    }

    let report = chaos(&emulator).await;
    let injected = &report["injected"];
    let count = |kind: &str| injected[kind].as_u64().unwrap();
    assert_eq!(report["requests"], 60, "{report}");
    for kind in ["error", "rate_limit", "lost", "stall", "dropped"] {
        assert!(count(kind) > 0, "no {kind} in 60 requests: {report}");
    }
    assert_eq!(
        seen.get(&Seen::ServerError).copied().unwrap_or(0),
        count("error") + count("lost")
    );
    assert_eq!(
        seen.get(&Seen::RateLimited).copied().unwrap_or(0),
        count("rate_limit")
    );
    assert_eq!(
        seen.get(&Seen::Ok).copied().unwrap_or(0),
        count("stall"),
        "a stalled request still answers"
    );
    assert_eq!(seen.get(&Seen::Cut).copied().unwrap_or(0), count("dropped"));
}

#[tokio::test]
async fn a_500_after_the_work_was_done_replays_it_on_retry_and_a_500_before_makes_it_on_retry() {
    let emulator = faulty(1.0).await;
    let mut answered_500 = Vec::new();
    for n in 0..60 {
        let key = format!("key-{n}");
        if create_product(&emulator, &key).await.0 == Seen::ServerError {
            answered_500.push(key);
        }
    }
    emulator
        .ok("/_emulator/chaos", &[("api_fault_rate", "0")])
        .await;
    let names = |listed: &Value| -> Vec<String> {
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|product| product["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let made = names(&emulator.fetch("/v1/products?limit=100").await);
    let (lost, refused): (Vec<_>, Vec<_>) =
        answered_500.into_iter().partition(|key| made.contains(key));
    assert!(
        !lost.is_empty() && !refused.is_empty(),
        "both kinds of 500 among 60 requests"
    );

    for key in lost.iter().chain(&refused) {
        let (seen, body) = create_product(&emulator, key).await;
        assert_eq!(seen, Seen::Ok, "{key}");
        assert_eq!(body.unwrap()["name"], key.as_str());
    }
    let made = names(&emulator.fetch("/v1/products?limit=100").await);
    for key in lost.iter().chain(&refused) {
        let copies = made.iter().filter(|name| *name == key).count();
        assert_eq!(
            copies, 1,
            "{key}: one product whichever way its first try failed"
        );
    }
}

#[tokio::test]
async fn faults_are_off_by_default_and_switched_at_run_time() {
    let emulator = faulty(0.0).await;
    for n in 0..20 {
        assert_eq!(
            create_product(&emulator, &format!("a-{n}")).await.0,
            Seen::Ok
        );
    }
    assert_eq!(chaos(&emulator).await["injected"]["error"], 0);

    let report = emulator
        .ok(
            "/_emulator/chaos",
            &[("api_fault_rate", "1"), ("stall_ms", "10")],
        )
        .await;
    assert_eq!(report["api_fault_rate"], 1.0);
    assert_eq!(report["stall_ms"], 10);
    let mut failed = 0;
    for n in 0..20 {
        if create_product(&emulator, &format!("b-{n}")).await.0 != Seen::Ok {
            failed += 1;
        }
    }
    assert!(failed > 0, "with every request faulted, some fail");

    let (status, body) = emulator
        .post("/_emulator/chaos", &[("api_fault_rate", "1.5")])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("between 0.0 and 1.0"));
}

#[tokio::test]
async fn hosted_pages_and_emulator_controls_are_never_faulted() {
    let emulator = faulty(1.0).await;
    for _ in 0..20 {
        let (status, _) = emulator.get("/_emulator/clock").await;
        assert_eq!(status, 200);
    }
    assert_eq!(chaos(&emulator).await["requests"], 0, "only /v1 counts");
}
