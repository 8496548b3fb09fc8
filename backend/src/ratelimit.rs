//! Rate limits, kept in memory: on the endpoints that check a password or a token, per client
//! network ([`ClientNetwork`]: an IPv4 address, or an IPv6 /64) for every attempt, and per account
//! and network for failed password checks only ([`FailureLedger`]); reset mails per address and
//! network; and on the billing endpoints that call Stripe, per signed-in user, so nobody can
//! spend our Stripe API quota. `server/src/ratelimit.rs` says which endpoints use which key.
//!
//! Nothing a stranger sends can lock an owner out: failures count per account *and* network, a
//! network that has not failed on an account always gets its answer, and reset mails are limited
//! per address and network, never by sign-in failures (see [`failures`] for the whole policy).
//!
//! In memory means per process: with several replicas, each allows the configured rate. That is
//! still a hard ceiling on guessing; a shared store can replace this if it ever matters.

pub mod failures;
pub mod network;

use std::{num::NonZeroU32, time::Duration};

use uuid::Uuid;

use governor::{
    clock::{Clock, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};

pub use failures::FailureLedger;
pub use network::{ClientAddress, ClientNetwork};

use crate::auth::EmailAddress;

/// The limits on the endpoints that check a password or a token.
#[derive(Debug)]
pub struct AuthRateLimits {
    per_network: DefaultKeyedRateLimiter<ClientNetwork>,
    reset_mails: DefaultKeyedRateLimiter<(String, ClientNetwork)>,
    /// Failed password checks per account and network.
    pub failures: FailureLedger,
    clock: DefaultClock,
}

/// The numbers [`AuthRateLimits`] enforce (from the configuration).
#[derive(Clone, Copy, Debug)]
pub struct AuthQuotas {
    /// Attempts a minute from one network, at any of the endpoints, allowed in a burst.
    pub per_network_per_minute: NonZeroU32,
    /// Failed password checks a minute on one account from one network.
    pub failures_per_account_and_network_per_minute: NonZeroU32,
    /// Failed password checks an hour on one account from anywhere before it is under attack.
    pub failures_per_account_per_hour: NonZeroU32,
    /// Reset mails an hour to one address asked for from one network.
    pub reset_mails_per_address_and_network_per_hour: NonZeroU32,
}

impl AuthRateLimits {
    pub fn new(quotas: AuthQuotas) -> Self {
        Self {
            per_network: RateLimiter::keyed(Quota::per_minute(quotas.per_network_per_minute)),
            reset_mails: RateLimiter::keyed(Quota::per_hour(
                quotas.reset_mails_per_address_and_network_per_hour,
            )),
            failures: FailureLedger::new(
                quotas.failures_per_account_and_network_per_minute,
                quotas.failures_per_account_per_hour,
            ),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt from `network`. `Err` holds how long to wait before the next attempt
    /// may succeed.
    pub fn check(&self, network: ClientNetwork) -> Result<(), Duration> {
        let now = self.clock.now();
        self.per_network
            .check_key(&network)
            .map_err(|not_until| not_until.wait_time_from(now))
    }

    /// Whether one more reset mail may go to `address` at `network`'s request. Checked before
    /// the account is looked up, so it answers alike for known and unknown addresses.
    pub fn allows_reset_mail(&self, address: &EmailAddress, network: ClientNetwork) -> bool {
        self.reset_mails
            .check_key(&(address.as_str().to_owned(), network))
            .is_ok()
    }

    /// Forgets keys that are back to full capacity, so memory does not grow with every client.
    pub fn forget_idle_keys(&self) {
        self.per_network.retain_recent();
        self.reset_mails.retain_recent();
        self.failures.forget_idle();
    }
}

/// The per-user limit on billing calls that reach Stripe (start Checkout, open the portal, the
/// success page).
#[derive(Debug)]
pub struct BillingRateLimit {
    per_user: DefaultKeyedRateLimiter<Uuid>,
    clock: DefaultClock,
}

impl BillingRateLimit {
    /// `per_minute` calls a minute per user, allowed in a burst.
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self {
            per_user: RateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one call by `user`; `Err` holds how long to wait.
    pub fn check(&self, user: Uuid) -> Result<(), Duration> {
        let now = self.clock.now();
        self.per_user
            .check_key(&user)
            .map_err(|not_until| not_until.wait_time_from(now))
    }

    /// Forgets users back to full capacity.
    pub fn forget_idle_keys(&self) {
        self.per_user.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_network: u32, reset_mails: u32) -> AuthRateLimits {
        let n = |n| NonZeroU32::new(n).unwrap();
        AuthRateLimits::new(AuthQuotas {
            per_network_per_minute: n(per_network),
            failures_per_account_and_network_per_minute: n(100),
            failures_per_account_per_hour: n(100),
            reset_mails_per_address_and_network_per_hour: n(reset_mails),
        })
    }

    fn network(ip: &str) -> ClientNetwork {
        ClientNetwork::of(ip.parse().unwrap())
    }

    #[test]
    fn a_network_over_its_limit_is_told_how_long_to_wait() {
        let limits = limits(2, 100);
        let ip = network("192.0.2.1");
        assert!(limits.check(ip).is_ok());
        assert!(limits.check(ip).is_ok());
        let wait = limits.check(ip).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
        assert!(limits.check(network("192.0.2.2")).is_ok());
    }

    #[test]
    fn addresses_in_one_ipv6_slash_64_share_their_limit() {
        let limits = limits(2, 100);
        assert!(limits.check(network("2001:db8::1")).is_ok());
        assert!(limits.check(network("2001:db8::2")).is_ok());
        assert!(limits.check(network("2001:db8::ffff:3")).is_err());
        assert!(limits.check(network("2001:db8:0:1::1")).is_ok());
    }

    #[test]
    fn reset_mails_are_limited_per_address_and_network() {
        let limits = limits(100, 2);
        let ada = EmailAddress::parse("ada@example.com", "email").unwrap();
        let stranger = network("203.0.113.9");
        assert!(limits.allows_reset_mail(&ada, stranger));
        assert!(limits.allows_reset_mail(&ada, stranger));

        assert!(!limits.allows_reset_mail(&ada, stranger));
        assert!(limits.allows_reset_mail(&ada, network("198.51.100.7")));
    }

    #[test]
    fn billing_calls_are_limited_per_user() {
        let limit = BillingRateLimit::new(NonZeroU32::new(2).unwrap());
        let (ada, bob) = (Uuid::new_v4(), Uuid::new_v4());
        assert!(limit.check(ada).is_ok() && limit.check(ada).is_ok());
        assert!(limit.check(ada).is_err());
        assert!(limit.check(bob).is_ok());
    }
}
