//! SIGTERM in the middle of load: the `server` binary stops accepting, finishes every request it
//! accepted, lets its webhook workers finish the event in hand, and exits 0; every event answered
//! 200 was recorded, every event recorded was answered 200, and none is left claimed by a worker
//! (the rest wait, due, for another replica).

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use serde_json::json;

use super::{report, size};
use crate::billing::{event, now, Stripe, STRIPE_KEY};
use crate::helpers::{ServerProcess, TestDatabase, WEBHOOK_SECRET};

/// What one request saw.
enum Seen {
    /// A whole answer: status and body.
    Answered(u16, String),
    /// The connection was refused: the server had stopped listening.
    Refused,
    /// No answer began: refused, or reset while still in the listener's queue, never accepted.
    Unanswered,
    /// An answer that began and was cut off: a request the server dropped mid-way.
    Cut(String),
}

async fn send(request: reqwest::RequestBuilder) -> Seen {
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.text().await {
                Ok(body) => Seen::Answered(status, body),
                Err(error) => Seen::Cut(format!("{error:?}")),
            }
        }
        Err(error) if error.is_connect() => Seen::Refused,
        Err(_) => Seen::Unanswered,
    }
}

#[tokio::test]
async fn sigterm_under_load_finishes_what_it_accepted_and_leaves_nothing_half_applied() {
    let workers = size("SHUTDOWN_WORKERS", 8);
    let stripe = Stripe::start_configured(|config| config.latency = super::stripe_latency()).await;
    let database = TestDatabase::create().await;
    let server = ServerProcess::start(
        [
            ("DATABASE_URL", database.url().as_str()),
            ("STRIPE_API_BASE", stripe.base_url()),
            ("STRIPE_SECRET_KEY", STRIPE_KEY),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("SMTP_URL", "smtp://127.0.0.1:1"),
            ("TRIAL_LEDGER_KEY", crate::helpers::TRIAL_LEDGER_KEY),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned())),
    )
    .await;
    let address = server.address;

    // A new connection per request: each is either refused or accepted and then answered.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..workers)
        .map(|worker| {
            let (client, stop) = (client.clone(), stop.clone());
            let base = format!("http://{address}");
            tokio::spawn(async move {
                let mut seen = Vec::new();
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let result = if n % 3 == 2 {
                        (None, send(client.get(format!("{base}/pricing"))).await)
                    } else {
                        // A subscription Stripe does not have: applied after a re-fetch (a 404).
                        let event = event(
                            "customer.subscription.updated",
                            json!({ "id": format!("sub_gone_{worker}_{n}"), "object": "subscription",
                                    "customer": "cus_nobody" }),
                        );
                        let body = serde_json::to_vec(&event).unwrap();
                        let signature = backend::stripe::signature::sign(&body, WEBHOOK_SECRET, now());
                        let request = client
                            .post(format!("{base}/webhooks/stripe"))
                            .header("content-type", "application/json")
                            .header("stripe-signature", signature)
                            .body(body);
                        (Some(event["id"].as_str().unwrap().to_owned()), send(request).await)
                    };
                    let refused = matches!(result.1, Seen::Refused | Seen::Unanswered);
                    seen.push(result);
                    if refused {
                        break;
                    }
                }
                seen
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let exit = tokio::time::timeout(Duration::from_secs(60), server.terminate())
        .await
        .expect("the server exits after SIGTERM");
    stop.store(true, Ordering::Relaxed);

    let mut answers: HashMap<String, (u16, String)> = HashMap::new();
    let (mut pages, mut refused, mut cut) = (0, 0, Vec::new());
    for worker in load {
        for (event, seen) in worker.await.unwrap() {
            match (event, seen) {
                (Some(event), Seen::Answered(status, body)) => {
                    answers.insert(event, (status, body));
                }
                (None, Seen::Answered(status, _)) => {
                    assert_eq!(status, 200, "a page answered during shutdown");
                    pages += 1;
                }
                (_, Seen::Refused | Seen::Unanswered) => refused += 1,
                (_, Seen::Cut(error)) => cut.push(error),
            }
        }
    }
    let db = sqlx::PgPool::connect(database.url().as_str())
        .await
        .unwrap();
    // (id, applied, still claimed by a worker: its next attempt a lease away)
    let recorded: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT id, applied_at IS NOT NULL, COALESCE(next_attempt_at > now(), false) \
         FROM stripe_events",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let mut mismatches = Vec::new();
    for (id, applied, claimed) in &recorded {
        match answers.get(id) {
            Some((200, _)) => {}
            other => mismatches.push(format!("{id}: recorded, answered {other:?}")),
        }
        if *claimed && !*applied {
            mismatches.push(format!("{id}: left half-applied by a worker that stopped"));
        }
    }
    let answered_200 = answers
        .values()
        .filter(|(status, _)| *status == 200)
        .count();
    if answered_200 != recorded.len() {
        mismatches.push(format!(
            "{answered_200} answered 200, {} recorded",
            recorded.len()
        ));
    }
    let applied = recorded.iter().filter(|(_, applied, _)| *applied).count();
    report(
        "SIGTERM under load",
        json!({
            "workers": workers,
            "webhooks_answered": answers.len(),
            "events_applied_before_exit": applied,
            "events_left_for_another_replica": recorded.len() - applied,
            "pages_answered": pages,
            "refused_after_stop": refused,
            "cut_mid_request": cut.len(),
            "mismatches": mismatches.len(),
        }),
    );
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    assert!(cut.is_empty(), "requests cut after being accepted: {cut:?}");
    assert!(answered_200 > 0 && pages > 0, "there was load to finish");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
