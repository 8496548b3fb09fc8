//! Answering a dispute from the console: a document uploaded through Stripe's Files API and text
//! saved as a draft, then submitted once — won on the emulator with Stripe's winning test
//! evidence — or the dispute accepted and lost; files Stripe would not take are refused in words.

use super::{console, paid, ADMIN};
use crate::{
    billing::{eventually, Stripe},
    helpers::{location, TestApp},
};

/// Pays with the disputing test card; the dispute's id once the console mirrors it.
async fn disputed(app: &TestApp, stripe: &Stripe) -> String {
    let charge = paid(app, stripe, 2000, "pm_card_createDispute").await;
    let find = || async {
        sqlx::query_scalar::<_, String>("SELECT id FROM stripe_disputes WHERE charge_id = $1")
            .bind(&charge)
            .fetch_optional(&app.db)
            .await
            .unwrap()
    };
    assert!(
        eventually(10, || async { find().await.is_some() }).await,
        "charge.dispute.created mirrored the dispute"
    );
    find().await.unwrap()
}

/// Uploads `bytes` as `field`'s document from the dispute's page; where it sends the browser.
async fn upload(app: &TestApp, dispute: &str, field: &str, name: &str, bytes: Vec<u8>) -> String {
    let form = reqwest::multipart::Form::new()
        .text("field", field.to_owned())
        .text("form_id", form_id())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    let response = app
        .client
        .post(app.url(&format!("/admin/disputes/{dispute}/evidence-file")))
        .header("origin", &app.base_url)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{name}");
    location(&response)
}

fn form_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn status_in_mirror(app: &TestApp, dispute: &str) -> String {
    sqlx::query_scalar("SELECT status FROM stripe_disputes WHERE id = $1")
        .bind(dispute)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_answers_a_dispute_with_a_document_and_wins_it() {
    let (app, stripe) = console().await;
    let dispute = disputed(&app, &stripe).await;
    let list = app.page("/admin/disputes").await;
    assert!(
        list.contains("needs response") && list.contains("$20"),
        "{list}"
    );
    let page = app.page(&format!("/admin/disputes/{dispute}")).await;
    assert!(
        page.contains("Save draft") && page.contains("Upload"),
        "{page}"
    );

    let back = format!("/admin/disputes/{dispute}?upload=");
    let text = upload(
        &app,
        &dispute,
        "receipt",
        "notes.txt",
        b"just words".to_vec(),
    )
    .await;
    assert_eq!(text, format!("{back}wrong-type"));
    let mut huge = b"%PDF-1.4\n".to_vec();
    huge.resize(5 * 1024 * 1024 + 1, b' ');
    let too_large = upload(&app, &dispute, "receipt", "huge.pdf", huge).await;
    assert_eq!(too_large, format!("{back}too-large"));
    let attached = upload(
        &app,
        &dispute,
        "receipt",
        "receipt.pdf",
        b"%PDF-1.4\nthe receipt".to_vec(),
    )
    .await;
    assert_eq!(attached, format!("{back}attached"));
    let page = app.page(&attached).await;
    assert!(page.contains("The file is attached"), "{page}");
    // A large document (3 MB, over the 2 MB any other body may be) is taken too.
    let mut large = b"%PDF-1.4\n".to_vec();
    large.resize(3 * 1024 * 1024, b' ');
    let large = upload(&app, &dispute, "uncategorized_file", "log.pdf", large).await;
    assert_eq!(large, format!("{back}attached"));

    let in_stripe = stripe.get(&format!("/v1/disputes/{dispute}")).await;
    let file = in_stripe["evidence"]["receipt"]
        .as_str()
        .expect("the receipt is a file")
        .to_owned();
    let uploaded = stripe.get(&format!("/v1/files/{file}")).await;
    assert_eq!(uploaded["purpose"], "dispute_evidence");
    assert_eq!(uploaded["filename"], "receipt.pdf");
    assert_eq!(
        in_stripe["status"], "needs_response",
        "a draft is not submitted"
    );

    let saved = app
        .post_form(
            "/api/save_dispute_evidence",
            &[
                ("dispute", dispute.as_str()),
                ("form_id", &form_id()),
                ("evidence[uncategorized_text]", "winning_evidence"),
                ("evidence[product_description]", "A year of Tollgate Pro"),
                // Long, as a real access log is (Stripe takes 20,000 characters a field).
                (
                    "evidence[access_activity_log]",
                    &"signed in; ".repeat(1_800),
                ),
            ],
        )
        .await;
    assert_eq!(
        location(&saved),
        format!("/admin/disputes/{dispute}?notice=evidence-saved")
    );
    let page = app
        .page(&format!("/admin/disputes/{dispute}?confirm=submit"))
        .await;
    assert!(
        page.contains("A year of Tollgate Pro"),
        "the saved draft is shown: {page}"
    );
    assert!(page.contains("Yes, submit the evidence"), "{page}");

    let form = form_id();
    let fields = [("dispute", dispute.as_str()), ("form_id", form.as_str())];
    let submit = || app.post_form("/api/submit_dispute", &fields);
    // A double click: the same form twice at once, then once more.
    let (first, second) = tokio::join!(submit(), submit());
    for submitted in [first, second, submit().await] {
        assert_eq!(
            location(&submitted),
            format!("/admin/disputes/{dispute}?notice=evidence-submitted")
        );
    }
    let in_stripe = stripe.get(&format!("/v1/disputes/{dispute}")).await;
    assert_eq!(in_stripe["status"], "won");
    assert_eq!(
        in_stripe["evidence_details"]["submission_count"], 1,
        "submitted once"
    );
    assert_eq!(status_in_mirror(&app, &dispute).await, "won");
    let page = app.page(&format!("/admin/disputes/{dispute}")).await;
    assert!(page.contains("no longer takes evidence"), "{page}");

    let log: Vec<(String, String)> =
        sqlx::query_as("SELECT action, outcome FROM admin_actions ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let kinds: Vec<&str> = log.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "dispute_evidence_saved",
            "dispute_evidence_saved",
            "dispute_evidence_saved",
            "dispute_submitted"
        ]
    );
    assert!(
        log.iter().all(|(_, outcome)| outcome == "succeeded"),
        "{log:?}"
    );
    assert!(app.page("/admin/audit").await.contains(ADMIN));
}

#[tokio::test]
async fn an_accepted_dispute_is_lost_and_takes_no_more_evidence() {
    let (app, stripe) = console().await;
    let dispute = disputed(&app, &stripe).await;
    let page = app
        .page(&format!("/admin/disputes/{dispute}?confirm=accept"))
        .await;
    assert!(page.contains("Yes, accept it"), "{page}");
    let accepted = app
        .post_form(
            "/api/accept_dispute",
            &[("dispute", dispute.as_str()), ("form_id", &form_id())],
        )
        .await;
    assert_eq!(
        location(&accepted),
        format!("/admin/disputes/{dispute}?notice=dispute-accepted")
    );
    assert_eq!(
        stripe.get(&format!("/v1/disputes/{dispute}")).await["status"],
        "lost"
    );
    assert_eq!(status_in_mirror(&app, &dispute).await, "lost");
    let late = upload(
        &app,
        &dispute,
        "receipt",
        "receipt.pdf",
        b"%PDF-1.4\nlate".to_vec(),
    )
    .await;
    assert_eq!(late, format!("/admin/disputes/{dispute}?upload=closed"));
}

#[tokio::test]
async fn evidence_the_bank_does_not_accept_loses_the_dispute() {
    let (app, stripe) = console().await;
    let dispute = disputed(&app, &stripe).await;
    let saved = app
        .post_form(
            "/api/save_dispute_evidence",
            &[
                ("dispute", dispute.as_str()),
                ("form_id", &form_id()),
                ("evidence[uncategorized_text]", "losing_evidence"),
            ],
        )
        .await;
    assert_eq!(
        location(&saved),
        format!("/admin/disputes/{dispute}?notice=evidence-saved")
    );
    let submitted = app
        .post_form(
            "/api/submit_dispute",
            &[("dispute", dispute.as_str()), ("form_id", &form_id())],
        )
        .await;
    assert_eq!(
        location(&submitted),
        format!("/admin/disputes/{dispute}?notice=evidence-submitted")
    );
    assert_eq!(
        stripe.get(&format!("/v1/disputes/{dispute}")).await["status"],
        "lost"
    );
    assert_eq!(status_in_mirror(&app, &dispute).await, "lost");
}
