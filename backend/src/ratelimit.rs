//! Rate limits, with GCRA (`governor`) kept in memory: on the endpoints that check a password or a
//! token, per client IP and per account (the email the form names, or the signed-in account's);
//! and on the billing endpoints that call Stripe, per signed-in user, so nobody can spend our
//! Stripe API quota. `server/src/ratelimit.rs` says which endpoints use which key.
//!
//! In memory means per process: with several replicas, each allows the configured rate. That is
//! still a hard ceiling on guessing; a shared store can replace this if it ever matters.

use std::{net::IpAddr, num::NonZeroU32, time::Duration};

use uuid::Uuid;

use governor::{
    clock::{Clock, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};

/// Both limiters.
#[derive(Debug)]
pub struct AuthRateLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl AuthRateLimits {
    /// `per_ip` and `per_account` attempts a minute, each allowed in a burst.
    pub fn new(per_ip: NonZeroU32, per_account: NonZeroU32) -> Self {
        Self {
            per_ip: RateLimiter::keyed(Quota::per_minute(per_ip)),
            per_account: RateLimiter::keyed(Quota::per_minute(per_account)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt from `ip` (and against `account`, a normalised email, when the form
    /// names one). `Err` holds how long to wait before the next attempt may succeed.
    pub fn check(&self, ip: IpAddr, account: Option<&str>) -> Result<(), Duration> {
        let now = self.clock.now();
        self.per_ip
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(now))?;
        if let Some(account) = account {
            self.per_account
                .check_key(&account.to_owned())
                .map_err(|not_until| not_until.wait_time_from(now))?;
        }
        Ok(())
    }

    /// Forgets keys that are back to full capacity, so memory does not grow with every IP seen.
    pub fn forget_idle_keys(&self) {
        self.per_ip.retain_recent();
        self.per_account.retain_recent();
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

    fn limits(per_ip: u32, per_account: u32) -> AuthRateLimits {
        AuthRateLimits::new(
            NonZeroU32::new(per_ip).unwrap(),
            NonZeroU32::new(per_account).unwrap(),
        )
    }

    #[test]
    fn an_ip_over_its_limit_is_told_how_long_to_wait() {
        let limits = limits(2, 100);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limits.check(ip, None).is_ok());
        assert!(limits.check(ip, None).is_ok());
        let wait = limits.check(ip, None).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
        assert!(limits.check("192.0.2.2".parse().unwrap(), None).is_ok());
    }

    #[test]
    fn billing_calls_are_limited_per_user() {
        let limit = BillingRateLimit::new(NonZeroU32::new(2).unwrap());
        let (ada, bob) = (Uuid::new_v4(), Uuid::new_v4());
        assert!(limit.check(ada).is_ok() && limit.check(ada).is_ok());
        assert!(limit.check(ada).is_err());
        assert!(limit.check(bob).is_ok());
    }

    #[test]
    fn an_account_is_limited_across_ips() {
        let limits = limits(100, 2);
        for n in 1..=2 {
            let ip = IpAddr::from([192, 0, 2, n]);
            assert!(limits.check(ip, Some("a@example.com")).is_ok());
        }
        assert!(limits
            .check(IpAddr::from([192, 0, 2, 9]), Some("a@example.com"))
            .is_err());
        assert!(limits
            .check(IpAddr::from([192, 0, 2, 9]), Some("b@example.com"))
            .is_ok());
    }
}
