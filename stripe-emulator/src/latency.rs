//! Stripe's round trip, imitated: every API request (`/v1/…`) waits a set time, varied at random,
//! before it is carried out. The wait happens before the world is locked, so requests wait side by
//! side as they would on the network; the emulator's own controls (`/_emulator/…`) and the hosted
//! pages answer at once.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::Emulator;

/// How long each API request waits before it is answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    /// The typical wait (`--latency`); zero answers at once.
    pub base: Duration,
    /// Each wait is drawn uniformly from `base ± jitter` (`--latency-jitter`), never below zero.
    pub jitter: Duration,
}

impl Latency {
    /// Whether requests are answered at once.
    pub fn is_zero(&self) -> bool {
        self.base.is_zero() && self.jitter.is_zero()
    }

    /// The wait for one request, given `draw`, a uniform number in `[0, 1)`: 0 gives the shortest
    /// wait (`base - jitter`, or zero), values near 1 the longest (`base + jitter`).
    pub fn wait(&self, draw: f64) -> Duration {
        let shortest = self.base.saturating_sub(self.jitter);
        let longest = self.base.saturating_add(self.jitter);
        shortest + (longest - shortest).mul_f64(draw.clamp(0.0, 1.0))
    }
}

/// Middleware on the API routes: waits out the configured latency, then lets the request run.
pub(crate) async fn delay(
    State(emulator): State<Emulator>,
    request: Request,
    next: Next,
) -> Response {
    let latency = emulator.shared.config.latency;
    // The emulator handle holds no lock; the world is locked only once the operation runs.
    drop(emulator);
    if !latency.is_zero() {
        tokio::time::sleep(latency.wait(draw())).await;
    }
    next.run(request).await
}

/// A uniform number in `[0, 1)`, independent of the seeded id generator so that a latency never
/// changes which ids a seeded emulator hands out.
fn draw() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let bits = RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed));
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_spread_evenly_between_base_minus_and_plus_jitter() {
        let latency = Latency {
            base: Duration::from_millis(150),
            jitter: Duration::from_millis(50),
        };
        assert_eq!(latency.wait(0.0), Duration::from_millis(100));
        assert_eq!(latency.wait(0.5), Duration::from_millis(150));
        assert_eq!(latency.wait(1.0), Duration::from_millis(200));
    }

    #[test]
    fn a_jitter_larger_than_the_base_never_waits_less_than_nothing() {
        let latency = Latency {
            base: Duration::from_millis(10),
            jitter: Duration::from_millis(50),
        };
        assert_eq!(latency.wait(0.0), Duration::ZERO);
        assert_eq!(latency.wait(1.0), Duration::from_millis(60));
    }

    #[test]
    fn draws_stay_within_zero_and_one_and_vary() {
        let draws: Vec<f64> = (0..1_000).map(|_| draw()).collect();
        assert!(draws.iter().all(|draw| (0.0..1.0).contains(draw)));
        let low = draws.iter().filter(|draw| **draw < 0.5).count();
        assert!((300..700).contains(&low), "{low} of 1000 draws below 0.5");
    }
}
