//! The binary refuses to start without valid configuration, naming the variable at fault.

use std::process::Command;

/// Runs the server binary in an empty directory (so no `.env` is found) with `vars` only.
fn server_with_env(vars: &[(&str, &str)]) -> std::process::Output {
    let empty_dir = std::env::temp_dir().join(format!("tollgate-noenv-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&empty_dir).unwrap();
    Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("migrate")
        .current_dir(&empty_dir)
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
