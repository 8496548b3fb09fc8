//! `server doctor`: every line ✓ after setup against the emulator with a migrated database, and
//! each ✗ reproduced — a missing endpoint, a missing event, another API version, an unreachable
//! or unmigrated database, a refused key, a configuration that does not load. And `server
//! healthcheck`.

use super::{endpoint_at, sellable_catalog, server, setup_ok, BASE_URL};
use crate::{billing::Stripe, helpers::TestDatabase};

/// A migrated database, a sellable catalog, and setup run.
async fn ready() -> (Stripe, TestDatabase) {
    let stripe = Stripe::start().await;
    sellable_catalog(&stripe).await;
    setup_ok(&stripe, &[], &[]).await;
    (stripe, TestDatabase::create().await)
}

/// `server doctor`; whether it passed, and its report.
async fn doctor(stripe: &Stripe, database: &str, env: &[(&str, &str)]) -> (bool, String) {
    let (output, stdout) = server(stripe, database, &["doctor"], env).await;
    (output.status.success(), stdout)
}

/// The report's failed lines.
fn failures(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter(|line| line.starts_with('✗'))
        .collect()
}

#[tokio::test]
async fn doctor_passes_every_check_after_setup_on_a_migrated_database() {
    let (stripe, database) = ready().await;

    let (passed, report) = doctor(&stripe, database.url().as_str(), &[]).await;

    assert!(passed, "{report}");
    assert!(failures(&report).is_empty(), "{report}");
    for check in [
        "✓ configuration",
        "✓ database: reachable",
        "✓ migrations: all",
        "✓ Stripe key: works, test mode",
        "✓ webhook endpoint https://shop.example/webhooks/stripe",
        "✓ customer portal",
        "✓ catalog",
        "✓ mail: the dev outbox",
        "✓ clock",
    ] {
        assert!(report.contains(check), "no `{check}` in:\n{report}");
    }
}

#[tokio::test]
async fn doctor_names_a_missing_webhook_endpoint() {
    let stripe = Stripe::start().await;
    sellable_catalog(&stripe).await;
    let database = TestDatabase::create().await;

    let (passed, report) = doctor(&stripe, database.url().as_str(), &[]).await;

    assert!(!passed);
    assert!(
        failures(&report).contains(
            &format!(
                "✗ webhook endpoint {BASE_URL}/webhooks/stripe: missing: run `server stripe setup`"
            )
            .as_str()
        ),
        "{report}"
    );
    assert!(
        report.contains("✗ customer portal: no configuration"),
        "{report}"
    );
}

#[tokio::test]
async fn doctor_names_an_event_the_endpoint_misses() {
    let (stripe, database) = ready().await;
    let endpoint = endpoint_at(&stripe, "/webhooks/stripe").await.unwrap();
    stripe
        .ok(
            &format!("/v1/webhook_endpoints/{}", endpoint["id"].as_str().unwrap()),
            &[("enabled_events[]", "invoice.paid")],
        )
        .await;

    let (passed, report) = doctor(&stripe, database.url().as_str(), &[]).await;

    assert!(!passed);
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{report}");
    assert!(
        failed[0].contains("it misses balance.available"),
        "{report}"
    );
}

#[tokio::test]
async fn doctor_names_an_endpoint_on_another_api_version() {
    let (stripe, database) = ready().await;
    let endpoint = endpoint_at(&stripe, "/webhooks/stripe").await.unwrap();
    stripe
        .delete(&format!(
            "/v1/webhook_endpoints/{}",
            endpoint["id"].as_str().unwrap()
        ))
        .await;
    let mut form = vec![
        ("url".to_owned(), format!("{BASE_URL}/webhooks/stripe")),
        ("api_version".to_owned(), "2024-06-20".to_owned()),
    ];
    for event in backend::billing::webhooks::PLATFORM_EVENTS {
        form.push(("enabled_events[]".to_owned(), event.to_string()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    stripe.ok("/v1/webhook_endpoints", &form).await;

    let (passed, report) = doctor(&stripe, database.url().as_str(), &[]).await;

    assert!(!passed);
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{report}");
    assert!(
        failed[0].contains("its API version is 2024-06-20, not 2026-10-28.endive"),
        "{report}"
    );
}

#[tokio::test]
async fn doctor_says_when_the_database_is_unreachable() {
    let (stripe, _database) = ready().await;

    let (passed, report) = doctor(&stripe, "postgres://tollgate@127.0.0.1:1/gone", &[]).await;

    assert!(!passed);
    assert!(report.contains("✗ database: unreachable"), "{report}");
    assert!(
        report.contains("✓ Stripe key"),
        "the other checks still run: {report}"
    );
}

#[tokio::test]
async fn doctor_says_when_migrations_are_pending() {
    let (stripe, _) = ready().await;
    let empty = TestDatabase::create_empty().await;

    let (passed, report) = doctor(&stripe, empty.url().as_str(), &[]).await;

    assert!(!passed);
    assert!(report.contains("✗ migrations: "), "{report}");
    assert!(report.contains("run `server migrate`"), "{report}");
}

#[tokio::test]
async fn doctor_says_when_stripe_refuses_the_key() {
    let (stripe, database) = ready().await;

    let (passed, report) = doctor(
        &stripe,
        database.url().as_str(),
        &[("STRIPE_SECRET_KEY", "sk_test_not-a-key")],
    )
    .await;

    assert!(!passed);
    assert!(report.contains("✗ Stripe key: refused"), "{report}");
    assert!(report.contains("STRIPE_SECRET_KEY"), "{report}");
}

#[tokio::test]
async fn doctor_reports_a_configuration_that_does_not_load_as_a_failed_check() {
    let (stripe, database) = ready().await;

    let (passed, report) = doctor(
        &stripe,
        database.url().as_str(),
        &[("PORTAL_CANCEL_MODE", "sometimes")],
    )
    .await;

    assert!(!passed);
    assert!(report.starts_with("✗ configuration: "), "{report}");
    assert!(report.contains("PORTAL_CANCEL_MODE"), "{report}");
}

/// `server healthcheck` with nothing but `LEPTOS_SITE_ADDR`.
async fn healthcheck(address: String) -> bool {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .arg("healthcheck")
        .env_clear()
        .env("LEPTOS_SITE_ADDR", address);
    tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("running the server binary")
        .status
        .success()
}

#[tokio::test]
async fn healthcheck_needs_only_the_address_and_fails_when_nothing_answers() {
    let app = crate::helpers::spawn_app().await;
    let port = app.address.port();

    assert!(healthcheck(format!("0.0.0.0:{port}")).await);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    assert!(!healthcheck(format!("127.0.0.1:{closed_port}")).await);
}
