//! Cross-site request refusal, security headers, rate limits, the dev mailbox.

use crate::helpers::{form_error, spawn_app, spawn_app_with, PASSWORD, PRODUCTION};

#[tokio::test]
async fn a_form_post_from_another_origin_is_refused_with_403() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/api/sign_up"))
        .header("origin", "https://evil.example")
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 403);
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn a_post_with_neither_origin_nor_referer_is_refused() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/api/sign_out"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_same_site_referer_is_accepted_when_the_browser_sends_no_origin() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/api/sign_out"))
        .header("accept", "text/html")
        .header("referer", format!("{}/account", app.base_url))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 302);
}

#[tokio::test]
async fn pages_carry_a_nonce_based_csp_and_the_other_security_headers() {
    let app = spawn_app().await;

    let response = app.get("/").await;

    let headers = response.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(
        headers["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
    // The inline island loader carries the nonce the policy allows.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!(r#"nonce="{nonce}""#)), "{html}");
}

#[tokio::test]
async fn each_page_gets_a_fresh_nonce() {
    let app = spawn_app().await;
    let csp = |response: reqwest::Response| {
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned()
    };

    assert_ne!(csp(app.get("/").await), csp(app.get("/").await));
}

#[tokio::test]
async fn non_page_responses_get_a_policy_that_allows_nothing() {
    let app = spawn_app().await;

    let response = app.get("/healthz").await;

    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn too_many_sign_ins_from_one_ip_get_429_with_retry_after() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "3")]).await;

    for n in 0..3 {
        let email = format!("user{n}@example.com");
        let response = app.sign_in_with(&app.new_browser(), &email, PASSWORD).await;
        assert_eq!(response.status(), 302, "attempt {n}");
    }
    let response = app
        .sign_in_with(&app.new_browser(), "user9@example.com", PASSWORD)
        .await;

    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
}

#[tokio::test]
async fn too_many_failed_sign_ins_on_one_account_get_429_while_other_accounts_pass() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", "2")]).await;

    for email in ["Ada@example.com", "ada@example.com"] {
        let response = app
            .post_form("/api/sign_in", &[("email", email), ("password", "guess")])
            .await;
        assert_eq!(response.status(), 302, "{email}");
    }
    let limited = app
        .post_form(
            "/api/sign_in",
            &[("email", " ada@EXAMPLE.com"), ("password", PASSWORD)],
        )
        .await;
    let other = app
        .post_form(
            "/api/sign_in",
            &[("email", "grace@example.com"), ("password", "guess")],
        )
        .await;

    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(other.status(), 302);
}

#[tokio::test]
async fn the_dev_mailbox_shows_sent_mail_in_dev_mode() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    app.post_form("/api/forgot_password", &[("email", "ada@example.com")])
        .await;
    app.mail_to("ada@example.com", 1).await;

    let html = app.page("/dev/mailbox").await;

    assert!(html.contains("Reset your Tollgate password"));
    assert!(html.contains(r#"<a href="http://tollgate.test/reset-password?token="#));
}

#[tokio::test]
async fn the_dev_mailbox_does_not_exist_outside_dev_mode() {
    let app = spawn_app_with(PRODUCTION).await;

    let response = app.get("/dev/mailbox").await;

    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn too_many_password_resets_from_one_ip_get_429_with_retry_after() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "3")]).await;
    let reset = || async {
        app.post_form_with(
            &app.new_browser(),
            "/api/reset_password",
            &[("token", "not-a-real-token"), ("password", PASSWORD)],
        )
        .await
    };

    for n in 0..3 {
        assert_ne!(reset().await.status(), 429, "attempt {n}");
    }
    let response = reset().await;

    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn current_password_guesses_are_limited_per_account_across_devices() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", "2")]).await;
    let grace = app.new_browser();
    let signed_up = app
        .post_form_with(
            &grace,
            "/api/sign_up",
            &[
                ("email", "grace@example.com"),
                ("password", PASSWORD),
                ("display_name", ""),
            ],
        )
        .await;
    assert_eq!(signed_up.status(), 302);
    // Signing up, and signing in with the right password, do not count: only the guesses do.
    app.sign_up("ada@example.com").await;
    let laptop = app.new_browser();
    app.sign_in_with(&laptop, "ada@example.com", PASSWORD).await;

    let wrong_change = app
        .post_form(
            "/api/change_password",
            &[
                ("current_password", "guess 1"),
                ("new_password", "a new password"),
            ],
        )
        .await;
    let wrong_email = app
        .post_form_with(
            &laptop,
            "/api/change_email",
            &[
                ("new_email", "ada@new.example"),
                ("current_password", "guess 2"),
            ],
        )
        .await;
    let limited = app
        .post_form("/api/delete_account", &[("password", "guess 3")])
        .await;
    let other_account = app
        .post_form_with(
            &grace,
            "/api/change_password",
            &[
                ("current_password", "guess"),
                ("new_password", "a new password"),
            ],
        )
        .await;

    assert_ne!(wrong_change.status(), 429);
    assert_ne!(wrong_email.status(), 429);
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        form_error(&other_account).expect("checked, not limited")["Field"]["field"],
        "current_password"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "2"),
        ("TRUSTED_PROXY_HOPS", "1"),
    ])
    .await;
    let attempt = |forwarded: &'static str| {
        let app = &app;
        async move {
            app.new_browser()
                .post(app.url("/api/sign_in"))
                .header("origin", &app.base_url)
                .header("x-forwarded-for", forwarded)
                .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };

    // The proxy appends the address it saw; what the client wrote before it is not trusted.
    assert_eq!(attempt("10.0.0.1, 198.51.100.7").await, 302);
    assert_eq!(attempt("10.0.0.2, 198.51.100.7").await, 302);
    assert_eq!(attempt("10.0.0.3, 198.51.100.7").await, 429, "same client");
    assert_eq!(attempt("198.51.100.8").await, 302, "another client");
}

#[tokio::test]
async fn without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "2")]).await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        let response = app
            .new_browser()
            .post(app.url("/api/sign_in"))
            .header("origin", &app.base_url)
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }

    assert_eq!(statuses, [302, 302, 429]);
}
