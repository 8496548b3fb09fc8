//! Who is signed in: what an authenticated session remembers, and the checks run on every request.
//!
//! Sessions live in Postgres ([`super::session_store`], table `tower_sessions.session`), whose
//! rows name their account: loading the session loads the account with it, in one statement.
//! The idle timeout is the store's expiry, pushed forward by saving the session — not on every
//! request (a write per page view), but when the last save is older than a quarter of the idle
//! timeout, at most a minute ([`current_user`]); the absolute timeout and the account's session
//! epoch ("sign out everywhere") are checked here.

use std::collections::HashMap;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;
use uuid::Uuid;

use super::{
    session_store::{self, LoadedAccount},
    users, AuthError, User,
};

/// The session key holding [`SignedIn`].
const KEY: &str = "auth";

/// What a signed-in session stores.
#[derive(Debug, Serialize, Deserialize)]
struct SignedIn {
    user_id: Uuid,
    /// The account's `session_epoch` when the session signed in.
    epoch: i32,
    /// When the password was checked (unix seconds), for the absolute timeout.
    since: i64,
}

/// The account a session's data says it is signed in to (what its row is stored naming).
pub(super) fn user_id_in(data: &HashMap<String, serde_json::Value>) -> Option<Uuid> {
    let signed_in = SignedIn::deserialize(data.get(KEY)?).ok()?;
    Some(signed_in.user_id)
}

/// Marks the session as signed in to `user`, under a fresh session id (so an id planted before
/// sign-in is worthless afterwards).
pub async fn start(session: &Session, user: &User) -> Result<(), AuthError> {
    session.cycle_id().await.context("cycling the session id")?;
    session
        .insert(
            KEY,
            SignedIn {
                user_id: user.id,
                epoch: user.session_epoch,
                since: OffsetDateTime::now_utc().unix_timestamp(),
            },
        )
        .await
        .context("storing the signed-in session")?;
    // Just saved: the next requests need not save it again to keep it alive.
    mark_kept_alive(session).await
}

/// After a privilege change on this device (new password, new email): a fresh session id, and
/// the account's new epoch so this session survives the change while all others end.
pub async fn renew(session: &Session, user_id: Uuid, epoch: i32) -> Result<(), AuthError> {
    let Some(mut signed_in) = session
        .get::<SignedIn>(KEY)
        .await
        .context("reading the session")?
    else {
        return Err(AuthError::NotSignedIn);
    };
    signed_in.user_id = user_id;
    signed_in.epoch = epoch;
    session.cycle_id().await.context("cycling the session id")?;
    session
        .insert(KEY, signed_in)
        .await
        .context("storing the renewed session")?;
    mark_kept_alive(session).await
}

/// The session key holding when the password was last confirmed after sign-in (unix seconds).
const CONFIRMED: &str = "password_confirmed_at";

/// When the password was last entered on this session: at sign-in, or confirmed since
/// ([`mark_password_confirmed`]). `None` when the session is not signed in.
pub async fn password_entered_at(session: &Session) -> Result<Option<OffsetDateTime>, AuthError> {
    let Some(signed_in) = session
        .get::<SignedIn>(KEY)
        .await
        .context("reading the session")?
    else {
        return Ok(None);
    };
    let confirmed = session
        .get::<i64>(CONFIRMED)
        .await
        .context("reading the session's password confirmation")?
        .unwrap_or(signed_in.since);
    Ok(OffsetDateTime::from_unix_timestamp(confirmed.max(signed_in.since)).ok())
}

/// Records that the password was just entered again on this session.
pub async fn mark_password_confirmed(session: &Session) -> Result<(), AuthError> {
    session
        .insert(CONFIRMED, OffsetDateTime::now_utc().unix_timestamp())
        .await
        .context("storing the password confirmation")?;
    Ok(())
}

/// Signs this device out: the session row is deleted and the cookie cleared.
pub async fn end(session: &Session) -> Result<(), AuthError> {
    // A browser without a session cookie has nothing to end.
    if session.id().is_some() {
        session.flush().await.context("deleting the session")?;
    }
    Ok(())
}

/// A session's signed-in user, and when the session ends at the latest.
#[derive(Clone, Debug)]
pub struct SignedInUser {
    pub user: User,
    /// When the absolute timeout ends the session (it is valid before this instant).
    pub until: OffsetDateTime,
}

/// The signed-in user, if the session has one that is still valid: within the absolute timeout,
/// the account still exists, and its session epoch has not moved on. An invalid session is
/// ended on the spot. The account is the one loaded with the session; only a session whose row
/// was last written before rows named their account looks it up on its own.
pub async fn current_user(
    session: &Session,
    db: &PgPool,
    idle_timeout: Duration,
    absolute_timeout: Duration,
) -> Result<Option<SignedInUser>, AuthError> {
    let Some(signed_in) = session
        .get::<SignedIn>(KEY)
        .await
        .context("reading the session")?
    else {
        return Ok(None);
    };
    // Counted in whole seconds, as `since` is: valid while the age is at most the limit, so
    // until the second after `since + limit` begins.
    let until = OffsetDateTime::from_unix_timestamp(signed_in.since)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .saturating_add(absolute_timeout)
        .saturating_add(Duration::SECOND);
    let user = if OffsetDateTime::now_utc() >= until {
        None
    } else {
        let account = match session_store::account_loaded_with(session)
            .await
            .context("reading the session's account")?
        {
            LoadedAccount::Named(account) => account,
            LoadedAccount::Unnamed => users::find_by_id(db, signed_in.user_id)
                .await
                .context("loading the signed-in user")?,
        };
        account.filter(|user| user.id == signed_in.user_id && user.session_epoch == signed_in.epoch)
    };
    match &user {
        Some(_) => keep_alive(session, idle_timeout).await?,
        None => end(session).await?,
    }
    Ok(user.map(|user| SignedInUser { user, until }))
}

/// The session key holding when the session was last saved to push its idle expiry forward
/// (unix milliseconds).
const KEPT_ALIVE: &str = "kept_alive_ms";

/// Marks the session changed (so the session layer saves it, renewing its idle expiry) when its
/// last renewal is older than a quarter of the idle timeout, at most a minute. A session in use
/// so stays alive, and ends at most that long before the idle timeout after its last request.
async fn keep_alive(session: &Session, idle_timeout: Duration) -> Result<(), AuthError> {
    let now_ms = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    let every_ms = (idle_timeout.whole_milliseconds() / 4).clamp(0, 60_000) as i64;
    let kept: Option<i64> = session
        .get(KEPT_ALIVE)
        .await
        .context("reading the session")?;
    if kept.is_none_or(|kept| now_ms - kept >= every_ms) {
        mark_kept_alive(session).await?;
    }
    Ok(())
}

/// Records that the session is being saved now (which pushes its idle expiry forward).
async fn mark_kept_alive(session: &Session) -> Result<(), AuthError> {
    let now_ms = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    session
        .insert(KEPT_ALIVE, now_ms)
        .await
        .context("renewing the session")?;
    Ok(())
}
