//! The failure ledger: failed password checks, per account and per client network, in memory.
//!
//! The policy, so guessing is slow but nobody can lock an owner out:
//! - Only password checks count (sign-in, and the current password a signed-in change asks
//!   for); signing up or asking for a reset naming an address never does.
//! - Each network may fail on one account `per_network` times in a burst, then once more every
//!   minute / `per_network`. Its failures never slow another network down.
//! - An account failed `per_account` times (from anywhere) within its hour is *under attack*:
//!   until that drains, a network that failed on it within the hour waits; a network that has
//!   not gets its answer as usual — so the owner's correct password still passes, and a
//!   distributed guesser gets one guess per network per hour.
//! - A correct password, or a password reset through a mailed link, wipes its network's failures
//!   on the account.
//!
//! An attempt is counted as a failure when it is admitted, and forgiven when the password turns
//! out right, so a burst of concurrent guesses cannot all slip past the check. In memory means
//! per process, like the other limiters in [`crate::ratelimit`].

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::Mutex,
    time::{Duration, Instant},
};

use super::ClientNetwork;
use crate::auth::EmailAddress;

/// How long a network's failure on an account marks it while the account is under attack.
const MEMORY: Duration = Duration::from_secs(3600);

/// A budget: `burst` failures at once, refilled at `burst` per `period`.
#[derive(Clone, Copy, Debug)]
struct Budget {
    burst: f64,
    seconds_per_failure: f64,
}

impl Budget {
    fn new(burst: NonZeroU32, period: Duration) -> Self {
        let burst = f64::from(burst.get());
        Self {
            burst,
            seconds_per_failure: period.as_secs_f64() / burst,
        }
    }

    /// How long until a tally at `level` has room for one more failure (zero if it has now).
    fn wait(&self, level: f64) -> Duration {
        let excess = level - (self.burst - 1.0);
        if excess > 0.0 {
            Duration::from_secs_f64(excess * self.seconds_per_failure)
        } else {
            Duration::ZERO
        }
    }
}

/// A leaky bucket of failures: each adds one; the budget's rate drains away continuously.
#[derive(Clone, Copy, Debug)]
struct Tally {
    level: f64,
    at: Instant,
}

impl Tally {
    fn empty(now: Instant) -> Self {
        Self {
            level: 0.0,
            at: now,
        }
    }

    fn level(&self, now: Instant, budget: Budget) -> f64 {
        let drained =
            now.saturating_duration_since(self.at).as_secs_f64() / budget.seconds_per_failure;
        (self.level - drained).max(0.0)
    }

    fn add(&mut self, amount: f64, now: Instant, budget: Budget) {
        self.level = (self.level(now, budget) + amount).max(0.0);
        self.at = now;
    }
}

/// One network's failures on one account.
#[derive(Debug)]
struct NetworkFailures {
    tally: Tally,
    last: Instant,
}

/// One account's failures: in all, and per network.
#[derive(Debug)]
struct AccountFailures {
    total: Tally,
    by_network: HashMap<ClientNetwork, NetworkFailures>,
}

/// Failed password checks per account and network; see the module docs for the policy.
#[derive(Debug)]
pub struct FailureLedger {
    per_network: Budget,
    per_account: Budget,
    accounts: Mutex<HashMap<String, AccountFailures>>,
}

impl FailureLedger {
    /// `per_network` failures a minute from one network on one account; `per_account` failures
    /// an hour on one account from anywhere before it counts as under attack.
    pub fn new(per_network: NonZeroU32, per_account: NonZeroU32) -> Self {
        Self {
            per_network: Budget::new(per_network, Duration::from_secs(60)),
            per_account: Budget::new(per_account, MEMORY),
            accounts: Mutex::default(),
        }
    }

    /// Admits a password check on `account` from `network`, counting it as a failure until
    /// [`FailureLedger::passed`] forgives it; `Err` holds how long the network must wait.
    pub fn admit(&self, account: &EmailAddress, network: ClientNetwork) -> Result<(), Duration> {
        self.admit_at(account, network, Instant::now())
    }

    /// The password was right: the admitted attempt was no failure, and `network`'s earlier
    /// failures on `account` are forgiven.
    pub fn passed(&self, account: &EmailAddress, network: ClientNetwork) {
        self.forgive_at(account, network, 1.0, Instant::now());
    }

    /// The owner reset the password from `network`: its failures on `account` are forgiven (the
    /// account's total keeps them).
    pub fn forgive(&self, account: &EmailAddress, network: ClientNetwork) {
        self.forgive_at(account, network, 0.0, Instant::now());
    }

    /// Forgets accounts and networks whose failures have drained and aged out.
    pub fn forget_idle(&self) {
        let now = Instant::now();
        let mut accounts = self.lock();
        accounts.retain(|_, account| {
            account.by_network.retain(|_, failures| {
                failures.tally.level(now, self.per_network) > 0.0
                    || now.saturating_duration_since(failures.last) < MEMORY
            });
            account.total.level(now, self.per_account) > 0.0 || !account.by_network.is_empty()
        });
    }

    fn admit_at(
        &self,
        account: &EmailAddress,
        network: ClientNetwork,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut accounts = self.lock();
        let account = accounts
            .entry(account.as_str().to_owned())
            .or_insert_with(|| AccountFailures {
                total: Tally::empty(now),
                by_network: HashMap::new(),
            });
        let mine = account.by_network.get(&network);
        let own_level = mine.map_or(0.0, |failures| failures.tally.level(now, self.per_network));
        let failed_lately =
            mine.is_some_and(|failures| now.saturating_duration_since(failures.last) < MEMORY);
        let own_wait = self.per_network.wait(own_level);
        let attack_wait = if failed_lately {
            self.per_account
                .wait(account.total.level(now, self.per_account))
        } else {
            Duration::ZERO
        };
        let wait = own_wait.max(attack_wait);
        if !wait.is_zero() {
            return Err(wait);
        }
        account.total.add(1.0, now, self.per_account);
        let mine = account
            .by_network
            .entry(network)
            .or_insert_with(|| NetworkFailures {
                tally: Tally::empty(now),
                last: now,
            });
        mine.tally.add(1.0, now, self.per_network);
        mine.last = now;
        Ok(())
    }

    /// Forgets `network`'s failures on `account`, and takes `refund` off the account's total.
    fn forgive_at(
        &self,
        account: &EmailAddress,
        network: ClientNetwork,
        refund: f64,
        now: Instant,
    ) {
        if let Some(account) = self.lock().get_mut(account.as_str()) {
            if account.by_network.remove(&network).is_some() {
                account.total.add(-refund, now, self.per_account);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, AccountFailures>> {
        // A panic while holding the lock leaves counts, not broken invariants: keep using them.
        self.accounts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: [u8; 4] = [198, 51, 100, 7];

    fn ledger(per_network: u32, per_account: u32) -> FailureLedger {
        FailureLedger::new(
            NonZeroU32::new(per_network).unwrap(),
            NonZeroU32::new(per_account).unwrap(),
        )
    }

    fn ada() -> EmailAddress {
        EmailAddress::parse("ada@example.com", "email").unwrap()
    }

    fn net(octets: [u8; 4]) -> ClientNetwork {
        ClientNetwork::of(octets.into())
    }

    #[test]
    fn a_network_that_keeps_failing_waits_while_another_network_does_not() {
        let ledger = ledger(3, 1000);
        let now = Instant::now();
        let guesser = net([203, 0, 113, 9]);
        for _ in 0..3 {
            assert!(ledger.admit_at(&ada(), guesser, now).is_ok());
        }

        let wait = ledger.admit_at(&ada(), guesser, now).unwrap_err();

        assert_eq!(
            wait,
            Duration::from_secs(20),
            "one failure drains every 60 s / 3"
        );
        assert!(ledger.admit_at(&ada(), net(OWNER), now).is_ok());
        assert!(ledger.admit_at(&ada(), guesser, now + wait).is_ok());
    }

    #[test]
    fn a_correct_password_forgives_its_networks_failures() {
        let ledger = ledger(2, 1000);
        let now = Instant::now();
        assert!(ledger.admit_at(&ada(), net(OWNER), now).is_ok());
        ledger.forgive_at(&ada(), net(OWNER), 1.0, now);
        assert!(ledger.admit_at(&ada(), net(OWNER), now).is_ok());
        ledger.forgive_at(&ada(), net(OWNER), 1.0, now);

        assert!(ledger.admit_at(&ada(), net(OWNER), now).is_ok());
        assert!(ledger.admit_at(&ada(), net(OWNER), now).is_ok());
        assert!(ledger.admit_at(&ada(), net(OWNER), now).is_err());
    }

    #[test]
    fn an_account_under_attack_still_admits_networks_that_have_not_failed_on_it() {
        let ledger = ledger(100, 4);
        let now = Instant::now();
        for n in 0..4 {
            assert!(ledger.admit_at(&ada(), net([203, 0, 113, n]), now).is_ok());
        }

        let again = ledger.admit_at(&ada(), net([203, 0, 113, 0]), now);
        let owner = ledger.admit_at(&ada(), net(OWNER), now);
        let other_account = ledger.admit_at(
            &EmailAddress::parse("bob@example.com", "email").unwrap(),
            net([203, 0, 113, 0]),
            now,
        );

        assert_eq!(
            again,
            Err(Duration::from_secs(900)),
            "one failure drains every 3600 s / 4"
        );
        assert!(owner.is_ok());
        assert!(other_account.is_ok());
    }

    #[test]
    fn an_owner_who_failed_during_an_attack_is_let_in_again_after_a_reset() {
        let ledger = ledger(100, 4);
        let now = Instant::now();
        assert!(ledger.admit_at(&ada(), net(OWNER), now).is_ok());
        for n in 1..4 {
            assert!(ledger.admit_at(&ada(), net([203, 0, 113, n]), now).is_ok());
        }
        assert!(ledger.admit_at(&ada(), net(OWNER), now).is_err());

        ledger.forgive(&ada(), net(OWNER));

        assert!(ledger.admit_at(&ada(), net(OWNER), now).is_ok());
        assert!(ledger.admit_at(&ada(), net([203, 0, 113, 1]), now).is_err());
    }

    #[test]
    fn idle_accounts_are_forgotten_and_busy_ones_kept() {
        let ledger = ledger(5, 30);
        let now = Instant::now();
        assert!(ledger.admit_at(&ada(), net(OWNER), now).is_ok());
        ledger.forgive_at(&ada(), net(OWNER), 1.0, now);
        let bob = EmailAddress::parse("bob@example.com", "email").unwrap();
        assert!(ledger.admit_at(&bob, net(OWNER), now).is_ok());

        ledger.forget_idle();

        let kept: Vec<String> = ledger.lock().keys().cloned().collect();
        assert_eq!(kept, ["bob@example.com"]);
    }
}
