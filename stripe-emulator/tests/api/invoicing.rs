//! Invoice items and invoices made by hand: drafts that gather pending items, totals that follow
//! their items, finalize, pay, void, mark uncollectible, send, and the errors for the wrong state.

use serde_json::Value;

use crate::helpers::Emulator;

/// A customer (with a 4242 default card) holding a pending item of `amount` cents; its id.
async fn customer_with_item(emulator: &Emulator, amount: &str) -> String {
    let customer = emulator.customer_with("pm_card_visa").await;
    emulator
        .ok(
            "/v1/invoiceitems",
            &[
                ("customer", &customer),
                ("amount", amount),
                ("currency", "usd"),
            ],
        )
        .await;
    customer
}

/// A draft invoice that includes the customer's pending items.
async fn draft(emulator: &Emulator, customer: &str, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("customer", customer),
        ("pending_invoice_items_behavior", "include"),
    ];
    form.extend_from_slice(extra);
    emulator.ok("/v1/invoices", &form).await
}

fn id(object: &Value) -> &str {
    object["id"].as_str().unwrap()
}

#[tokio::test]
async fn a_draft_gathers_pending_items_and_its_totals_follow_item_changes() {
    let emulator = Emulator::start().await;
    let customer = customer_with_item(&emulator, "2000").await;
    let invoice = draft(&emulator, &customer, &[]).await;
    assert_eq!(invoice["status"], "draft");
    assert_eq!(invoice["amount_due"], 2000);
    assert_eq!(invoice["number"], Value::Null);

    let added = emulator
        .ok(
            "/v1/invoiceitems",
            &[
                ("customer", &customer),
                ("invoice", id(&invoice)),
                ("unit_amount_decimal", "250"),
                ("quantity", "3"),
                ("currency", "usd"),
            ],
        )
        .await;
    assert_eq!(added["amount"], 750);
    let path = format!("/v1/invoices/{}", id(&invoice));
    assert_eq!(emulator.fetch(&path).await["amount_due"], 2750);

    emulator
        .ok(
            &format!("/v1/invoiceitems/{}", id(&added)),
            &[("quantity", "1")],
        )
        .await;
    assert_eq!(emulator.fetch(&path).await["amount_due"], 2250);
    let (status, _) = emulator
        .delete(&format!("/v1/invoiceitems/{}", id(&added)))
        .await;
    assert_eq!(status, 200);
    let invoice = emulator.fetch(&path).await;
    assert_eq!(invoice["amount_due"], 2000);
    assert_eq!(invoice["lines"]["data"].as_array().unwrap().len(), 1);
    assert!(emulator
        .event_types()
        .await
        .contains(&"invoice.updated".to_owned()));
}

#[tokio::test]
async fn items_cannot_join_or_leave_a_finalized_invoice() {
    let emulator = Emulator::start().await;
    let customer = customer_with_item(&emulator, "2000").await;
    let invoice = draft(&emulator, &customer, &[]).await;
    emulator
        .ok(&format!("/v1/invoices/{}/finalize", id(&invoice)), &[])
        .await;
    let (status, body) = emulator
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", &customer),
                ("invoice", id(&invoice)),
                ("amount", "100"),
                ("currency", "usd"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("invoice"))
    );
    let item = &emulator
        .fetch(&format!("/v1/invoiceitems?invoice={}", id(&invoice)))
        .await["data"][0];
    let (status, _) = emulator
        .delete(&format!("/v1/invoiceitems/{}", id(item)))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn paying_a_draft_finalizes_it_and_charges_the_default_card() {
    let emulator = Emulator::start().await;
    let customer = customer_with_item(&emulator, "2000").await;
    let invoice = draft(&emulator, &customer, &[]).await;
    let paid = emulator
        .ok(&format!("/v1/invoices/{}/pay", id(&invoice)), &[])
        .await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["amount_paid"], 2000);
    assert!(paid["number"].is_string());
    let types = emulator.event_types().await;
    for expected in [
        "invoiceitem.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ] {
        assert!(
            types.contains(&expected.to_owned()),
            "{expected} in {types:?}"
        );
    }
}

#[tokio::test]
async fn a_declined_payment_leaves_the_invoice_open_with_one_failed_attempt() {
    let emulator = Emulator::start().await;
    let customer = emulator.customer_with("pm_card_chargeCustomerFail").await;
    emulator
        .ok(
            "/v1/invoiceitems",
            &[
                ("customer", &customer),
                ("amount", "900"),
                ("currency", "usd"),
            ],
        )
        .await;
    let invoice = draft(&emulator, &customer, &[]).await;
    let (status, body) = emulator
        .post(&format!("/v1/invoices/{}/pay", id(&invoice)), &[])
        .await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (402, Some("card_error"))
    );
    let invoice = emulator
        .fetch(&format!("/v1/invoices/{}", id(&invoice)))
        .await;
    assert_eq!(
        (
            invoice["status"].as_str(),
            invoice["attempt_count"].as_i64()
        ),
        (Some("open"), Some(1))
    );
    assert!(emulator
        .event_types()
        .await
        .contains(&"invoice.payment_failed".to_owned()));
}

#[tokio::test]
async fn an_uncollectible_invoice_can_still_be_paid_but_a_void_one_cannot() {
    let emulator = Emulator::start().await;
    let customer = customer_with_item(&emulator, "2000").await;
    let first = draft(&emulator, &customer, &[]).await;
    emulator
        .ok(&format!("/v1/invoices/{}/finalize", id(&first)), &[])
        .await;
    let uncollectible = emulator
        .ok(
            &format!("/v1/invoices/{}/mark_uncollectible", id(&first)),
            &[],
        )
        .await;
    assert!(uncollectible["status_transitions"]["marked_uncollectible_at"].is_i64());
    let paid = emulator
        .ok(&format!("/v1/invoices/{}/pay", id(&first)), &[])
        .await;
    assert_eq!(paid["status"], "paid");

    emulator
        .ok(
            "/v1/invoiceitems",
            &[
                ("customer", &customer),
                ("amount", "500"),
                ("currency", "usd"),
            ],
        )
        .await;
    let second = draft(&emulator, &customer, &[]).await;
    emulator
        .ok(&format!("/v1/invoices/{}/finalize", id(&second)), &[])
        .await;
    let voided = emulator
        .ok(&format!("/v1/invoices/{}/void", id(&second)), &[])
        .await;
    assert_eq!(
        (
            voided["status"].as_str(),
            voided["amount_remaining"].as_i64()
        ),
        (Some("void"), Some(0))
    );
    let (status, _) = emulator
        .post(&format!("/v1/invoices/{}/pay", id(&second)), &[])
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_invoice_with_nothing_to_pay_is_paid_when_finalized() {
    let emulator = Emulator::start().await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let invoice = draft(&emulator, &customer, &[]).await;
    let finalized = emulator
        .ok(&format!("/v1/invoices/{}/finalize", id(&invoice)), &[])
        .await;
    assert_eq!(finalized["status"], "paid");
}

#[tokio::test]
async fn only_send_invoice_drafts_take_a_due_date() {
    let emulator = Emulator::start().await;
    let customer = customer_with_item(&emulator, "2000").await;
    let (status, body) = emulator
        .post(
            "/v1/invoices",
            &[("customer", &customer), ("days_until_due", "7")],
        )
        .await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("days_until_due"))
    );
    let invoice = draft(
        &emulator,
        &customer,
        &[
            ("collection_method", "send_invoice"),
            ("days_until_due", "7"),
        ],
    )
    .await;
    assert_eq!(
        invoice["due_date"].as_i64(),
        invoice["created"]
            .as_i64()
            .map(|created| created + 7 * 86_400)
    );
    let sent = emulator
        .ok(&format!("/v1/invoices/{}/send", id(&invoice)), &[])
        .await;
    assert_eq!(sent["status"], "open");
    assert!(emulator
        .event_types()
        .await
        .contains(&"invoice.sent".to_owned()));
}

#[tokio::test]
async fn subscription_invoices_cannot_be_deleted() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2000).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    let invoice = subscription["latest_invoice"].as_str().unwrap();
    let (status, body) = emulator.delete(&format!("/v1/invoices/{invoice}")).await;
    assert_eq!(status, 400, "{body}");
    assert!(emulator.fetch(&format!("/v1/invoices/{invoice}")).await["id"].is_string());
}

#[tokio::test]
async fn a_draft_is_taxed_by_its_automatic_tax_default_rates_and_item_rates() {
    let emulator = Emulator::start().await;
    let customer = customer_with_item(&emulator, "1000").await;
    emulator
        .ok(
            &format!("/v1/customers/{customer}"),
            &[("address[country]", "FR")],
        )
        .await;
    let invoice = draft(&emulator, &customer, &[("automatic_tax[enabled]", "true")]).await;
    assert_eq!(invoice["automatic_tax"]["status"], "complete");
    assert_eq!(invoice["total"], 1200, "20 % in France");
    let rate = emulator
        .ok(
            "/v1/tax_rates",
            &[
                ("display_name", "Levy"),
                ("percentage", "5"),
                ("inclusive", "false"),
            ],
        )
        .await;
    let rate = id(&rate);
    let updated = emulator
        .ok(
            &format!("/v1/invoices/{}", id(&invoice)),
            &[
                ("automatic_tax[enabled]", "false"),
                ("default_tax_rates[0]", rate),
            ],
        )
        .await;
    assert_eq!(updated["total"], 1050);
    emulator
        .ok(
            "/v1/invoiceitems",
            &[
                ("customer", &customer),
                ("invoice", id(&invoice)),
                ("amount", "2000"),
                ("currency", "usd"),
                ("tax_rates[0]", rate),
            ],
        )
        .await;
    let refreshed = emulator
        .fetch(&format!("/v1/invoices/{}", id(&invoice)))
        .await;
    assert_eq!(refreshed["subtotal"], 3000);
    assert_eq!(refreshed["total"], 3150);
    assert_eq!(refreshed["total_taxes"][0]["amount"], 150);
}
