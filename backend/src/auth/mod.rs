//! Accounts: sign-up, sign-in, sessions, password reset, profile changes and deletion.
//!
//! The services here are what server functions call (`app/src/server_fns/`); they take the
//! [`AppState`](crate::AppState), validate their input, and own their transactions.
//!
//! - [`signin`]: sign up, sign in, sign out everywhere.
//! - [`recovery`]: forgot password and reset by emailed token.
//! - [`profile`]: display name, email change (confirmed by mail), password change.
//! - [`verification`]: confirming the account's own address by a mailed link.
//! - [`deletion`]: account deletion, and the billing hook it calls first.
//! - [`session`]: what a signed-in session holds and the checks on every request.
//! - [`session_store`]: where sessions are kept (loading one loads its account in the same
//!   statement; a save never brings back an ended session).
//! - [`password`], [`email`]: the value types and their rules; [`users`], [`tokens`]: the SQL.

pub mod deletion;
pub mod email;
pub mod error;
pub mod password;
pub mod profile;
pub mod recovery;
pub mod session;
pub mod session_store;
pub mod signin;
pub mod tokens;
pub mod users;
pub mod verification;

pub use email::EmailAddress;
pub use error::AuthError;
pub use password::{Password, PasswordHash};
pub use users::{Role, User};

/// The longest display name accepted, in characters.
pub const DISPLAY_NAME_MAX: usize = 80;

/// Trims a display name; empty means none. Refuses overlong names and control characters.
pub fn parse_display_name(raw: &str, field: &'static str) -> Result<Option<String>, AuthError> {
    let name = raw.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > DISPLAY_NAME_MAX {
        return Err(AuthError::invalid(
            field,
            format!("Use at most {DISPLAY_NAME_MAX} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AuthError::invalid(
            field,
            "Use letters, digits and punctuation only.",
        ));
    }
    Ok(Some(name.to_owned()))
}
