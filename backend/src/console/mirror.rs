//! The money after the sale as Stripe last described it: one upsert per object kind, each taking
//! the caller's connection (the caller holds the object's lock and decides, by its fetch
//! [`Ticket`](crate::billing::Ticket), whether what it fetched may be stored).

use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::stripe::payments::{Balance, BalanceTransaction, Charge, Dispute, Payout, Refund};

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Stores a charge (and its balance transaction, when it came expanded).
pub async fn store_charge(conn: &mut PgConnection, charge: &Charge) -> Result<(), sqlx::Error> {
    let (fee, net) = charge.fee_and_net().unzip();
    let card = charge
        .payment_method_details
        .as_ref()
        .and_then(|details| details.card.as_ref());
    sqlx::query!(
        r#"
        INSERT INTO stripe_charges (id, stripe_customer_id, payment_intent_id, amount,
            amount_captured, amount_refunded, currency, status, refunded, disputed,
            balance_transaction_id, fee, net, description, billing_email, billing_name,
            card_brand, card_last4, failure_message, created)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                $19, $20)
        ON CONFLICT (id) DO UPDATE SET
            stripe_customer_id = EXCLUDED.stripe_customer_id,
            payment_intent_id = EXCLUDED.payment_intent_id,
            amount = EXCLUDED.amount,
            amount_captured = EXCLUDED.amount_captured,
            amount_refunded = EXCLUDED.amount_refunded,
            status = EXCLUDED.status,
            refunded = EXCLUDED.refunded,
            disputed = EXCLUDED.disputed,
            balance_transaction_id = EXCLUDED.balance_transaction_id,
            fee = COALESCE(EXCLUDED.fee, stripe_charges.fee),
            net = COALESCE(EXCLUDED.net, stripe_charges.net),
            description = EXCLUDED.description,
            billing_email = EXCLUDED.billing_email,
            billing_name = EXCLUDED.billing_name,
            card_brand = EXCLUDED.card_brand,
            card_last4 = EXCLUDED.card_last4,
            failure_message = EXCLUDED.failure_message,
            synced_at = now()
        "#,
        charge.id,
        charge.customer,
        charge.payment_intent,
        charge.amount,
        charge.amount_captured,
        charge.amount_refunded,
        charge.currency,
        charge.status.as_str(),
        charge.refunded,
        charge.disputed,
        charge.balance_transaction.as_ref().map(|txn| txn.id()),
        fee,
        net,
        charge.description,
        charge.billing_details.email,
        charge.billing_details.name,
        card.and_then(|card| card.brand.clone()),
        card.and_then(|card| card.last4.clone()),
        charge.failure_message,
        at(charge.created),
    )
    .execute(&mut *conn)
    .await?;
    if let Some(transaction) = charge
        .balance_transaction
        .as_ref()
        .and_then(|txn| txn.object())
    {
        store_balance_transaction(conn, transaction).await?;
    }
    Ok(())
}

/// Stores a refund of `charge`.
pub async fn store_refund(
    conn: &mut PgConnection,
    charge: &str,
    refund: &Refund,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        INSERT INTO stripe_refunds (id, charge_id, amount, currency, status, reason, created)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (id) DO UPDATE SET
            amount = EXCLUDED.amount, status = EXCLUDED.status, reason = EXCLUDED.reason,
            synced_at = now()
        "#,
        refund.id,
        charge,
        refund.amount,
        refund.currency,
        refund.status.as_str(),
        refund.reason,
        at(refund.created),
    )
    .execute(&mut *conn)
    .await?;
    if let Some(transaction) = refund
        .balance_transaction
        .as_ref()
        .and_then(|txn| txn.object())
    {
        store_balance_transaction(conn, transaction).await?;
    }
    Ok(())
}

/// Stores a dispute, with the text fields of its evidence.
pub async fn store_dispute(conn: &mut PgConnection, dispute: &Dispute) -> Result<(), sqlx::Error> {
    let evidence: serde_json::Map<String, serde_json::Value> = dispute
        .evidence
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    sqlx::query!(
        r#"
        INSERT INTO stripe_disputes (id, charge_id, amount, currency, status, reason, evidence,
            evidence_due_by, has_evidence, submission_count, created)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (id) DO UPDATE SET
            amount = EXCLUDED.amount, status = EXCLUDED.status, reason = EXCLUDED.reason,
            evidence = EXCLUDED.evidence, evidence_due_by = EXCLUDED.evidence_due_by,
            has_evidence = EXCLUDED.has_evidence, submission_count = EXCLUDED.submission_count,
            synced_at = now()
        "#,
        dispute.id,
        dispute.charge,
        dispute.amount,
        dispute.currency,
        dispute.status.as_str(),
        dispute.reason,
        serde_json::Value::Object(evidence),
        dispute.evidence_details.due_by.map(at),
        dispute.evidence_details.has_evidence,
        i32::try_from(dispute.evidence_details.submission_count).unwrap_or(i32::MAX),
        at(dispute.created),
    )
    .execute(&mut *conn)
    .await?;
    for transaction in &dispute.balance_transactions {
        store_balance_transaction(conn, transaction).await?;
    }
    Ok(())
}

/// Stores a payout.
pub async fn store_payout(conn: &mut PgConnection, payout: &Payout) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        INSERT INTO stripe_payouts (id, amount, currency, status, method, automatic,
            arrival_date, failure_code, failure_message, description, created)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (id) DO UPDATE SET
            status = EXCLUDED.status, arrival_date = EXCLUDED.arrival_date,
            failure_code = EXCLUDED.failure_code, failure_message = EXCLUDED.failure_message,
            description = EXCLUDED.description, synced_at = now()
        "#,
        payout.id,
        payout.amount,
        payout.currency,
        payout.status.as_str(),
        payout.method,
        payout.automatic,
        at(payout.arrival_date),
        payout.failure_code,
        payout.failure_message,
        payout.description,
        at(payout.created),
    )
    .execute(&mut *conn)
    .await?;
    if let Some(transaction) = payout
        .balance_transaction
        .as_ref()
        .and_then(|txn| txn.object())
    {
        store_balance_transaction(conn, transaction).await?;
    }
    Ok(())
}

/// Stores a balance transaction.
pub async fn store_balance_transaction(
    conn: &mut PgConnection,
    transaction: &BalanceTransaction,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        INSERT INTO stripe_balance_transactions (id, kind, reporting_category, amount, fee, net,
            currency, status, available_on, source_id, description, created)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (id) DO UPDATE SET
            status = EXCLUDED.status, available_on = EXCLUDED.available_on,
            description = EXCLUDED.description, synced_at = now()
        "#,
        transaction.id,
        transaction.kind,
        transaction.reporting_category,
        transaction.amount,
        transaction.fee,
        transaction.net,
        transaction.currency,
        transaction.status.as_str(),
        at(transaction.available_on),
        transaction.source,
        transaction.description,
        at(transaction.created),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the stored balance with `balance` (a currency Stripe no longer lists is dropped).
pub async fn store_balance(conn: &mut PgConnection, balance: &Balance) -> Result<(), sqlx::Error> {
    let mut currencies: Vec<&str> = balance
        .available
        .iter()
        .chain(&balance.pending)
        .map(|amount| amount.currency.as_str())
        .collect();
    currencies.sort_unstable();
    currencies.dedup();
    let sum = |amounts: &[crate::stripe::payments::BalanceAmount], currency: &str| -> i64 {
        amounts
            .iter()
            .filter(|amount| amount.currency == currency)
            .map(|amount| amount.amount)
            .sum()
    };
    let available: Vec<i64> = currencies
        .iter()
        .map(|currency| sum(&balance.available, currency))
        .collect();
    let pending: Vec<i64> = currencies
        .iter()
        .map(|currency| sum(&balance.pending, currency))
        .collect();
    let currencies: Vec<String> = currencies.into_iter().map(str::to_owned).collect();
    sqlx::query!(
        "DELETE FROM stripe_balance WHERE NOT (currency = ANY($1))",
        &currencies
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO stripe_balance (currency, available, pending)
        SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[])
        ON CONFLICT (currency) DO UPDATE SET
            available = EXCLUDED.available, pending = EXCLUDED.pending, synced_at = now()
        "#,
        &currencies,
        &available,
        &pending,
    )
    .execute(conn)
    .await?;
    Ok(())
}
