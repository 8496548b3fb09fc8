//! The state file and the binary's interface.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use stripe_emulator::Config;

use crate::helpers::Emulator;

#[tokio::test]
async fn a_restarted_emulator_keeps_its_catalog_and_customers_from_the_state_file() {
    let dir = std::env::temp_dir().join(format!("stripe-emulator-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    let _ = std::fs::remove_file(&path);
    let config = || Config {
        tick: None,
        state_file: Some(path.clone()),
        ..Config::default()
    };

    let first = Emulator::with(config()).await;
    let price = first.monthly_price("Pro", 2000).await;
    let customer = first.customer_with("pm_card_visa").await;
    drop(first);

    let second = Emulator::with(config()).await;
    assert_eq!(
        second.fetch(&format!("/v1/prices/{price}")).await["unit_amount"],
        2000
    );
    assert_eq!(
        second.fetch(&format!("/v1/customers/{customer}")).await["email"],
        "jenny@example.com"
    );
    let fresh = second.ok("/v1/customers", &[]).await;
    assert_ne!(
        fresh["id"].as_str(),
        Some(customer.as_str()),
        "ids keep being fresh after a restart"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_state_file_that_is_not_ours_is_refused_with_a_clear_error() {
    let path =
        std::env::temp_dir().join(format!("stripe-emulator-bad-{}.json", std::process::id()));
    std::fs::write(&path, b"not json").unwrap();
    let error = stripe_emulator::spawn(Config {
        tick: None,
        state_file: Some(path.clone()),
        ..Config::default()
    })
    .await
    .err()
    .expect("refused");
    assert!(
        format!("{error:#}").contains("is not an emulator state file"),
        "{error:#}"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn the_binary_prints_its_base_url_and_webhook_secret() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stripe-emulator"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--webhook-url",
            "http://127.0.0.1:9/hook",
            "--webhook-secret",
            "whsec_printed",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner: Vec<String> = (0..4).map(|_| lines.next().unwrap().unwrap()).collect();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        banner[0].starts_with("Stripe emulator listening on http://127.0.0.1:"),
        "{banner:?}"
    );
    assert!(
        banner.iter().any(|line| line.contains("whsec_printed")),
        "{banner:?}"
    );
}

#[test]
fn the_binary_refuses_a_webhook_url_without_a_secret() {
    let output = Command::new(env!("CARGO_BIN_EXE_stripe-emulator"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--webhook-url",
            "http://127.0.0.1:9/hook",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--webhook-secret"));
}
