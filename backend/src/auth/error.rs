//! The accounts layer's error enum. Each variant's doc says the HTTP status it stands for; the
//! app layer turns them into form errors and never shows the text of an `Unexpected` one.

use std::borrow::Cow;

/// Everything an account operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// 422: a form field is missing or malformed; shown next to that field.
    #[error("{field}: {message}")]
    Invalid {
        /// The form field (input `name`) the message belongs to.
        field: &'static str,
        /// What to fix, in a sentence.
        message: Cow<'static, str>,
    },
    /// 409: another account already uses this email (constraint `users_email_key`).
    #[error("an account with this email already exists")]
    EmailTaken {
        /// The form field the email was entered in.
        field: &'static str,
    },
    /// 401: the email and password do not match an account. Deliberately vague, and returned in
    /// the same time whether or not the account exists.
    #[error("email or password is incorrect")]
    InvalidCredentials,
    /// 400: a reset or confirmation link is unknown, used, or expired.
    #[error("this link is invalid or has expired")]
    InvalidToken,
    /// 401: the request needs a signed-in user and has none.
    #[error("not signed in")]
    NotSignedIn,
    /// 500: anything else (database, hashing, mail). Logged with its cause chain, never shown.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl AuthError {
    /// A field error.
    pub fn invalid(field: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The field error for a wrong current password (password change, email change, deletion).
    pub(crate) fn wrong_current_password(field: &'static str) -> Self {
        Self::invalid(field, "That is not your current password.")
    }

    /// Maps a database error by constraint name: `users_email_key` becomes [`AuthError::EmailTaken`]
    /// (against `email_field`); anything else is unexpected, with `context` saying what failed.
    pub(crate) fn from_db(
        error: sqlx::Error,
        email_field: &'static str,
        context: &'static str,
    ) -> Self {
        if let Some(db) = error.as_database_error() {
            if db.constraint() == Some("users_email_key") {
                return Self::EmailTaken { field: email_field };
            }
        }
        Self::Unexpected(anyhow::Error::new(error).context(context))
    }
}
