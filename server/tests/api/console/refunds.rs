//! Refunds from the console: in part and in full, never more than what is left, refused while a
//! dispute is open, once per submitted form however often it arrives — each in the audit log.

use serde_json::Value;

use super::{charge, console, paid, ADMIN};
use crate::{
    billing::{eventually, Stripe},
    helpers::{form_error, location, TestApp},
};

/// Submits the refund form for `charge` as the admin; the response.
async fn refund(app: &TestApp, charge: &str, amount: &str, form_id: &str) -> reqwest::Response {
    app.post_form(
        "/api/refund_charge",
        &[
            ("charge", charge),
            ("amount", amount),
            ("reason", "requested_by_customer"),
            ("form_id", form_id),
        ],
    )
    .await
}

fn form_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The audit log's rows: action, object, amount, outcome, key, request id, detail.
async fn audit(
    app: &TestApp,
) -> Vec<(
    String,
    String,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
)> {
    sqlx::query_as(
        "SELECT action, object_id, amount, outcome, idempotency_key, stripe_request_id, detail \
         FROM admin_actions ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn refunds_in_stripe(stripe: &Stripe, charge: &str) -> Vec<Value> {
    stripe.get(&format!("/v1/refunds?charge={charge}")).await["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_admin_refunds_half_then_the_rest_and_nothing_more_is_refunded() {
    let (app, stripe) = console().await;
    let id = paid(&app, &stripe, 2000, "pm_card_visa").await;
    let page = app.page(&format!("/admin/payments/{id}")).await;
    assert!(
        page.contains("$0.88"),
        "the fee from its balance transaction: {page}"
    );
    assert!(page.contains("$19.12"), "the net");

    let response = refund(&app, &id, "10", &form_id()).await;
    assert_eq!(
        location(&response),
        format!("/admin/payments/{id}?notice=refunded")
    );
    assert_eq!(charge(&stripe, &id).await["amount_refunded"], 1000);
    let page = app
        .page(&format!("/admin/payments/{id}?notice=refunded"))
        .await;
    assert!(page.contains("The refund is made."), "the notice");
    assert!(page.contains("$10 is left to refund"), "{page}");

    let response = refund(&app, &id, "", &form_id()).await;
    assert_eq!(response.status(), 302);
    let stripe_charge = charge(&stripe, &id).await;
    assert_eq!(stripe_charge["amount_refunded"], 2000);
    assert_eq!(stripe_charge["refunded"], true);
    let page = app.page(&format!("/admin/payments/{id}")).await;
    assert!(page.contains("Nothing is left to refund."), "{page}");

    let response = refund(&app, &id, "1", &form_id()).await;
    let error = form_error(&response).expect("a third refund is refused");
    assert!(
        error.to_string().contains("refunded in full already"),
        "{error}"
    );
    assert_eq!(refunds_in_stripe(&stripe, &id).await.len(), 2);

    let rows = audit(&app).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (row, amount) in rows.iter().zip([1000, 1000]) {
        assert_eq!(
            (row.0.as_str(), row.1.as_str(), row.2, row.3.as_str()),
            ("refund", id.as_str(), Some(amount), "succeeded")
        );
        assert!(
            row.4
                .as_deref()
                .is_some_and(|key| key.starts_with("tollgate-refund-")),
            "{row:?}"
        );
        assert!(
            row.5
                .as_deref()
                .is_some_and(|request| request.starts_with("req_")),
            "{row:?}"
        );
    }
    let log = app.page("/admin/audit").await;
    assert!(
        log.contains(ADMIN) && log.contains("Refund") && log.contains(&id),
        "{log}"
    );
}

#[tokio::test]
async fn a_refund_above_what_is_left_is_refused_on_its_field_and_nothing_moves() {
    let (app, stripe) = console().await;
    let id = paid(&app, &stripe, 2000, "pm_card_visa").await;
    for (amount, says) in [
        ("30", "At most $20 is left to refund."),
        ("ten", "Enter an amount like 20.00"),
    ] {
        let response = refund(&app, &id, amount, &form_id()).await;
        let error = form_error(&response).expect("refused");
        assert_eq!(error["Field"]["field"], "amount", "{error}");
        assert!(error.to_string().contains(says), "{error}");
    }
    assert!(refunds_in_stripe(&stripe, &id).await.is_empty());
    assert!(audit(&app).await.is_empty());
}

#[tokio::test]
async fn the_same_form_submitted_many_times_at_once_refunds_once_and_is_logged_once() {
    let (app, stripe) = console().await;
    let id = paid(&app, &stripe, 2000, "pm_card_visa").await;
    let form = form_id();
    let submits = tokio::join!(
        refund(&app, &id, "5", &form),
        refund(&app, &id, "5", &form),
        refund(&app, &id, "5", &form),
        refund(&app, &id, "5", &form),
        refund(&app, &id, "5", &form),
    );
    let (a, b, c, d, e) = submits;
    for response in [a, b, c, d, e] {
        assert_eq!(
            location(&response),
            format!("/admin/payments/{id}?notice=refunded")
        );
    }
    // And once more after it went through.
    refund(&app, &id, "5", &form).await;
    assert_eq!(refunds_in_stripe(&stripe, &id).await.len(), 1);
    assert_eq!(charge(&stripe, &id).await["amount_refunded"], 500);
    let rows = audit(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].3, "succeeded");
}

#[tokio::test]
async fn a_disputed_payment_is_not_refunded_and_the_refusal_is_logged() {
    let (app, stripe) = console().await;
    let id = paid(&app, &stripe, 2000, "pm_card_createDispute").await;
    assert!(
        eventually(10, || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM stripe_disputes WHERE charge_id = $1 AND status = 'needs_response'",
            )
            .bind(&id)
            .fetch_one(&app.db)
            .await
            .unwrap()
                == 1
        })
        .await,
        "the charge.dispute.created webhook mirrored the dispute"
    );
    let page = app.page(&format!("/admin/payments/{id}")).await;
    assert!(
        page.contains("cannot be refunded while the dispute is open"),
        "{page}"
    );
    let response = refund(&app, &id, "", &form_id()).await;
    let error = form_error(&response).expect("refused");
    assert!(error.to_string().contains("disputed"), "{error}");
    assert!(refunds_in_stripe(&stripe, &id).await.is_empty());
    let rows = audit(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].3.as_str()),
        ("refund", "refused")
    );
    // Every admin was told of the dispute.
    assert!(
        eventually(10, || async { app.mail_count(ADMIN).await == 1 }).await,
        "the dispute email"
    );
    let (subject, text, _) = app.mail_to(ADMIN, 1).await;
    assert_eq!(subject, "A payment of $20 was disputed");
    assert!(text.contains(&format!("/admin/payments/{id}")), "{text}");
}

#[tokio::test]
async fn money_moves_only_with_the_admins_password_once_it_was_last_entered_too_long_ago() {
    use crate::billing::{app_for_with, Stripe};

    let stripe = Stripe::start().await;
    let app = app_for_with(&stripe, &[("ADMIN_PASSWORD_WINDOW_SECONDS", "0")]).await;
    stripe.send_webhooks_to(&app);
    app.sign_up(ADMIN).await;
    super::grant(&app, ADMIN).await;
    let id = paid(&app, &stripe, 2000, "pm_card_visa").await;
    let page = app.page(&format!("/admin/payments/{id}")).await;
    assert!(
        page.contains("Your password"),
        "the form asks for it: {page}"
    );

    let form = form_id();
    let with = |password: Option<&'static str>| {
        let (app, id, form) = (&app, id.clone(), form.clone());
        async move {
            let mut fields = vec![
                ("charge", id),
                ("amount", "5".to_owned()),
                ("reason", "requested_by_customer".to_owned()),
                ("form_id", form),
            ];
            if let Some(password) = password {
                fields.push(("password", password.to_owned()));
            }
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/api/refund_charge", &fields).await
        }
    };
    for (password, says) in [
        (None, "Enter your password"),
        (Some("not the password"), "That is not your password."),
    ] {
        let error = form_error(&with(password).await).expect("refused");
        assert_eq!(error["Field"]["field"], "password", "{error}");
        assert!(error.to_string().contains(says), "{error}");
    }
    assert!(
        refunds_in_stripe(&stripe, &id).await.is_empty(),
        "nothing moved"
    );
    let done = with(Some(crate::helpers::PASSWORD)).await;
    assert_eq!(
        location(&done),
        format!("/admin/payments/{id}?notice=refunded")
    );
    assert_eq!(refunds_in_stripe(&stripe, &id).await.len(), 1);
}
