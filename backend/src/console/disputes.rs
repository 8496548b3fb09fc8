//! Disputes in the console: every admin is told of a new one by email.

use sqlx::PgConnection;

use crate::{
    auth::EmailAddress,
    billing::{
        money::{format_date, Money},
        notifications, BillingError, Step,
    },
    mail::operators,
    stripe::payments::{Charge, Dispute},
};

/// Queues the "payment disputed" email to every admin, once per dispute and admin; whether any
/// was queued now.
pub async fn notify_admins(
    conn: &mut PgConnection,
    base_url: &url::Url,
    dispute: &Dispute,
    charge: &Charge,
) -> Result<bool, BillingError> {
    let admins = sqlx::query!("SELECT id, email FROM users WHERE role = 'admin' ORDER BY email")
        .fetch_all(&mut *conn)
        .await
        .step("listing the admins")?;
    let amount = Money::new(dispute.amount, &dispute.currency).in_words();
    let due_by = dispute
        .evidence_details
        .due_by
        .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
        .map(format_date);
    let page = base_url
        .join(&format!("/admin/payments/{}", charge.id))
        .unwrap_or_else(|_| base_url.clone());
    let mut queued = false;
    for admin in admins {
        let to = EmailAddress::from_stored(admin.email);
        let mail = operators::dispute_opened(
            &to,
            &amount,
            &dispute.reason.replace('_', " "),
            due_by.as_deref(),
            &page,
        );
        let subject = format!("{}#{}", dispute.id, admin.id);
        queued |= notifications::queue(conn, "dispute_opened", &subject, admin.id, &mail).await?;
    }
    Ok(queued)
}
