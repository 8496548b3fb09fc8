//! Nobody can lock an owner out, and guessing stays slow: failed password checks count per
//! account *and* client network, sign-ups and reset requests never count against an account, and
//! reset mails are limited per address and network. The limits here are the production defaults.

use crate::helpers::{form_error, link_in, location, spawn_app_with, TestApp, PASSWORD};

/// The production limits, behind one trusted proxy so each test picks its clients' addresses.
const REALISTIC: &[(&str, &str)] = &[
    ("RATE_LIMIT_PER_IP_PER_MINUTE", "30"),
    ("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", "5"),
    ("RATE_LIMIT_ACCOUNT_FAILURES_PER_HOUR", "30"),
    ("RATE_LIMIT_RESET_MAILS_PER_HOUR", "3"),
    ("TRUSTED_PROXY_HOPS", "1"),
];

const OWNER: &str = "ada@example.com";
const OWNER_IP: &str = "198.51.100.7";
const STRANGER_IP: &str = "203.0.113.9";

async fn app_with_owner(vars: &[(&str, &str)]) -> TestApp {
    let vars: Vec<_> = REALISTIC.iter().chain(vars).copied().collect();
    let app = spawn_app_with(&vars).await;
    let signed_up = app
        .post_form_from(
            &app.new_browser(),
            OWNER_IP,
            "/api/sign_up",
            &[
                ("email", OWNER),
                ("password", PASSWORD),
                ("display_name", ""),
            ],
        )
        .await;
    assert_eq!(signed_up.status(), 302);
    app
}

async fn sign_in_from(app: &TestApp, ip: &str, password: &str) -> reqwest::Response {
    app.post_form_from(
        &app.new_browser(),
        ip,
        "/api/sign_in",
        &[("email", OWNER), ("password", password)],
    )
    .await
}

async fn forgot_password_from(app: &TestApp, ip: &str) -> reqwest::Response {
    app.post_form_from(
        &app.new_browser(),
        ip,
        "/api/forgot_password",
        &[("email", OWNER)],
    )
    .await
}

#[tokio::test]
async fn a_strangers_failed_sign_ins_do_not_stop_the_owners_sign_in_nor_reset() {
    let app = app_with_owner(&[]).await;
    for n in 0..5 {
        let guess = sign_in_from(&app, STRANGER_IP, &format!("guess number {n}")).await;
        assert!(form_error(&guess).is_some(), "guess {n} is answered");
    }
    let limited = sign_in_from(&app, STRANGER_IP, "one guess too many").await;
    assert_eq!(limited.status(), 429, "the guesser is slowed down");
    assert!(limited.headers().contains_key("retry-after"));

    let owner = sign_in_from(&app, OWNER_IP, PASSWORD).await;
    let reset = forgot_password_from(&app, OWNER_IP).await;

    assert_eq!(location(&owner), "/account", "the owner signs in");
    assert_eq!(location(&reset), "/forgot-password?sent=1");
    app.mail_to(OWNER, 1).await;
}

#[tokio::test]
async fn sign_ups_and_reset_requests_naming_an_account_do_not_count_against_its_sign_in() {
    let app = app_with_owner(&[("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", "2")]).await;
    for _ in 0..5 {
        let taken = app
            .post_form_from(
                &app.new_browser(),
                OWNER_IP,
                "/api/sign_up",
                &[
                    ("email", OWNER),
                    ("password", "someone else's"),
                    ("display_name", ""),
                ],
            )
            .await;
        assert!(form_error(&taken).is_some(), "the email is taken");
        assert_eq!(forgot_password_from(&app, OWNER_IP).await.status(), 302);
    }

    let owner = sign_in_from(&app, OWNER_IP, PASSWORD).await;

    assert_eq!(location(&owner), "/account");
}

#[tokio::test]
async fn a_strangers_reset_requests_do_not_use_up_the_owners_reset_mails() {
    let app = app_with_owner(&[]).await;
    let mut answers = Vec::new();
    for _ in 0..5 {
        let response = forgot_password_from(&app, STRANGER_IP).await;
        answers.push((response.status(), location(&response)));
    }
    app.mail_to(OWNER, 3).await;

    let owners = forgot_password_from(&app, OWNER_IP).await;

    assert!(
        answers.iter().all(|answer| answer == &answers[0]),
        "requests past the limit get the same answer: {answers:?}"
    );
    assert_eq!(location(&owners), "/forgot-password?sent=1");
    app.mail_to(OWNER, 4).await;
    assert_eq!(
        app.mail_count(OWNER).await,
        4,
        "the stranger's 4th and 5th sent nothing"
    );
}

#[tokio::test]
async fn an_account_guessed_at_from_many_networks_still_lets_its_owner_in() {
    let app = app_with_owner(&[("RATE_LIMIT_ACCOUNT_FAILURES_PER_HOUR", "4")]).await;
    for n in 1..=4 {
        let guess = sign_in_from(&app, &format!("203.0.113.{n}"), "a wrong guess").await;
        assert!(
            form_error(&guess).is_some(),
            "network {n}'s first guess is answered"
        );
    }

    let again = sign_in_from(&app, "203.0.113.1", "another wrong guess").await;
    let fresh_guesser = sign_in_from(&app, "203.0.113.99", "a wrong guess").await;
    let owner = sign_in_from(&app, OWNER_IP, PASSWORD).await;

    assert_eq!(
        again.status(),
        429,
        "a network that failed waits while the attack lasts"
    );
    assert!(
        form_error(&fresh_guesser).is_some(),
        "a new network gets one answer"
    );
    assert_eq!(location(&owner), "/account");
}

#[tokio::test]
async fn an_owner_who_mistyped_during_an_attack_gets_in_after_resetting_the_password() {
    let app = app_with_owner(&[("RATE_LIMIT_ACCOUNT_FAILURES_PER_HOUR", "4")]).await;
    sign_in_from(&app, OWNER_IP, "a typo").await;
    for n in 1..=3 {
        sign_in_from(&app, &format!("203.0.113.{n}"), "a wrong guess").await;
    }
    let waits = sign_in_from(&app, OWNER_IP, PASSWORD).await;
    assert_eq!(
        waits.status(),
        429,
        "the owner failed while the account is under attack"
    );

    forgot_password_from(&app, OWNER_IP).await;
    let (_, text, _) = app.mail_to(OWNER, 1).await;
    let link = link_in(&text);
    let token = link.split("token=").nth(1).expect("a token");
    let reset = app
        .post_form_from(
            &app.new_browser(),
            OWNER_IP,
            "/api/reset_password",
            &[("token", token), ("password", "a brand new passphrase")],
        )
        .await;
    let owner = sign_in_from(&app, OWNER_IP, "a brand new passphrase").await;

    assert_eq!(location(&reset), "/signin?notice=password-reset");
    assert_eq!(location(&owner), "/account");
}

#[tokio::test]
async fn a_network_over_its_limit_gets_no_answer_even_for_the_right_password() {
    let app = app_with_owner(&[]).await;
    for n in 0..5 {
        sign_in_from(&app, STRANGER_IP, &format!("guess number {n}")).await;
    }

    let right = sign_in_from(&app, STRANGER_IP, PASSWORD).await;

    assert_eq!(right.status(), 429);
}
