//! The Postgres pool, the migrations embedded from `migrations/`, health probes, and listening
//! for notifications.

use std::{future::Future, ops::ControlFlow, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use sqlx::{
    postgres::{PgListener, PgPoolOptions},
    Connection, PgPool,
};

use crate::{Config, Error};

/// The SQL migrations in `/migrations`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// How long a pooled connection may sit unused before it is checked (a round trip) on its way
/// out of the pool.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(1);

/// Builds the connection pool. Connections are opened lazily, so start-up does not wait on
/// the database; [`ping`] is what tells whether it is reachable.
///
/// A connection that sat idle for over [`CHECK_IDLE_AFTER`] is pinged before it is handed out
/// (one that fails is closed and another taken), so a database restarted while the app was
/// quiet costs no request an error. A connection in steady use goes out unchecked: sqlx's
/// default pings before every acquire, which doubled the round trips of every statement; a
/// connection that breaks mid-use fails its statement, which every caller already treats as
/// the database failing (a 503, or a webhook retried).
pub fn pool(config: &Config) -> Result<PgPool, Error> {
    Ok(PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .test_before_acquire(false)
        .before_acquire(|connection, metadata| {
            Box::pin(async move {
                if metadata.idle_for > CHECK_IDLE_AFTER {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_lazy(config.database_url.expose_secret())?)
}

/// Whether `error` or anything in its chain is the pool having had no connection free in time:
/// the app is overloaded rather than broken, and the user is asked to try again shortly.
pub fn is_overload(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |error| error.source()).any(|error| {
        matches!(
            error.downcast_ref::<sqlx::Error>(),
            Some(sqlx::Error::PoolTimedOut)
        )
    })
}

/// Applies every pending migration.
pub async fn migrate(pool: &PgPool) -> Result<(), Error> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Checks that the database answers a trivial query.
pub async fn ping(pool: &PgPool) -> Result<(), Error> {
    sqlx::query_scalar!(r#"SELECT 1 AS "one!""#)
        .fetch_one(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_timeout_is_an_overload_however_deeply_it_is_wrapped() {
        assert!(is_overload(&sqlx::Error::PoolTimedOut));
        let wrapped = anyhow::Error::new(sqlx::Error::PoolTimedOut).context("loading the session");
        assert!(is_overload(wrapped.as_ref()));
        let billing = crate::billing::Step::step(sqlx::Error::PoolTimedOut, "reading the catalog");
        assert!(is_overload(&billing));
    }

    #[test]
    fn other_database_errors_are_not_overloads() {
        assert!(!is_overload(&sqlx::Error::RowNotFound));
        assert!(!is_overload(&sqlx::Error::PoolClosed));
        let wrapped = anyhow::anyhow!("something else").context("loading the session");
        assert!(!is_overload(wrapped.as_ref()));
    }
}

/// What a [`listen`]er hears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard<'a> {
    /// Listening (again): anything may have been announced before it was.
    Listening,
    /// A notification: its channel and payload.
    Notification { channel: &'a str, payload: &'a str },
    /// Not listening: the connection failed or was lost (it is tried again a second later).
    NotListening,
}

/// Hands what is announced on `channels` to `heard`, on a connection of its own (held for good,
/// not one of the pool's), until `heard` breaks or `stop` completes; reconnects a second after
/// losing the database.
pub async fn listen(
    database_url: SecretString,
    channels: &[&str],
    mut heard: impl FnMut(Heard<'_>) -> ControlFlow<()>,
    stop: impl Future<Output = ()>,
) {
    let listening = async {
        loop {
            match PgListener::connect(database_url.expose_secret()).await {
                Ok(mut listener) => match listener.listen_all(channels.iter().copied()).await {
                    Ok(()) => {
                        if heard(Heard::Listening).is_break() {
                            return;
                        }
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(notification)) => {
                                    let heard = heard(Heard::Notification {
                                        channel: notification.channel(),
                                        payload: notification.payload(),
                                    });
                                    if heard.is_break() {
                                        return;
                                    }
                                }
                                Ok(None) => {
                                    tracing::warn!(?channels, "a listener lost its connection");
                                    break;
                                }
                                Err(error) => {
                                    tracing::warn!(?channels, %error, "a listener lost its connection");
                                    break;
                                }
                            }
                        }
                    }
                    Err(error) => tracing::warn!(?channels, %error, "could not LISTEN"),
                },
                Err(error) => tracing::warn!(?channels, %error, "could not connect a listener"),
            }
            if heard(Heard::NotListening).is_break() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    tokio::select! {
        () = listening => {}
        () = stop => {}
    }
}
