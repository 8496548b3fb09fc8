//! Sign up, sign in, sign out everywhere.

use anyhow::Context;
use secrecy::SecretString;
use uuid::Uuid;

use super::{password, tokens, users, AuthError, EmailAddress, Password, User};
use crate::{ratelimit::ClientNetwork, AppState};

/// What the sign-up form sends.
pub struct SignUp {
    pub email: String,
    pub password: SecretString,
    pub display_name: String,
    /// The partner's code the browser remembers from a referral link, if any.
    pub referral: Option<crate::partners::ReferralCode>,
}

/// Creates an account and mails the link that confirms its address. The email must not be in
/// use (case-insensitively).
pub async fn sign_up(state: &AppState, form: SignUp) -> Result<User, AuthError> {
    let email = EmailAddress::parse(&form.email, "email")?;
    let password = Password::parse(form.password, "password")?;
    let display_name = super::parse_display_name(&form.display_name, "display_name")?;
    let hash = password::hash(&state.password_hashing, password).await?;
    let user = users::insert(&state.db, &email, display_name.as_deref(), &hash)
        .await
        .map_err(|e| AuthError::from_db(e, "email", "inserting the new user"))?;
    if let (true, Some(code)) = (state.config.partners_enabled, &form.referral) {
        crate::partners::record_referral(&state.db, user.id, code)
            .await
            .context("recording who referred the account")?;
    }
    super::verification::send_link(state, &user).await?;
    if state.config.first_account_admin {
        if let Some(email) = users::make_first_admin(&state.db)
            .await
            .context("making the first account an admin")?
        {
            tracing::warn!(%email, "the first account is an admin: it opens /admin (FIRST_ACCOUNT_ADMIN, development only)");
            return Ok(users::find_by_id(&state.db, user.id)
                .await
                .context("reading the new admin back")?
                .unwrap_or(user));
        }
    }
    Ok(user)
}

/// Checks an email and password sent from `network`. An unknown email costs the same argon2 work
/// as a wrong password and fails the same way, so neither the answer nor its timing says whether
/// an account exists.
///
/// The server's rate limiter admitted the attempt into the failure ledger before it got here
/// (counted as a failure); a correct password forgives `network`'s failures on the account.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: SecretString,
    network: ClientNetwork,
) -> Result<User, AuthError> {
    let email = EmailAddress::parse(email, "email")?;
    let found = users::find_by_email(&state.db, &email)
        .await
        .context("looking up the account")?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    // Verified before looking at `user`: an unknown email pays for the dummy hash.
    let matches = password::verify(&state.password_hashing, password, hash).await?;
    match user {
        Some(user) if matches => {
            state.auth_rate_limits.failures.passed(&email, network);
            Ok(user)
        }
        _ => Err(AuthError::InvalidCredentials),
    }
}

/// Ends every session of the account, on every device (they are refused from their next request),
/// and revokes every link mailed to it (password reset, email change).
pub async fn sign_out_everywhere(state: &AppState, user_id: Uuid) -> Result<(), AuthError> {
    let mut tx = state.db.begin().await.context("starting a transaction")?;
    users::end_sessions(&mut *tx, user_id)
        .await
        .context("starting a new session epoch")?;
    tokens::revoke_every_purpose(&mut *tx, user_id)
        .await
        .context("revoking the account's tokens")?;
    tx.commit()
        .await
        .context("committing sign out everywhere")?;
    Ok(())
}
