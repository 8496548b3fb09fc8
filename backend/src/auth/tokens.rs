//! Single-use, expiring tokens sent by email (password reset, email change).
//!
//! The token is 32 random bytes, base64url-encoded into the link; only its SHA-256 is stored.
//! Redeeming marks it used in the same `UPDATE` that checks it, so it works at most once even
//! when two requests race.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::EmailAddress;

/// What a token may be used for (`auth_tokens.purpose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailChange,
    /// Confirms the account's own address (mailed at sign-up, or again on request).
    EmailVerification,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailChange => "email_change",
            Self::EmailVerification => "email_verification",
        }
    }
}

/// A redeemed token: whose it was, and the address it confirms (email change, verification).
#[derive(Debug)]
pub(crate) struct Redeemed {
    pub user_id: Uuid,
    pub new_email: Option<EmailAddress>,
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Creates a token, valid for an hour, and returns its plain text (for the link; it is not
/// stored). The expiry is computed by the database, whose clock `redeem` compares against.
pub(crate) async fn issue(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    purpose: Purpose,
    new_email: Option<&EmailAddress>,
) -> Result<String, sqlx::Error> {
    let bytes: [u8; 32] = rand::random();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    sqlx::query!(
        r#"
        INSERT INTO auth_tokens (token_hash, user_id, purpose, new_email, expires_at)
        VALUES ($1, $2, $3, $4, now() + interval '1 hour')
        "#,
        digest(&token),
        user_id,
        purpose.as_str(),
        new_email.map(EmailAddress::as_str),
    )
    .execute(db)
    .await?;
    Ok(token)
}

/// Marks the token used and returns whose it was, if it exists for `purpose`, is unused and has
/// not expired.
pub(crate) async fn redeem(
    db: impl PgExecutor<'_>,
    token: &str,
    purpose: Purpose,
) -> Result<Option<Redeemed>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        UPDATE auth_tokens SET used_at = now()
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id, new_email
        "#,
        digest(token),
        purpose.as_str(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| Redeemed {
        user_id: row.user_id,
        new_email: row.new_email.map(EmailAddress::from_stored),
    }))
}

/// Invalidates every outstanding token of `purpose` for the account.
pub(crate) async fn revoke_all(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    purpose: Purpose,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE auth_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL"#,
        user_id,
        purpose.as_str(),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Invalidates every outstanding token of the account, whatever its purpose: after a password
/// change or reset, or "sign out everywhere", no link mailed earlier may still act on the account.
pub(crate) async fn revoke_every_purpose(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE auth_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL"#,
        user_id,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes tokens that expired more than a day ago (the periodic housekeeping calls this).
/// Returns how many were deleted.
pub async fn delete_expired(db: impl PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    let deleted =
        sqlx::query!(r#"DELETE FROM auth_tokens WHERE expires_at < now() - interval '1 day'"#)
            .execute(db)
            .await?;
    Ok(deleted.rows_affected())
}
