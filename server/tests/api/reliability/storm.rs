//! A webhook storm across two replicas on one database — the app in this process and the
//! `server` binary in another — every event going to both, a fifth of the deliveries twice, in
//! shuffled order, while subscriptions keep changing.

use std::time::{Duration, Instant};

use super::{churn, customers, report, settled, size, verify, Api};
use crate::billing::{app_for, seed, Stripe};
use crate::helpers::WEBHOOK_SECRET;

// Two worker threads, so the in-process replica and the emulator really run side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shuffled_duplicated_storm_across_two_replicas_leaves_every_row_equal_to_stripe() {
    let events = size("STORM_EVENTS", 1_000);
    let subscriptions = size("STORM_SUBSCRIPTIONS", 50);
    let stripe = Stripe::start_configured(|config| {
        config.seed = Some(9);
        config.latency = super::stripe_latency();
        config.chaos.duplicate_rate = 0.2;
        config.chaos.shuffle_window = Duration::from_millis(300);
        config.delivery_backoff = [0.2, 0.5, 1.0, 2.0, 4.0]
            .map(Duration::from_secs_f64)
            .to_vec();
    })
    .await;
    let app = app_for(&stripe).await;
    seed(&app, &stripe).await;
    let replica = app.replica().await;
    stripe.send_webhooks_to(&app);
    stripe
        .emulator()
        .add_webhook(&replica.url("/webhooks/stripe"), WEBHOOK_SECRET);
    let api = Api::of(&stripe);
    let customers = customers(&app, &api, (subscriptions / 5).max(1)).await;
    let first_event = stripe.emulator().read(|world| world.event_count());

    let started = Instant::now();
    let churn = churn(&app, &stripe, &customers, subscriptions, events).await;
    let all_delivered = settled(&stripe, Duration::from_secs(120 + events as u64 / 20)).await;
    let seconds = started.elapsed().as_secs_f64();

    let verdict = verify(&app, &stripe, first_event).await;
    let mut figures = verdict.figures();
    figures["replicas"] = 2.into();
    figures["api_calls"] = churn.calls.into();
    figures["seconds"] = ((seconds * 10.0).round() / 10.0).into();
    figures["events_per_second"] = ((verdict.events as f64 / seconds).round()).into();
    report("webhook storm, two replicas", figures);
    assert!(all_delivered, "deliveries still pending after the storm");
    assert!(verdict.events >= events, "{} events", verdict.events);
    assert!(
        verdict.duplicate_deliveries > verdict.events,
        "both replicas and the chaos duplicates were answered as duplicates: {verdict:?}"
    );
    assert!(
        verdict.rows_checked >= churn.subscriptions.len(),
        "verify compared every subscription made: {verdict:?}"
    );
    verdict.assert_exact();
}
