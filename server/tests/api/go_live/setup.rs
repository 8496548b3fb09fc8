//! `server stripe setup`: the webhook endpoints and the portal configuration, made once and left
//! alone after; secrets printed or written; a dry run; a live key over http refused.

use std::os::unix::fs::PermissionsExt;

use backend::{
    billing::webhooks::{CONNECT_EVENTS, PLATFORM_EVENTS},
    stripe::API_VERSION,
};

use super::{
    endpoint_at, endpoints, events_of, our_portals, sellable_catalog, setup, setup_ok, BASE_URL,
};
use crate::billing::Stripe;

const PARTNERS: &[(&str, &str)] = &[("PARTNERS_ENABLED", "true")];

#[tokio::test]
async fn the_first_setup_creates_both_endpoints_and_the_portal_and_prints_their_secrets_once() {
    let stripe = Stripe::start().await;
    sellable_catalog(&stripe).await;

    let stdout = setup_ok(&stripe, &[], PARTNERS).await;

    let platform = endpoint_at(&stripe, "/webhooks/stripe")
        .await
        .expect("made");
    assert_eq!(events_of(&platform), PLATFORM_EVENTS);
    assert_eq!(platform["api_version"], API_VERSION);
    let connect = endpoint_at(&stripe, "/webhooks/stripe/connect")
        .await
        .expect("made");
    assert_eq!(events_of(&connect), CONNECT_EVENTS);
    assert_eq!(connect["api_version"], API_VERSION);
    let portals = our_portals(&stripe).await;
    assert_eq!(portals.len(), 1);
    let features = &portals[0]["features"];
    assert_eq!(features["payment_method_update"]["enabled"], true);
    assert_eq!(features["invoice_history"]["enabled"], true);
    assert_eq!(features["subscription_cancel"]["enabled"], true);
    assert_eq!(features["subscription_cancel"]["mode"], "at_period_end");
    assert_eq!(features["subscription_update"]["enabled"], false);
    assert_eq!(
        portals[0]["default_return_url"],
        format!("{BASE_URL}/account")
    );

    assert!(stdout.contains("Stripe key: test mode"), "{stdout}");
    assert!(
        stdout.contains(&format!("created {}", platform["id"].as_str().unwrap())),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("STRIPE_WEBHOOK_SECRET=whsec_").count(),
        1,
        "{stdout}"
    );
    assert_eq!(
        stdout
            .matches("STRIPE_CONNECT_WEBHOOK_SECRET=whsec_")
            .count(),
        1,
        "{stdout}"
    );
    assert!(stdout.contains("catalog: ✓"), "{stdout}");
}

#[tokio::test]
async fn running_setup_again_changes_nothing_and_shows_no_secret() {
    let stripe = Stripe::start().await;
    sellable_catalog(&stripe).await;
    setup_ok(&stripe, &[], PARTNERS).await;
    let before = endpoints(&stripe).await;
    let portal = our_portals(&stripe).await;

    let stdout = setup_ok(&stripe, &[], PARTNERS).await;

    assert_eq!(endpoints(&stripe).await, before, "same endpoints, same ids");
    assert_eq!(
        our_portals(&stripe).await,
        portal,
        "the same portal, untouched"
    );
    assert_eq!(stdout.matches(": unchanged (").count(), 3, "{stdout}");
    assert!(!stdout.contains("whsec_"), "{stdout}");
    assert!(!stdout.contains("created"), "{stdout}");
}

#[tokio::test]
async fn write_env_writes_the_secrets_to_a_private_file_and_keeps_its_other_lines() {
    let stripe = Stripe::start().await;
    sellable_catalog(&stripe).await;
    let dir = crate::helpers::empty_dir();
    let file = dir.path().join("tollgate.env");
    std::fs::write(
        &file,
        "DATABASE_URL=postgres://db/tollgate\nSTRIPE_WEBHOOK_SECRET=whsec_old\n",
    )
    .unwrap();

    let stdout = setup_ok(&stripe, &["--write-env", file.to_str().unwrap()], PARTNERS).await;

    assert!(
        !stdout.contains("whsec_"),
        "secrets are not printed: {stdout}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "DATABASE_URL=postgres://db/tollgate");
    assert!(
        lines[1].starts_with("STRIPE_WEBHOOK_SECRET=whsec_"),
        "{text}"
    );
    assert_ne!(lines[1], "STRIPE_WEBHOOK_SECRET=whsec_old");
    assert!(
        lines[2].starts_with("STRIPE_CONNECT_WEBHOOK_SECRET=whsec_"),
        "{text}"
    );
    assert_eq!(lines.len(), 3, "{text}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn an_endpoint_whose_events_were_changed_is_updated_in_place() {
    let stripe = Stripe::start().await;
    sellable_catalog(&stripe).await;
    setup_ok(&stripe, &[], &[]).await;
    let endpoint = endpoint_at(&stripe, "/webhooks/stripe").await.unwrap();
    let id = endpoint["id"].as_str().unwrap();
    stripe
        .ok(
            &format!("/v1/webhook_endpoints/{id}"),
            &[
                ("enabled_events[]", "invoice.paid"),
                ("enabled_events[]", "coupon.created"),
            ],
        )
        .await;

    let stdout = setup_ok(&stripe, &[], &[]).await;

    let after = endpoint_at(&stripe, "/webhooks/stripe").await.unwrap();
    assert_eq!(after["id"], id, "the same endpoint");
    assert_eq!(events_of(&after), PLATFORM_EVENTS);
    assert!(stdout.contains(&format!("updated {id}")), "{stdout}");
    assert!(
        stdout.contains("events removed: coupon.created"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("whsec_"),
        "the secret did not change: {stdout}"
    );
}

#[tokio::test]
async fn an_endpoint_on_another_api_version_is_replaced_and_the_new_secret_shown() {
    let stripe = Stripe::start().await;
    sellable_catalog(&stripe).await;
    let old = stripe
        .ok(
            "/v1/webhook_endpoints",
            &[
                ("url", &format!("{BASE_URL}/webhooks/stripe")),
                ("enabled_events[]", "*"),
                ("api_version", "2024-06-20"),
            ],
        )
        .await;

    let stdout = setup_ok(&stripe, &[], &[]).await;

    let all = endpoints(&stripe).await;
    assert_eq!(all.len(), 1, "the old one is deleted: {all:?}");
    assert_ne!(all[0]["id"], old["id"]);
    assert_eq!(all[0]["api_version"], API_VERSION);
    assert!(
        stdout.contains(&format!("replaced {}", old["id"].as_str().unwrap())),
        "{stdout}"
    );
    assert!(stdout.contains("STRIPE_WEBHOOK_SECRET=whsec_"), "{stdout}");
}

#[tokio::test]
async fn a_dry_run_says_what_it_would_do_and_changes_nothing() {
    let stripe = Stripe::start().await;
    sellable_catalog(&stripe).await;

    let stdout = setup_ok(&stripe, &["--dry-run"], PARTNERS).await;

    assert!(endpoints(&stripe).await.is_empty());
    assert!(our_portals(&stripe).await.is_empty());
    assert_eq!(stdout.matches(": would create").count(), 3, "{stdout}");
    assert!(stdout.contains("nothing was changed"), "{stdout}");
}

#[tokio::test]
async fn a_live_key_with_an_http_base_url_is_refused_before_anything_is_made() {
    let stripe = Stripe::start().await;

    let (output, _) = setup(
        &stripe,
        &[],
        &[
            ("STRIPE_SECRET_KEY", "sk_live_tollgate"),
            ("BASE_URL", "http://shop.example"),
        ],
    )
    .await;

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("BASE_URL=http://shop.example"), "{stderr}");
    assert!(stderr.contains("https://"), "{stderr}");
    assert!(endpoints(&stripe).await.is_empty());
}

#[tokio::test]
async fn a_catalog_without_features_fails_setup_after_the_endpoints_are_made() {
    let stripe = Stripe::start().await;
    stripe.ok("/v1/products", &[("name", "Bare")]).await;

    let (output, stdout) = setup(&stripe, &[], &[]).await;

    assert!(!output.status.success());
    assert!(stdout.contains("catalog: ✗ product Bare"), "{stdout}");
    assert!(stdout.contains("no active recurring price"), "{stdout}");
    assert_eq!(endpoints(&stripe).await.len(), 1);
}

#[tokio::test]
async fn portal_sessions_open_on_the_configuration_setup_made() {
    let (app, stripe, _ada) = crate::billing::subscriber::subscribed("tollgate_pro_monthly").await;
    setup_ok(&stripe, &[], &[]).await;
    let ours = our_portals(&stripe).await[0]["id"].clone();

    let response = app.post_form("/api/open_portal", &[]).await;

    assert_eq!(response.status(), 302);
    let sessions = stripe.events(&["billing_portal.session.created"]).await;
    let last = sessions.last().expect("a portal session");
    assert_eq!(last["data"]["object"]["configuration"], ours);
}
