//! From the console's backend types to its pages' view structs (server only): amounts, dates
//! and statuses in words, links built, the refund form's state decided.
//!
//! - here: the overview, payments, payouts, disputes and the audit log;
//! - [`records`]: balance transactions and webhook events; [`customers`]: customers.

pub mod customers;
pub mod records;

use backend::{
    billing::money::{format_date, Money},
    console::{
        audit::{Entry, Outcome},
        disputes::{self, DisputeRow},
        overview::Overview,
        payments::{ChargeDetail, ChargeRow},
        payouts::{self, PayoutRow},
        refunds::Reason,
    },
};

use crate::console_views::{
    AuditLine, AuditView, BalanceLine, DisputeLine, DisputeView, DisputesView, OpenDisputeLine,
    OverviewView, PaymentLine, PaymentView, PaymentsView, PayoutFormView, PayoutLine, PayoutsView,
    RefundFormView, RefundLine, RevenueChart,
};

/// `/admin`.
pub fn overview(
    overview: &Overview,
    drifts: &[backend::organizations::seats::Drift],
) -> OverviewView {
    let counts = &overview.counts;
    let trial_conversion = match overview.trials_ended {
        0 => "No trial has ended yet".to_owned(),
        ended => format!(
            "{} of {ended} ({} %)",
            overview.trials_converted,
            overview.trials_converted * 100 / ended
        ),
    };
    OverviewView {
        balance: overview
            .balance
            .iter()
            .map(|(available, pending)| BalanceLine {
                available: available.in_words(),
                pending: pending.in_words(),
            })
            .collect(),
        mrr: overview.mrr.iter().map(Money::in_words).collect(),
        arr: overview
            .mrr
            .iter()
            .map(|mrr| Money::new(mrr.minor * 12, &mrr.currency).in_words())
            .collect(),
        counts: vec![
            ("Active".to_owned(), counts.active),
            ("Trialing".to_owned(), counts.trialing),
            ("Past due".to_owned(), counts.past_due),
            ("Paused".to_owned(), counts.paused),
            ("New this month".to_owned(), overview.new_this_month),
            ("Churned this month".to_owned(), overview.churned_this_month),
            (
                "Failed payments recovered this month".to_owned(),
                overview.recovered_payments,
            ),
        ],
        trial_conversion,
        revenue: revenue(&overview.revenue),
        open_disputes: overview
            .open_disputes
            .iter()
            .map(|dispute| OpenDisputeLine {
                href: format!("/admin/payments/{}", dispute.charge_id),
                amount: dispute.amount.in_words(),
                status: dispute
                    .status
                    .map_or_else(|| "unknown".to_owned(), |status| status.in_words()),
                due: dispute.due_by.map_or_else(
                    || "No deadline".to_owned(),
                    |due| format!("Evidence due {}", format_date(due)),
                ),
            })
            .collect(),
        failed_events: overview.failed_events,
        seat_drifts: drifts
            .iter()
            .map(|drift| {
                format!(
                    "{}: {} seats billed for {} members, found {}; {}",
                    drift.organization,
                    drift.seats_billed,
                    drift.members,
                    backend::billing::money::format_date(drift.found_at),
                    match (&drift.fixed_at, &drift.error) {
                        (Some(_), _) => "fixed".to_owned(),
                        (None, Some(error)) => format!("not fixed yet ({error})"),
                        (None, None) => "being fixed".to_owned(),
                    }
                )
            })
            .collect(),
        usage_reporting: String::new(),
        usage_discrepancies: Vec::new(),
    }
}

fn revenue(days: &[(time::Date, Money)]) -> RevenueChart {
    let currency = days
        .first()
        .map_or_else(|| "usd".to_owned(), |(_, money)| money.currency.clone());
    let peak = days.iter().map(|(_, money)| money.minor).max().unwrap_or(0);
    let total = days.iter().map(|(_, money)| money.minor).sum();
    let day = |date: time::Date| format_date(date.midnight().assume_utc());
    RevenueChart {
        total: Money::new(total, &currency).in_words(),
        peak: Money::new(peak, &currency).in_words(),
        from: days.first().map(|(date, _)| day(*date)).unwrap_or_default(),
        to: days.last().map(|(date, _)| day(*date)).unwrap_or_default(),
        bars: days
            .iter()
            .map(|(date, money)| {
                let height = if peak > 0 {
                    (money.minor.max(0) as f64) * 100.0 / peak as f64
                } else {
                    0.0
                };
                (format!("{}: {}", day(*date), money.in_words()), height)
            })
            .collect(),
    }
}

/// `/admin/payments`.
pub fn payments(rows: &[ChargeRow], search: &str) -> PaymentsView {
    let next = (rows.len() as i64 == backend::console::payments::PAGE).then(|| {
        let last = rows.last().map(|row| row.id.as_str()).unwrap_or_default();
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !search.is_empty() {
            query.append_pair("q", search);
        }
        query.append_pair("after", last);
        format!("/admin/payments?{}", query.finish())
    });
    PaymentsView {
        rows: rows.iter().map(line).collect(),
        next,
        search: search.to_owned(),
    }
}

pub(super) fn line(row: &ChargeRow) -> PaymentLine {
    let dash = || "—".to_owned();
    PaymentLine {
        href: format!("/admin/payments/{}", row.id),
        id: row.id.clone(),
        date: format_date(row.created),
        customer: row
            .user_email
            .clone()
            .or_else(|| row.billing_email.clone())
            .unwrap_or_else(|| "No customer".to_owned()),
        amount: row.amount.in_words(),
        fee: row.fee.as_ref().map_or_else(dash, Money::in_words),
        net: row.net.as_ref().map_or_else(dash, Money::in_words),
        status: row
            .status
            .map_or_else(|| "unknown".to_owned(), |status| status.in_words()),
        refunded: if row.refunded.minor > 0 {
            row.refunded.in_words()
        } else {
            String::new()
        },
        disputed: row.disputed,
    }
}

/// `/admin/payments/ch_…`; `needs_password`: money may not move without the password now.
pub fn payment(detail: &ChargeDetail, needs_password: bool) -> PaymentView {
    let left = detail.refundable();
    let (refund, not_refundable) = if detail.dispute_open() {
        (
            None,
            Some("It is disputed: it cannot be refunded while the dispute is open.".to_owned()),
        )
    } else if left.minor == 0 {
        (None, Some("Nothing is left to refund.".to_owned()))
    } else {
        (
            Some(RefundFormView {
                left: left.in_words(),
                left_decimal: left.as_decimal(),
                currency: left.currency.to_ascii_uppercase(),
                form_id: uuid::Uuid::new_v4().to_string(),
                needs_password,
                reasons: Reason::ALL
                    .into_iter()
                    .map(|reason| (reason.as_str().to_owned(), reason.in_words().to_owned()))
                    .collect(),
            }),
            None,
        )
    };
    PaymentView {
        line: line(&detail.charge),
        card: detail.charge.card.clone(),
        description: detail.charge.description.clone(),
        payment_intent: detail.payment_intent_id.clone(),
        stripe_customer: detail.charge.stripe_customer_id.clone(),
        balance_transaction: detail.balance_transaction.as_ref().map(|txn| {
            format!(
                "{}: {} gross, {} fee, {} net, {} on {}",
                txn.id,
                txn.amount,
                txn.fee,
                txn.net,
                if txn.available {
                    "available since"
                } else {
                    "available"
                },
                format_date(txn.available_on)
            )
        }),
        refunds: detail
            .refunds
            .iter()
            .map(|refund| RefundLine {
                amount: refund.amount.in_words(),
                status: refund
                    .status
                    .map_or_else(|| "unknown".to_owned(), |status| status.in_words()),
                reason: refund
                    .reason
                    .as_deref()
                    .map_or_else(String::new, |reason| reason.replace('_', " ")),
                date: format_date(refund.created),
            })
            .collect(),
        dispute: detail.dispute.as_ref().map(|dispute| {
            format!(
                "{}, {}, {}{}",
                dispute.amount,
                dispute
                    .status
                    .map_or_else(|| "unknown".to_owned(), |status| status.in_words()),
                dispute.reason.replace('_', " "),
                dispute.due_by.map_or_else(String::new, |due| format!(
                    "; evidence due {}",
                    format_date(due)
                ))
            )
        }),
        refund,
        not_refundable,
    }
}

/// `/admin/audit`.
pub fn audit(rows: &[Entry]) -> AuditView {
    AuditView {
        next: (rows.len() as i64 == backend::console::audit::PAGE).then(|| {
            format!(
                "/admin/audit?before={}",
                rows.last().map_or(0, |row| row.id)
            )
        }),
        rows: rows
            .iter()
            .map(|row| AuditLine {
                at: records::moment(row.at),
                admin: row.admin_email.clone(),
                action: row
                    .action
                    .map_or("Unknown action", |action| action.in_words())
                    .to_owned(),
                object: row.object_id.clone(),
                amount: row
                    .amount
                    .as_ref()
                    .map_or_else(String::new, Money::in_words),
                outcome: match row.outcome {
                    Outcome::Succeeded => "succeeded",
                    Outcome::Refused => "refused",
                    Outcome::Failed => "failed",
                }
                .to_owned(),
                detail: row.detail.clone().unwrap_or_default(),
                request_id: row.stripe_request_id.clone().unwrap_or_default(),
                idempotency_key: row.idempotency_key.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

/// `/admin/payouts`.
pub fn payouts(
    balance: &[payouts::BalanceLine],
    rows: &[PayoutRow],
    needs_password: bool,
) -> PayoutsView {
    PayoutsView {
        balance: balance
            .iter()
            .map(|line| BalanceLine {
                available: line.available.in_words(),
                pending: line.pending.in_words(),
            })
            .collect(),
        forms: balance
            .iter()
            .filter(|line| line.available.minor > 0)
            .map(|line| PayoutFormView {
                currency: line.available.currency.clone(),
                available: line.available.in_words(),
                available_decimal: line.available.as_decimal(),
                form_id: uuid::Uuid::new_v4().to_string(),
                needs_password,
            })
            .collect(),
        next: (rows.len() as i64 == payouts::PAGE).then(|| {
            format!(
                "/admin/payouts?after={}",
                rows.last().map_or("", |row| row.id.as_str())
            )
        }),
        rows: rows
            .iter()
            .map(|row| PayoutLine {
                id: row.id.clone(),
                created: format_date(row.created),
                amount: row.amount.in_words(),
                status: row
                    .status
                    .map_or_else(|| "unknown".to_owned(), |status| status.in_words()),
                arrival: format_date(row.arrival_date),
                failure: row.failure.clone().unwrap_or_default(),
                kind: if row.manual { "Manual" } else { "Automatic" }.to_owned(),
            })
            .collect(),
    }
}

/// `/admin/disputes`.
pub fn disputes(rows: &[DisputeRow]) -> DisputesView {
    DisputesView {
        next: (rows.len() as i64 == disputes::PAGE).then(|| {
            format!(
                "/admin/disputes?after={}",
                rows.last().map_or("", |row| row.id.as_str())
            )
        }),
        rows: rows.iter().map(dispute_line).collect(),
    }
}

fn dispute_line(row: &DisputeRow) -> DisputeLine {
    DisputeLine {
        href: format!("/admin/disputes/{}", row.id),
        opened: format_date(row.created),
        amount: row.amount.in_words(),
        status: row
            .status
            .map_or_else(|| "unknown".to_owned(), |status| status.in_words()),
        reason: row.reason.replace('_', " "),
        due: row.due_by.map_or_else(|| "—".to_owned(), format_date),
        payment_href: format!("/admin/payments/{}", row.charge_id),
    }
}

/// `/admin/disputes/du_…`; `needs_password`: submitting needs the password now.
pub fn dispute(row: &DisputeRow, needs_password: bool) -> DisputeView {
    let saved = |field: &str| {
        row.evidence
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value.clone())
    };
    DisputeView {
        id: row.id.clone(),
        line: dispute_line(row),
        submissions: row.submission_count,
        open: row.status.is_some_and(|status| status.needs_response()),
        text: disputes::TEXT_FIELDS
            .iter()
            .map(|(field, label)| {
                (
                    (*field).to_owned(),
                    (*label).to_owned(),
                    saved(field).unwrap_or_default(),
                )
            })
            .collect(),
        files: disputes::FILE_FIELDS
            .iter()
            .map(|(field, label)| ((*field).to_owned(), (*label).to_owned(), saved(field)))
            .collect(),
        form_id: uuid::Uuid::new_v4().to_string(),
        needs_password,
    }
}
