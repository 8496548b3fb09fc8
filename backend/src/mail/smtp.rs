//! Sending through an SMTP server (lettre), when `SMTP_URL` is configured.
//!
//! `SMTP_URL` takes lettre's URL form: `smtps://user:password@smtp.example.com` (TLS on 465),
//! `smtp://user:password@smtp.example.com:587?tls=required` (STARTTLS), or
//! `smtp://127.0.0.1:1025` (a local catcher, no TLS).

use lettre::{
    message::{Mailbox, MultiPart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use secrecy::{ExposeSecret, SecretString};

use super::{Mail, MailError, Mailer, SendFuture};

/// Sends mail through one SMTP server, with a connection pool.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    // The transport holds the SMTP password: show only the sender.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    pub fn new(url: &SecretString, from: Mailbox) -> Result<Self, MailError> {
        // A slow server fails a send after 10 s (lettre's default is a minute); callers retry.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        Ok(Self { transport, from })
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a> {
        Box::pin(async move {
            let to: Mailbox = mail
                .to
                .as_str()
                .parse()
                .map_err(|e| lettre::error::Error::Io(std::io::Error::other(e)))?;
            let message = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(&mail.subject)
                .multipart(MultiPart::alternative_plain_html(
                    mail.text.clone(),
                    mail.html.clone(),
                ))?;
            self.transport.send(message).await?;
            Ok(())
        })
    }
}
