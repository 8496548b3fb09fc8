//! `server stripe contract` as a developer runs it: every step passes against the emulator and
//! what it made is cleaned up; a live-mode key is refused before any call.

use super::Stripe;

/// Runs `server stripe contract` with only a Stripe key and API base (no database, no webhook
/// secret), in an empty directory. Exit status and standard output, standard error.
async fn contract(api_base: &str, key: &str) -> (bool, String, String) {
    let dir = crate::helpers::empty_dir();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .args(["stripe", "contract"])
        .current_dir(dir.path())
        .env_clear()
        .env("STRIPE_API_BASE", api_base)
        .env("STRIPE_SECRET_KEY", key);
    // The emulator runs on this test's runtime: wait for the process off it.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("running the server binary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The objects a list endpoint of the emulator returns (`path` may end in a query and `&`).
async fn listed(stripe: &Stripe, path: &str) -> Vec<serde_json::Value> {
    let separator = if path.ends_with('&') { "" } else { "?" };
    stripe.get(&format!("{path}{separator}limit=100")).await["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn every_step_of_the_contract_passes_against_the_emulator_and_leaves_nothing_on_sale() {
    let stripe = Stripe::start().await;

    let (passed, stdout, stderr) = contract(stripe.base_url(), "sk_test_tollgate").await;

    assert!(passed, "{stdout}{stderr}");
    let steps: Vec<&str> = stdout.lines().filter(|l| l.starts_with("ok   ")).collect();
    assert_eq!(steps.len(), 15, "{stdout}");
    assert!(stdout.contains("ok   resume a paused trial"), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
    for path in ["/v1/products?active=true&", "/v1/prices?active=true&"] {
        assert!(listed(&stripe, path).await.is_empty(), "{path}: archived");
    }
    assert!(listed(&stripe, "/v1/customers").await.is_empty(), "deleted");
    assert!(listed(&stripe, "/v1/test_helpers/test_clocks")
        .await
        .is_empty());
}

#[tokio::test]
async fn a_live_key_is_refused_before_any_call() {
    let stripe = Stripe::start().await;

    let (passed, stdout, stderr) = contract(stripe.base_url(), "sk_live_tollgate").await;

    assert!(!passed, "{stdout}");
    assert!(
        stderr.contains("refusing to run with a live-mode key"),
        "{stderr}"
    );
    assert!(!stdout.contains("ok   "), "{stdout}");
    assert_eq!(stripe.emulator().read(|world| world.event_count()), 0);
}

#[tokio::test]
async fn with_stripe_unreachable_the_first_step_fails_naming_why_and_the_run_exits_1() {
    // Nothing listens on port 9.
    let (passed, stdout, stderr) = contract("http://127.0.0.1:9", "sk_test_tollgate").await;

    assert!(!passed, "{stdout}");
    let failed = stdout
        .lines()
        .find(|line| line.starts_with("FAIL "))
        .unwrap_or_default();
    assert!(
        failed.starts_with(
            "FAIL seed a catalog: could not reach Stripe at http://127.0.0.1:9/v1/products"
        ),
        "{stdout}"
    );
    assert_eq!(stdout.matches("FAIL ").count(), 1, "stops there: {stdout}");
    assert!(
        stdout.contains("ok   clean up (deleted: test clocks 0, other customers 0;"),
        "{stdout}"
    );
    assert!(
        stderr.contains("the contract failed at `seed a catalog`"),
        "{stderr}"
    );
}
