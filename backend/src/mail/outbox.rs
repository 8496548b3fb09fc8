//! The development outbox: mail written to the `dev_outbox` table instead of being sent.

use sqlx::PgPool;
use time::OffsetDateTime;

use super::{Mail, Mailer, SendFuture};

/// Writes mail to `dev_outbox`. The default when no `SMTP_URL` is configured.
#[derive(Clone, Debug)]
pub struct OutboxMailer {
    db: PgPool,
}

impl OutboxMailer {
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }
}

impl Mailer for OutboxMailer {
    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a> {
        Box::pin(async move {
            sqlx::query!(
                r#"
                INSERT INTO dev_outbox (to_address, subject, text_body, html_body)
                VALUES ($1, $2, $3, $4)
                "#,
                mail.to.as_str(),
                mail.subject,
                mail.text,
                mail.html,
            )
            .execute(&self.db)
            .await?;
            Ok(())
        })
    }
}

/// A message in the outbox, for `/dev/mailbox`.
#[derive(Clone, Debug)]
pub struct OutboxMessage {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub created_at: OffsetDateTime,
}

/// The newest `limit` messages, newest first.
pub async fn latest(db: &PgPool, limit: i64) -> Result<Vec<OutboxMessage>, sqlx::Error> {
    sqlx::query_as!(
        OutboxMessage,
        r#"
        SELECT id, to_address AS "to", subject, text_body AS text, html_body AS html, created_at
        FROM dev_outbox
        ORDER BY id DESC
        LIMIT $1
        "#,
        limit
    )
    .fetch_all(db)
    .await
}
