//! Commissions: each paid invoice of a referred account earns its partner a share
//! ([`Terms`]), for a number of months after the account first subscribed, recorded once per
//! invoice in the transaction that stores the paid invoice (so duplicate or out-of-order events
//! cannot record it twice); payable once the hold has passed.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::billing::money::Money;

/// What a partner earns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terms {
    /// The share of each paid invoice, in percent (1–100).
    pub percent: i32,
    /// For how many months after the referred account first subscribed.
    pub months: i32,
    /// How many days a commission is held before it is payable (the refund window).
    pub hold_days: i32,
}

/// Records the commission the stored invoice `invoice` earns, if it is paid, its account was
/// referred and it falls within the months the terms cover; `now` is billing time. Whether one
/// was recorded now (an invoice earns one commission, however often it is stored).
pub async fn record_for_invoice(
    conn: &mut PgConnection,
    invoice: &str,
    terms: Terms,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    Ok(record(conn, Some(invoice), None, terms, now).await? == 1)
}

/// As [`record_for_invoice`], for every stored invoice of `subscription`: an invoice stored
/// before its subscription (events arrive in any order) is measured against the subscription's
/// start once it is stored. How many were recorded now.
pub async fn record_for_subscription(
    conn: &mut PgConnection,
    subscription: &str,
    terms: Terms,
    now: OffsetDateTime,
) -> Result<u64, sqlx::Error> {
    record(conn, None, Some(subscription), terms, now).await
}

async fn record(
    conn: &mut PgConnection,
    invoice: Option<&str>,
    subscription: Option<&str>,
    terms: Terms,
    now: OffsetDateTime,
) -> Result<u64, sqlx::Error> {
    let recorded = sqlx::query!(
        r#"
        INSERT INTO partner_commissions (invoice_id, partner_id, referred_id, currency,
                                         invoice_amount_paid, amount, payable_at)
        SELECT i.id, u.referred_by, u.id, i.currency, i.amount_paid,
               (i.amount_paid * $2 + 50) / 100, $4::timestamptz + make_interval(days => $5)
        FROM invoices i JOIN users u ON u.id = i.account_id
        WHERE ($1::text IS NULL OR i.id = $1) AND ($6::text IS NULL OR i.subscription_id = $6)
          AND i.status = 'paid' AND i.amount_paid > 0
          AND u.referred_by IS NOT NULL
          AND (i.amount_paid * $2 + 50) / 100 > 0
          AND i.created < (SELECT min(s.created) FROM subscriptions s WHERE s.account_id = u.id)
                          + make_interval(months => $3)
        ON CONFLICT (invoice_id) DO NOTHING
        "#,
        invoice,
        i64::from(terms.percent),
        terms.months,
        now,
        terms.hold_days,
        subscription,
    )
    .execute(conn)
    .await?;
    Ok(recorded.rows_affected())
}

/// What a partner has earned, per currency: still held, payable, paid, and taken back by
/// refunds and lost disputes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earned {
    /// Within the hold.
    pub held: Money,
    /// Past it, not transferred yet.
    pub payable: Money,
    /// Transferred to their connected account (or on its way).
    pub paid: Money,
    /// Taken back.
    pub taken_back: Money,
}

/// What `partner` has earned as of `now` (billing time), per currency.
pub async fn earned(
    db: impl PgExecutor<'_>,
    partner: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<Earned>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"
        SELECT currency,
               COALESCE(sum(amount - amount_taken_back)
                   FILTER (WHERE payable_at > $2 AND transfer_id IS NULL), 0)::bigint AS "held!",
               COALESCE(sum(amount - amount_taken_back)
                   FILTER (WHERE payable_at <= $2 AND transfer_id IS NULL), 0)::bigint AS "payable!",
               COALESCE(sum(amount) FILTER (WHERE transfer_id IS NOT NULL), 0)::bigint AS "paid!",
               COALESCE(sum(amount_taken_back), 0)::bigint AS "taken_back!"
        FROM partner_commissions WHERE partner_id = $1
        GROUP BY currency ORDER BY currency
        "#,
        partner,
        now,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|row| Earned {
        held: Money::new(row.held, &row.currency),
        payable: Money::new(row.payable, &row.currency),
        paid: Money::new(row.paid, &row.currency),
        taken_back: Money::new(row.taken_back, &row.currency),
    })
    .collect())
}

/// Where one commission stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommissionState {
    /// Within the hold (the refund window).
    Held,
    /// Past the hold; the next pay run transfers it.
    Payable,
    /// In a transfer Stripe has not confirmed yet.
    Transferring,
    /// Transferred.
    Paid,
    /// Taken back in full (a refund or a lost dispute).
    TakenBack,
}

impl CommissionState {
    /// In words, for the pages.
    pub const fn in_words(self) -> &'static str {
        match self {
            Self::Held => "pending",
            Self::Payable => "payable",
            Self::Transferring => "being transferred",
            Self::Paid => "paid",
            Self::TakenBack => "reversed",
        }
    }
}

/// One commission, as the partner's ledger (and the console's) shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommissionLine {
    /// The partner's email.
    pub email: String,
    /// The invoice that earned it.
    pub invoice_id: String,
    /// What the invoice brought in.
    pub invoice_amount: Money,
    /// The commission.
    pub amount: Money,
    /// What was taken back of it.
    pub taken_back: Money,
    /// Where it stands.
    pub state: CommissionState,
    /// When the hold ends (billing time).
    pub payable_at: OffsetDateTime,
}

/// The newest commissions, one per invoice, of `partner` (or of every partner), as of `now`
/// (billing time).
pub async fn ledger(
    db: impl PgExecutor<'_>,
    partner: Option<Uuid>,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<CommissionLine>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"
        SELECT u.email, c.invoice_id, c.currency, c.invoice_amount_paid, c.amount,
               c.amount_taken_back, c.payable_at, t.status AS "transfer_status?"
        FROM partner_commissions c
        JOIN users u ON u.id = c.partner_id
        LEFT JOIN partner_transfers t ON t.id = c.transfer_id
        WHERE $1::uuid IS NULL OR c.partner_id = $1
        ORDER BY c.created_at DESC, c.invoice_id LIMIT $2
        "#,
        partner,
        limit,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|row| CommissionLine {
        state: if row.amount_taken_back >= row.amount {
            CommissionState::TakenBack
        } else {
            use super::transfers::TransferStatus;
            match row
                .transfer_status
                .as_deref()
                .map(TransferStatus::from_stored)
            {
                Some(TransferStatus::Paid) => CommissionState::Paid,
                Some(_) => CommissionState::Transferring,
                None if row.payable_at <= now => CommissionState::Payable,
                None => CommissionState::Held,
            }
        },
        email: row.email,
        invoice_id: row.invoice_id,
        invoice_amount: Money::new(row.invoice_amount_paid, &row.currency),
        amount: Money::new(row.amount, &row.currency),
        taken_back: Money::new(row.amount_taken_back, &row.currency),
        payable_at: row.payable_at,
    })
    .collect())
}

/// A partner, as the operator console lists them.
#[derive(Clone, Debug)]
pub struct PartnerLine {
    /// Their account's address.
    pub email: String,
    /// Their referral code.
    pub code: String,
    /// Accounts signed up through their link.
    pub signups: i64,
    /// Commissions per currency, held and payable as of now.
    pub earned: Vec<Earned>,
    /// Their connected account and where it stands, in words; `None`: not connected.
    pub account: Option<String>,
}

/// Every partner, newest first, with what they brought and earned as of `now` (billing time).
pub async fn partners(
    db: impl PgExecutor<'_>,
    now: OffsetDateTime,
) -> Result<Vec<PartnerLine>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT u.email, p.code,
               (SELECT count(*) FROM users r WHERE r.referred_by = p.user_id) AS "signups!",
               c.currency AS "currency?",
               COALESCE(sum(c.amount - c.amount_taken_back)
                   FILTER (WHERE c.payable_at > $1 AND c.transfer_id IS NULL), 0)::bigint AS "held!",
               COALESCE(sum(c.amount - c.amount_taken_back)
                   FILTER (WHERE c.payable_at <= $1 AND c.transfer_id IS NULL), 0)::bigint
                   AS "payable!",
               COALESCE(sum(c.amount) FILTER (WHERE c.transfer_id IS NOT NULL), 0)::bigint
                   AS "paid!",
               COALESCE(sum(c.amount_taken_back), 0)::bigint AS "taken_back!",
               a.stripe_account_id AS "account?", a.transfers_active AS "transfers_active?",
               a.requirements_due AS "requirements_due?",
               a.deauthorized_at IS NOT NULL AS "disconnected?"
        FROM partners p
        JOIN users u ON u.id = p.user_id
        LEFT JOIN partner_accounts a ON a.partner_id = p.user_id
        LEFT JOIN partner_commissions c ON c.partner_id = p.user_id
        GROUP BY p.user_id, p.created_at, u.email, p.code, c.currency, a.partner_id
        ORDER BY p.created_at DESC, p.user_id, c.currency
        "#,
        now,
    )
    .fetch_all(db)
    .await?;
    let mut partners: Vec<PartnerLine> = Vec::new();
    for row in rows {
        if partners.last().is_none_or(|last| last.code != row.code) {
            partners.push(PartnerLine {
                email: row.email,
                code: row.code,
                signups: row.signups,
                earned: Vec::new(),
                account: row.account.map(|account| {
                    let standing = match (row.disconnected, row.transfers_active) {
                        (Some(true), _) => "disconnected".to_owned(),
                        (_, Some(true)) => "receives transfers".to_owned(),
                        _ => match row.requirements_due.as_deref() {
                            Some(due) if !due.is_empty() => format!("needs {}", due.join(", ")),
                            _ => "cannot receive transfers yet".to_owned(),
                        },
                    };
                    format!("{account}: {standing}")
                }),
            });
        }
        if let (Some(currency), Some(last)) = (row.currency, partners.last_mut()) {
            last.earned.push(Earned {
                held: Money::new(row.held, &currency),
                payable: Money::new(row.payable, &currency),
                paid: Money::new(row.paid, &currency),
                taken_back: Money::new(row.taken_back, &currency),
            });
        }
    }
    Ok(partners)
}
