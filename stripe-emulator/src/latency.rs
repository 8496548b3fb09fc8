//! Stripe's round trip, imitated: every API request (`/v1/…`) waits a set time, varied at random,
//! before it is carried out. The wait happens before the world is locked, so requests wait side by
//! side as they would on the network; the emulator's own controls (`/_emulator/…`) and the hosted
//! pages answer at once. `POST /_emulator/latency` changes the wait while the emulator runs.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::MutexGuard;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::form::Params;
use crate::{parse_duration, Emulator};

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

/// Middleware on the API routes: waits out the latency in force, then lets the request run.
pub(crate) async fn delay(
    State(emulator): State<Emulator>,
    request: Request,
    next: Next,
) -> Response {
    let latency = *in_force(&emulator);
    // The emulator handle holds no lock; the world is locked only once the operation runs.
    drop(emulator);
    if !latency.is_zero() {
        tokio::time::sleep(latency.wait(draw())).await;
    }
    next.run(request).await
}

/// The latency in force (a panic elsewhere never leaves it unusable).
fn in_force(emulator: &Emulator) -> MutexGuard<'_, Latency> {
    emulator
        .shared
        .latency
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn report(latency: Latency) -> Json<Value> {
    Json(json!({
        "latency_ms": latency.base.as_millis(),
        "jitter_ms": latency.jitter.as_millis(),
    }))
}

/// `GET /_emulator/latency`: the wait in force, `{ "latency_ms": 150, "jitter_ms": 50 }`.
pub(crate) async fn show(State(emulator): State<Emulator>) -> Json<Value> {
    report(*in_force(&emulator))
}

/// `POST /_emulator/latency` with `latency=150ms` and/or `jitter=50ms` (`0` for none): changes
/// the wait of every API request arriving from now on. Answers as `GET` does.
pub(crate) async fn set(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let mut parsed = [None, None];
    for (field, slot) in ["latency", "jitter"].into_iter().zip(&mut parsed) {
        if let Some(text) = params.str(field) {
            match parse_duration(text) {
                Ok(duration) => *slot = Some(duration),
                Err(message) => return ApiError::invalid(message, Some(field)).into_response(),
            }
        }
    }
    let mut latency = in_force(&emulator);
    let [base, jitter] = parsed;
    latency.base = base.unwrap_or(latency.base);
    latency.jitter = jitter.unwrap_or(latency.jitter);
    report(*latency).into_response()
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
