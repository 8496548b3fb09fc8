//! The money after the sale in `server stripe verify`: charges, refunds, disputes and payouts as
//! the console's mirror stores them (`console::mirror`), fetched as `server stripe sync` fetches
//! them, compared with the stored rows.

use std::collections::HashSet;

use sqlx::PgPool;
use time::OffsetDateTime;

use super::{compare, VerifyReport};
use crate::{
    billing::{sync, BillingError, Step},
    stripe::payments::{Charge, Dispute, Payout, Refund},
    AppState,
};

/// Compares every charge (and the refunds of those stored), dispute and payout.
pub(super) async fn compare_all(
    state: &AppState,
    report: &mut VerifyReport,
) -> Result<(), BillingError> {
    let in_stripe = sync::fetch_money(&state.stripe).await?;
    let differences = &mut report.differences;
    let stored_charges = stored_charges(&state.db)
        .await
        .step("reading the stored charges")?;
    let stored_ids: HashSet<&str> = stored_charges.iter().map(|row| row.id.as_str()).collect();
    let mut charges = Vec::new();
    let mut refunds = Vec::new();
    for (charge, of_charge) in &in_stripe.charges {
        charges.push(ChargeRow::from(charge));
        // Refunds only of charges stored: a missing charge is one difference.
        if stored_ids.contains(charge.id.as_str()) {
            refunds.extend(
                of_charge
                    .iter()
                    .map(|refund| RefundRow::new(&charge.id, refund)),
            );
        }
    }
    report.checked.charges = compare(charges, stored_charges, differences);
    report.checked.refunds = compare(
        refunds,
        stored_refunds(&state.db)
            .await
            .step("reading the stored refunds")?,
        differences,
    );
    report.checked.disputes = compare(
        in_stripe.disputes.iter().map(DisputeRow::from).collect(),
        stored_disputes(&state.db)
            .await
            .step("reading the stored disputes")?,
        differences,
    );
    report.checked.payouts = compare(
        in_stripe.payouts.iter().map(PayoutRow::from).collect(),
        stored_payouts(&state.db)
            .await
            .step("reading the stored payouts")?,
        differences,
    );
    Ok(())
}

/// Unix seconds as stored.
fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A `stripe_charges` row.
pub(super) struct ChargeRow {
    pub(super) id: String,
    pub(super) stripe_customer_id: Option<String>,
    pub(super) payment_intent_id: Option<String>,
    pub(super) amount: i64,
    pub(super) amount_captured: i64,
    pub(super) amount_refunded: i64,
    pub(super) currency: String,
    pub(super) status: String,
    pub(super) refunded: bool,
    pub(super) disputed: bool,
    pub(super) balance_transaction_id: Option<String>,
    pub(super) fee: Option<i64>,
    pub(super) net: Option<i64>,
    pub(super) description: Option<String>,
    pub(super) billing_email: Option<String>,
    pub(super) billing_name: Option<String>,
    pub(super) card_brand: Option<String>,
    pub(super) card_last4: Option<String>,
    pub(super) failure_message: Option<String>,
    pub(super) created: OffsetDateTime,
}

impl From<&Charge> for ChargeRow {
    fn from(charge: &Charge) -> Self {
        let (fee, net) = charge.fee_and_net().unzip();
        let card = charge
            .payment_method_details
            .as_ref()
            .and_then(|details| details.card.as_ref());
        Self {
            id: charge.id.clone(),
            stripe_customer_id: charge.customer.clone(),
            payment_intent_id: charge.payment_intent.clone(),
            amount: charge.amount,
            amount_captured: charge.amount_captured,
            amount_refunded: charge.amount_refunded,
            currency: charge.currency.clone(),
            status: charge.status.as_str().to_owned(),
            refunded: charge.refunded,
            disputed: charge.disputed,
            balance_transaction_id: charge
                .balance_transaction
                .as_ref()
                .map(|txn| txn.id().to_owned()),
            fee,
            net,
            description: charge.description.clone(),
            billing_email: charge.billing_details.email.clone(),
            billing_name: charge.billing_details.name.clone(),
            card_brand: card.and_then(|card| card.brand.clone()),
            card_last4: card.and_then(|card| card.last4.clone()),
            failure_message: charge.failure_message.clone(),
            created: at(charge.created),
        }
    }
}

/// A `stripe_refunds` row.
pub(super) struct RefundRow {
    pub(super) id: String,
    pub(super) charge_id: String,
    pub(super) amount: i64,
    pub(super) currency: String,
    pub(super) status: String,
    pub(super) reason: Option<String>,
    pub(super) created: OffsetDateTime,
}

impl RefundRow {
    /// The row of `refund`, listed among `charge`'s.
    fn new(charge: &str, refund: &Refund) -> Self {
        Self {
            id: refund.id.clone(),
            charge_id: charge.to_owned(),
            amount: refund.amount,
            currency: refund.currency.clone(),
            status: refund.status.as_str().to_owned(),
            reason: refund.reason.clone(),
            created: at(refund.created),
        }
    }
}

/// A `stripe_disputes` row.
pub(super) struct DisputeRow {
    pub(super) id: String,
    pub(super) charge_id: String,
    pub(super) amount: i64,
    pub(super) currency: String,
    pub(super) status: String,
    pub(super) reason: String,
    pub(super) evidence: serde_json::Value,
    pub(super) evidence_due_by: Option<OffsetDateTime>,
    pub(super) has_evidence: bool,
    pub(super) submission_count: i32,
    pub(super) created: OffsetDateTime,
}

impl From<&Dispute> for DisputeRow {
    fn from(dispute: &Dispute) -> Self {
        // The evidence's fields given so far, as stored.
        let evidence = dispute
            .evidence
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Self {
            id: dispute.id.clone(),
            charge_id: dispute.charge.clone(),
            amount: dispute.amount,
            currency: dispute.currency.clone(),
            status: dispute.status.as_str().to_owned(),
            reason: dispute.reason.clone(),
            evidence: serde_json::Value::Object(evidence),
            evidence_due_by: dispute.evidence_details.due_by.map(at),
            has_evidence: dispute.evidence_details.has_evidence,
            submission_count: i32::try_from(dispute.evidence_details.submission_count)
                .unwrap_or(i32::MAX),
            created: at(dispute.created),
        }
    }
}

/// A `stripe_payouts` row.
pub(super) struct PayoutRow {
    pub(super) id: String,
    pub(super) amount: i64,
    pub(super) currency: String,
    pub(super) status: String,
    pub(super) method: String,
    pub(super) automatic: bool,
    pub(super) arrival_date: OffsetDateTime,
    pub(super) failure_code: Option<String>,
    pub(super) failure_message: Option<String>,
    pub(super) description: Option<String>,
    pub(super) created: OffsetDateTime,
}

impl From<&Payout> for PayoutRow {
    fn from(payout: &Payout) -> Self {
        Self {
            id: payout.id.clone(),
            amount: payout.amount,
            currency: payout.currency.clone(),
            status: payout.status.as_str().to_owned(),
            method: payout.method.clone(),
            automatic: payout.automatic,
            arrival_date: at(payout.arrival_date),
            failure_code: payout.failure_code.clone(),
            failure_message: payout.failure_message.clone(),
            description: payout.description.clone(),
            created: at(payout.created),
        }
    }
}

async fn stored_charges(db: &PgPool) -> Result<Vec<ChargeRow>, sqlx::Error> {
    sqlx::query_as!(
        ChargeRow,
        r#"
        SELECT id, stripe_customer_id, payment_intent_id, amount, amount_captured,
               amount_refunded, currency, status, refunded, disputed, balance_transaction_id,
               fee, net, description, billing_email, billing_name, card_brand, card_last4,
               failure_message, created
        FROM stripe_charges ORDER BY id
        "#
    )
    .fetch_all(db)
    .await
}

async fn stored_refunds(db: &PgPool) -> Result<Vec<RefundRow>, sqlx::Error> {
    sqlx::query_as!(
        RefundRow,
        "SELECT id, charge_id, amount, currency, status, reason, created
         FROM stripe_refunds ORDER BY id"
    )
    .fetch_all(db)
    .await
}

async fn stored_disputes(db: &PgPool) -> Result<Vec<DisputeRow>, sqlx::Error> {
    sqlx::query_as!(
        DisputeRow,
        r#"
        SELECT id, charge_id, amount, currency, status, reason, evidence, evidence_due_by,
               has_evidence, submission_count, created
        FROM stripe_disputes ORDER BY id
        "#
    )
    .fetch_all(db)
    .await
}

async fn stored_payouts(db: &PgPool) -> Result<Vec<PayoutRow>, sqlx::Error> {
    sqlx::query_as!(
        PayoutRow,
        r#"
        SELECT id, amount, currency, status, method, automatic, arrival_date, failure_code,
               failure_message, description, created
        FROM stripe_payouts ORDER BY id
        "#
    )
    .fetch_all(db)
    .await
}
