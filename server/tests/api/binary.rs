//! The `server` binary as an operator runs it: configuration errors, JSON logs with the matched
//! route, graceful shutdown on SIGTERM.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use serde_json::Value;

use crate::helpers::{empty_dir, TestDatabase};

/// Runs the server binary in an empty directory (so no `.env` is found) with `vars` only.
fn server_with_env(vars: &[(&str, &str)]) -> std::process::Output {
    let empty_dir = empty_dir();
    Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("migrate")
        .current_dir(empty_dir.path())
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("running the server binary")
}

#[test]
fn the_server_will_not_start_without_database_url_and_says_so() {
    let output = server_with_env(&[]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("DATABASE_URL is not set"),
        "stderr: {stderr}"
    );
}

#[test]
fn the_server_will_not_start_with_a_malformed_variable_and_names_it() {
    let output = server_with_env(&[
        ("DATABASE_URL", "postgres://tollgate@127.0.0.1:1/none"),
        ("LOG_FORMAT", "yaml"),
    ]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LOG_FORMAT is invalid"), "stderr: {stderr}");
}

#[test]
fn the_server_will_not_start_in_production_without_a_mail_server_and_names_smtp_url() {
    let output = server_with_env(&[
        ("DATABASE_URL", "postgres://tollgate@127.0.0.1:1/none"),
        ("STRIPE_SECRET_KEY", "sk_test_tollgate"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_tollgate_test"),
        ("TRIAL_LEDGER_KEY", "a-32-character-test-trial-ledger-key"),
    ]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SMTP_URL is not set"), "stderr: {stderr}");
}

#[tokio::test]
async fn json_logs_carry_the_matched_route_and_sigterm_shuts_down_cleanly() {
    let database = TestDatabase::create().await;
    let empty_dir = empty_dir();
    let mut server = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("serve")
        .current_dir(empty_dir.path())
        .env_clear()
        .env("DATABASE_URL", database.url().as_str())
        .env("STRIPE_SECRET_KEY", "sk_test_tollgate")
        .env("STRIPE_WEBHOOK_SECRET", "whsec_tollgate_test")
        .env("SMTP_URL", "smtp://127.0.0.1:1")
        .env("TRIAL_LEDGER_KEY", crate::helpers::TRIAL_LEDGER_KEY)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting the server binary");
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut next_log = move || -> Value {
        let line = lines.next().expect("a log line").unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    };

    let listening = std::iter::repeat_with(&mut next_log)
        .find(|log| log["message"] == "listening")
        .unwrap();
    let address = listening["address"].as_str().unwrap().to_owned();
    let response = reqwest::get(format!("http://{address}/healthz"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let finished = std::iter::repeat_with(&mut next_log)
        .find(|log| log["message"] == "finished processing request")
        .unwrap();
    assert_eq!(finished["span"]["route"], "/healthz");
    assert_eq!(finished["span"]["method"], "GET");
    assert_eq!(finished["status"], 200);

    let killed = Command::new("kill")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server.wait().unwrap();
    assert!(status.success(), "exit after SIGTERM: {status}");
    assert!(std::iter::repeat_with(&mut next_log).any(|log| log["message"] == "shutting down"));
}
