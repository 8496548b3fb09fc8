//! The password asked again before money moves: a refund, a payout or a dispute's submission
//! needs the admin's password entered (at sign-in or confirmed since) within the last 15
//! minutes (`ADMIN_PASSWORD_WINDOW_SECONDS`).

use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

use super::ConsoleError;
use crate::{
    auth::{self, session, AuthError, User},
    billing::{BillingError, Step},
    ratelimit::ClientNetwork,
    AppState,
};

/// Whether this session must enter the password before money moves now: it was last entered
/// longer than `window` ago.
pub async fn needed(session: &Session, window: Duration) -> Result<bool, ConsoleError> {
    let entered = session::password_entered_at(session)
        .await
        .map_err(unexpected)?;
    Ok(entered.is_none_or(|at| OffsetDateTime::now_utc() - at >= window))
}

/// Lets money move: the password was entered within the configured window, or `password` (the form's
/// `password` field) is the admin's, which starts a new window. Otherwise
/// [`ConsoleError::ConfirmPassword`].
pub async fn require(
    state: &AppState,
    session: &Session,
    user: &User,
    network: Option<ClientNetwork>,
    password: Option<SecretString>,
) -> Result<(), ConsoleError> {
    if !needed(session, state.config.admin_password_window).await? {
        return Ok(());
    }
    let Some(password) = password.filter(|p| !p.expose_secret().is_empty()) else {
        return Err(ConsoleError::ConfirmPassword {
            message: "Enter your password: money is about to move, and your password was last entered a while ago.",
        });
    };
    let network = network.ok_or_else(|| {
        unexpected(AuthError::Unexpected(anyhow::anyhow!(
            "a password check on a request the rate limiter did not see"
        )))
    })?;
    let mut tx = state.db.begin().await.step("starting the password check")?;
    match auth::password::check_current(state, &mut tx, user, network, password, "password").await {
        Ok(()) => {}
        Err(AuthError::Invalid { .. }) => {
            return Err(ConsoleError::ConfirmPassword {
                message: "That is not your password.",
            })
        }
        Err(error) => return Err(unexpected(error)),
    }
    drop(tx);
    session::mark_password_confirmed(session)
        .await
        .map_err(unexpected)
}

fn unexpected(error: AuthError) -> ConsoleError {
    BillingError::Unexpected(anyhow::Error::new(error)).into()
}
