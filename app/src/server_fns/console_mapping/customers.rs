//! The customer pages' mapping.

use backend::{
    billing::money::format_date,
    console::customers::{CustomerDetail, CustomerRow, PAGE},
};

use super::{line, records::event_lines};
use crate::console_views::customers::{
    CustomerLine, CustomerSubscription, CustomerView, CustomersView,
};

fn customer_line(row: &CustomerRow) -> CustomerLine {
    CustomerLine {
        href: format!("/admin/customers/{}", row.stripe_customer_id),
        email: row.email.clone(),
        name: row.name.clone().unwrap_or_default(),
        stripe_id: row.stripe_customer_id.clone(),
        subscriptions: match row.live_subscriptions {
            0 => "No live subscription".to_owned(),
            1 => "1 live subscription".to_owned(),
            count => format!("{count} live subscriptions"),
        },
        signed_up: format_date(row.signed_up),
    }
}

/// `/admin/customers`.
pub fn customers(rows: &[CustomerRow], search: &str) -> CustomersView {
    let next = (rows.len() as i64 == PAGE).then(|| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !search.is_empty() {
            query.append_pair("q", search);
        }
        query.append_pair(
            "after",
            rows.last()
                .map_or("", |row| row.stripe_customer_id.as_str()),
        );
        format!("/admin/customers?{}", query.finish())
    });
    CustomersView {
        rows: rows.iter().map(customer_line).collect(),
        search: search.to_owned(),
        next,
    }
}

/// `/admin/customers/cus_…`.
pub fn customer(detail: &CustomerDetail) -> CustomerView {
    CustomerView {
        line: customer_line(&detail.customer),
        subscriptions: detail
            .subscriptions
            .iter()
            .map(|subscription| {
                let live = subscription.status.holds_plan();
                let ends = subscription.cancel_at_period_end && live;
                CustomerSubscription {
                    id: subscription.id.clone(),
                    plan: subscription.plan.clone(),
                    status: match (ends, subscription.period_end) {
                        (true, Some(end)) => format!(
                            "{}, ends {}",
                            subscription.status.in_words(),
                            format_date(end)
                        ),
                        _ => subscription.status.in_words(),
                    },
                    period: match (live && !ends, subscription.period_end) {
                        (true, Some(end)) => format!("Renews {}", format_date(end)),
                        _ => String::new(),
                    },
                    can_cancel_now: live,
                    can_cancel_at_period_end: live && !ends && subscription.status.is_live(),
                }
            })
            .collect(),
        invoices: detail
            .invoices
            .iter()
            .map(|invoice| {
                (
                    invoice.number.clone().unwrap_or_else(|| invoice.id.clone()),
                    invoice.status.clone(),
                    invoice.total.in_words(),
                    format_date(invoice.created),
                )
            })
            .collect(),
        payments: detail.charges.iter().map(line).collect(),
        cards: detail.cards.clone(),
        timeline: event_lines(&detail.timeline),
        form_id: uuid::Uuid::new_v4().to_string(),
        usage: Vec::new(),
    }
}
