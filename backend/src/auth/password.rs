//! Passwords: the length rule, argon2id hashing on a blocking thread (a bounded number at once),
//! and the hash's newtype.

use std::{
    fmt,
    num::NonZeroUsize,
    sync::{
        atomic::{AtomicUsize, Ordering},
        LazyLock,
    },
};

use anyhow::Context;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use super::{AuthError, User};
use crate::{ratelimit::ClientNetwork, AppState};

/// Shortest password accepted, in characters (OWASP ASVS 2.1.1 asks for at least 8).
pub const MIN_LENGTH: usize = 8;
/// Longest password accepted, in characters: argon2 would take longer ones, but a bound keeps a
/// request from making us hash megabytes.
pub const MAX_LENGTH: usize = 128;

/// A password the user typed that satisfies the length rule. The text stays secret.
pub struct Password(SecretString);

impl Password {
    /// Checks the length rule. `field` is the form field the error is reported against.
    pub fn parse(raw: SecretString, field: &'static str) -> Result<Self, AuthError> {
        let length = raw.expose_secret().chars().count();
        if length < MIN_LENGTH {
            return Err(AuthError::invalid(
                field,
                format!("Use at least {MIN_LENGTH} characters."),
            ));
        }
        if length > MAX_LENGTH {
            return Err(AuthError::invalid(
                field,
                format!("Use at most {MAX_LENGTH} characters."),
            ));
        }
        Ok(Self(raw))
    }
}

/// An argon2id hash in PHC string form, as stored in `users.password_hash`.
///
/// Deliberately not `Serialize`, and its `Debug` is redacted: the hash never leaves this crate's
/// services or appears in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash read from the database.
    pub(crate) fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for the `INSERT`/`UPDATE` that stores it.
    pub(crate) fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// Argon2id with OWASP's recommended minimum: 19 MiB of memory, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Turns for argon2 runs: each holds 19 MiB and a CPU for tens of milliseconds, so a burst of
/// sign-ins waits here (in the async world, costing nothing) instead of exhausting memory.
#[derive(Debug)]
pub struct HashingTurns {
    permits: Semaphore,
    running: AtomicUsize,
    peak: AtomicUsize,
    runs: AtomicUsize,
}

impl HashingTurns {
    /// At most `concurrency` hashes or checks at once (`PASSWORD_HASH_CONCURRENCY`).
    pub fn new(concurrency: NonZeroUsize) -> Self {
        Self {
            permits: Semaphore::new(concurrency.get()),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            runs: AtomicUsize::new(0),
        }
    }

    /// The most runs that have ever held a turn at once (never more than the concurrency).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// How many hashes and checks have run (a check against the dummy hash included): what a
    /// sign-in cost, counted rather than timed.
    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::Relaxed)
    }

    /// Waits for a turn, then runs `work` on a blocking thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _turn = self
            .permits
            .acquire()
            .await
            .context("waiting for a password hashing turn")?;
        let running = self.running.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(running, Ordering::Relaxed);
        self.runs.fetch_add(1, Ordering::Relaxed);
        let result = tokio::task::spawn_blocking(work).await;
        self.running.fetch_sub(1, Ordering::Relaxed);
        result.context("the password hashing task panicked")
    }
}

/// Hashes a password with a fresh random salt, on a blocking thread (it takes tens of
/// milliseconds of CPU, which must not stall the async workers), once `turns` gives a turn.
pub async fn hash(turns: &HashingTurns, password: Password) -> anyhow::Result<PasswordHash> {
    turns
        .run(move || {
            hasher()
                .hash_password(password.0.expose_secret().as_bytes())
                .map(|phc| PasswordHash(phc.to_string()))
                .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
        })
        .await?
}

/// A hash of a random password nobody knows: verified against when the account does not exist,
/// so an unknown email costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random: [u8; 32] = rand::random();
    hasher()
        .hash_password(&random)
        .expect("hashing random bytes")
        .to_string()
});

/// Checks `candidate` against `stored`, or against a dummy hash when there is no account (and then
/// always answers `false`), on a blocking thread once `turns` gives a turn.
pub async fn verify(
    turns: &HashingTurns,
    candidate: SecretString,
    stored: Option<PasswordHash>,
) -> anyhow::Result<bool> {
    turns
        .run(move || {
            let (phc, real) = match &stored {
                Some(hash) => (hash.0.as_str(), true),
                None => (DUMMY_HASH.as_str(), false),
            };
            let matches = hasher()
                .verify_password(candidate.expose_secret().as_bytes(), phc)
                .is_ok();
            matches && real
        })
        .await
        .context("checking a password")
}

/// Checks a signed-in user's current password sent from `network` (password change, email
/// change, deletion) against the hash loaded, and locked, in `conn`'s transaction; a wrong one is
/// an error against `field`. The server's rate limiter counted the attempt as a failure on the
/// account; a correct password forgives `network`'s failures.
pub(crate) async fn check_current(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    user: &User,
    network: ClientNetwork,
    candidate: SecretString,
    field: &'static str,
) -> Result<(), AuthError> {
    let stored = super::users::password_hash_for_update(conn, user.id)
        .await
        .context("loading the password hash")?;
    if !verify(&state.password_hashing, candidate, stored).await? {
        return Err(AuthError::wrong_current_password(field));
    }
    state.auth_rate_limits.failures.passed(&user.email, network);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_shorter_than_8_or_longer_than_128_characters_are_refused() {
        assert!(Password::parse("1234567".to_owned().into(), "password").is_err());
        assert!(Password::parse("12345678".to_owned().into(), "password").is_ok());
        assert!(Password::parse("é".repeat(128).into(), "password").is_ok());
        assert!(Password::parse("é".repeat(129).into(), "password").is_err());
    }

    fn turns(concurrency: usize) -> HashingTurns {
        HashingTurns::new(NonZeroUsize::new(concurrency).unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_hashes_run_at_once_than_the_configured_concurrency() {
        let turns = std::sync::Arc::new(turns(2));
        // Each run waits for a partner to be running too: only possible with two at once.
        let pairs = std::sync::Arc::new(std::sync::Barrier::new(2));

        let runs: Vec<_> = (0..8)
            .map(|_| {
                let (turns, pairs) = (turns.clone(), pairs.clone());
                tokio::spawn(async move {
                    turns
                        .run(move || {
                            pairs.wait();
                        })
                        .await
                })
            })
            .collect();
        for run in runs {
            run.await.unwrap().unwrap();
        }

        assert_eq!(turns.peak(), 2);
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let turns = turns(1);
        let password = Password::parse("correct horse".to_owned().into(), "password").unwrap();
        let hash = hash(&turns, password).await.unwrap();

        assert!(
            hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_phc()
        );
        assert!(verify(
            &turns,
            "correct horse".to_owned().into(),
            Some(hash.clone())
        )
        .await
        .unwrap());
        assert!(
            !verify(&turns, "wrong horse!".to_owned().into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(!verify(&turns, "anything at all".to_owned().into(), None)
            .await
            .unwrap());
        assert_eq!(turns.runs(), 4);
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_hash_costs() {
        // Same algorithm, version, memory, iterations and lanes: checking a password against it
        // is the same work as against a stored hash, so an unknown email answers as slowly.
        let parameters = |phc: &str| phc.rsplitn(3, '$').nth(2).unwrap().to_owned();
        let real = hasher()
            .hash_password(b"correct horse")
            .unwrap()
            .to_string();

        assert_eq!(parameters(&DUMMY_HASH), parameters(&real));
        assert_eq!(parameters(&real), "$argon2id$v=19$m=19456,t=2,p=1");
    }

    #[test]
    fn a_password_hash_is_redacted_in_debug_output() {
        let hash = PasswordHash::from_stored("$argon2id$v=19$secret".into());
        assert_eq!(format!("{hash:?}"), "PasswordHash([redacted])");
    }
}
