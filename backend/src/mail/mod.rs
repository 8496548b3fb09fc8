//! Outgoing mail: the [`Mailer`] trait, its SMTP and development-outbox implementations, and the
//! messages the accounts and billing features send.
//!
//! With `SMTP_URL` set, mail goes out through [`smtp::SmtpMailer`] (lettre). Without it, mail is
//! written to the `dev_outbox` table by [`outbox::OutboxMailer`], and `DEV_MODE=true` shows it
//! at `/dev/mailbox`.

pub mod billing;
pub mod messages;
pub mod operators;
pub mod organizations;
pub mod outbox;
pub mod smtp;

use std::{fmt, future::Future, pin::Pin, sync::Arc};

use sqlx::PgPool;

use crate::{auth::EmailAddress, Config};

/// One message, with a plain-text and an HTML body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub to: EmailAddress,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sending mail failed.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message could not be built (a bad address). A bug, 500.
    #[error("could not build the message")]
    Build(#[from] lettre::error::Error),
    /// The SMTP server refused or could not be reached. 500; the user may try again.
    #[error("the SMTP server did not accept the message")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// Writing to the development outbox failed. 500.
    #[error("could not write to the development outbox")]
    Outbox(#[from] sqlx::Error),
}

/// The future [`Mailer::send`] returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// Something that delivers mail.
pub trait Mailer: Send + Sync + fmt::Debug {
    /// Delivers `mail` (or fails; nothing is retried here).
    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a>;
}

/// The mailer the configuration asks for: SMTP when `SMTP_URL` is set, else the outbox.
pub fn from_config(config: &Config, db: &PgPool) -> Result<Arc<dyn Mailer>, MailError> {
    Ok(match &config.smtp_url {
        Some(url) => Arc::new(smtp::SmtpMailer::new(url, config.mail_from.clone())?),
        None => Arc::new(outbox::OutboxMailer::new(db.clone())),
    })
}

/// Sends `mail` in the background, so how long the mail server takes never shows in the response
/// time (which would tell an attacker whether an account exists). Failures are logged.
pub fn send_in_background(mailer: Arc<dyn Mailer>, mail: Mail) {
    tokio::spawn(async move {
        if let Err(error) = mailer.send(&mail).await {
            tracing::error!(
                error.cause_chain = ?anyhow::Error::new(error),
                subject = %mail.subject,
                "sending mail failed"
            );
        }
    });
}
