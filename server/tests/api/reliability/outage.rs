//! The database going away in the middle of a storm: the app answers 5xx and `/readyz` says so
//! while it is gone, reconnects by itself, and once Stripe has retried, every row is exact again.
//! In `cargo xtask test` a proxy cuts the app off (other tests share the cluster); in
//! `cargo xtask soak`, which runs this test alone, the real cluster is stopped and started.

use std::time::{Duration, Instant};

use super::{churn, customers, db_proxy::DbProxy, report, settled, size, verify, Api};
use crate::billing::{seed, Stripe};
use crate::helpers::{spawn_app_on, TestDatabase};

#[tokio::test]
async fn a_database_outage_mid_storm_is_answered_5xx_then_recovered_exactly_after_retries() {
    let events = size("OUTAGE_EVENTS", 600);
    let subscriptions = size("OUTAGE_SUBSCRIPTIONS", 30);
    let outage = Duration::from_secs(size("OUTAGE_SECONDS", 3) as u64);
    let stripe = Stripe::start_configured(|config| {
        config.seed = Some(10);
        config.latency = super::stripe_latency();
        config.chaos.shuffle_window = Duration::from_millis(200);
        // Stripe retries for days; a few seconds of backoff outlast this outage.
        config.delivery_backoff = [0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0]
            .map(Duration::from_secs_f64)
            .to_vec();
    })
    .await;
    // Quick runs cut the app off with a proxy; the soak restarts the real cluster
    // (`SOAK_PG_OUTAGE` is the xtask binary, whose `pg-outage` does it).
    let restart = std::env::var_os("SOAK_PG_OUTAGE");
    let database = TestDatabase::create().await;
    let proxy = match restart {
        Some(_) => None,
        None => Some(DbProxy::start(&database.url()).await),
    };
    let app_url = proxy
        .as_ref()
        .map_or(database.url(), |proxy| proxy.url(&database.url()));
    let app = spawn_app_on(
        database,
        &[
            ("STRIPE_API_BASE", stripe.base_url()),
            ("DATABASE_URL", app_url.as_str()),
        ],
    )
    .await;
    seed(&app, &stripe).await;
    stripe.send_webhooks_to(&app);
    let api = Api::of(&stripe);
    let customers = customers(&app, &api, (subscriptions / 5).max(1)).await;
    let first_event = stripe.emulator().read(|world| world.event_count());
    assert_eq!(app.get("/readyz").await.status(), 200);

    let started = Instant::now();
    let storm = {
        let (app_ref, stripe_ref) = (&app, &stripe);
        async move { churn(app_ref, stripe_ref, &customers, subscriptions, events).await }
    };
    let down = async {
        // Let the storm get going, then take the database away.
        while stripe.emulator().read(|world| world.event_count()) - first_event < events / 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut readyz_during = Vec::new();
        match (&proxy, &restart) {
            (Some(proxy), _) => {
                proxy.stop();
                let stopped = Instant::now();
                while stopped.elapsed() < outage {
                    readyz_during.push(app.get("/readyz").await.status().as_u16());
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                proxy.start_again();
            }
            (None, Some(xtask)) => {
                let mut command = std::process::Command::new(xtask);
                command
                    .args(["pg-outage", &outage.as_secs().to_string()])
                    // Its progress notes would land in the middle of libtest's result lines.
                    .stdout(std::process::Stdio::null());
                let mut restarting = tokio::task::spawn_blocking(move || command.status());
                // Sampled until the cluster is back; a sample in flight as it comes back may
                // well see it up, so what must be seen is the outage itself.
                loop {
                    tokio::select! {
                        status = &mut restarting => {
                            assert!(status.unwrap().unwrap().success(), "the cluster restarted");
                            break;
                        }
                        status = app.get("/readyz") => {
                            readyz_during.push(status.status().as_u16());
                            tokio::time::sleep(Duration::from_millis(250)).await;
                        }
                    }
                }
            }
            (None, None) => unreachable!("a proxy unless the cluster is restarted"),
        }
        readyz_during
    };
    let (churn, readyz_during) = tokio::join!(storm, down);
    let all_delivered = settled(&stripe, Duration::from_secs(120 + events as u64 / 20)).await;
    let seconds = started.elapsed().as_secs_f64();
    let readyz_after = app.get("/readyz").await.status().as_u16();

    let verdict = verify(&app, &stripe, first_event).await;
    let mut figures = verdict.figures();
    figures["outage_seconds"] = outage.as_secs().into();
    figures["outage"] = if proxy.is_none() {
        "cluster stopped and started (pg_ctl)"
    } else {
        "connections cut by a proxy"
    }
    .into();
    figures["seconds"] = ((seconds * 10.0).round() / 10.0).into();
    report("database outage mid-storm", figures);

    if proxy.is_some() {
        assert!(
            readyz_during.iter().all(|status| *status == 503),
            "/readyz while the database was cut off: {readyz_during:?}"
        );
    } else {
        assert!(
            readyz_during.contains(&503),
            "/readyz while the cluster was down: {readyz_during:?}"
        );
    }
    assert_eq!(readyz_after, 200, "reconnected by itself");
    assert!(
        verdict.answered_5xx > 0,
        "some deliveries hit the outage and were answered 5xx: {verdict:?}"
    );
    assert!(all_delivered, "every delivery eventually succeeded");
    assert!(
        verdict.rows_checked >= churn.subscriptions.len(),
        "verify compared every subscription made: {verdict:?}"
    );
    verdict.assert_exact();
}
