//! API faults for reliability tests: a share of `/v1/…` requests fails the ways Stripe and the
//! network do. Off unless `--chaos-api-faults` (or `Chaos::api_fault_rate`) sets a share, or
//! `POST /_emulator/chaos` turns it on at run time; `GET /_emulator/chaos` counts what was done.
//!
//! Five kinds, equally likely once a request is picked:
//! - `error`: 500 `api_error` before anything happens;
//! - `rate_limit`: 429 `rate_limit` before anything happens;
//! - `lost`: the request is carried out, then answered 500 (the client must retry with the same
//!   `Idempotency-Key` to learn what happened);
//! - `stall`: the request is carried out at once but answered only after `stall` (longer than a
//!   client's timeout), whether or not the client is still waiting;
//! - `dropped`: the request is carried out and the connection is cut mid-answer.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::form::Params;
use crate::Emulator;

/// The kinds of fault, in the order they are drawn.
const KINDS: [Kind; 5] = [
    Kind::Error,
    Kind::RateLimit,
    Kind::Lost,
    Kind::Stall,
    Kind::Dropped,
];

#[derive(Debug, Clone, Copy)]
enum Kind {
    Error,
    RateLimit,
    Lost,
    Stall,
    Dropped,
}

/// The share of API requests that fail, how long a stalled one hangs, and what was injected.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rate: f64,
    stall: Duration,
    requests: u64,
    injected: [u64; KINDS.len()],
}

impl Faults {
    pub(crate) fn new(rate: f64, stall: Duration) -> Mutex<Self> {
        Mutex::new(Self {
            rate,
            stall,
            ..Self::default()
        })
    }

    fn report(&self) -> Value {
        json!({
            "api_fault_rate": self.rate,
            "stall_ms": u64::try_from(self.stall.as_millis()).unwrap_or(u64::MAX),
            "requests": self.requests,
            "injected": {
                "error": self.injected[0],
                "rate_limit": self.injected[1],
                "lost": self.injected[2],
                "stall": self.injected[3],
                "dropped": self.injected[4],
            },
        })
    }
}

fn faults(emulator: &Emulator) -> MutexGuard<'_, Faults> {
    emulator
        .shared
        .faults
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Middleware on the API routes: maybe fails this request.
pub(crate) async fn inject(
    State(emulator): State<Emulator>,
    request: Request,
    next: Next,
) -> Response {
    let rate = {
        let mut faults = faults(&emulator);
        faults.requests += 1;
        faults.rate
    };
    if rate <= 0.0 {
        return next.run(request).await;
    }
    let (hit, pick) = emulator.mutate_quiet(|world| (world.ids.fraction(), world.ids.fraction()));
    if hit >= rate {
        return next.run(request).await;
    }
    let index = ((pick * KINDS.len() as f64) as usize).min(KINDS.len() - 1);
    let stall = {
        let mut faults = faults(&emulator);
        faults.injected[index] += 1;
        faults.stall
    };
    match KINDS[index] {
        Kind::Error => server_error(),
        Kind::RateLimit => rate_limited(),
        Kind::Lost => {
            let _ = next.run(request).await;
            server_error()
        }
        Kind::Stall => {
            // Done at once, answered late: a client that gave up in between must find out what
            // happened by retrying with its key. (Spawned: hyper drops this future when the
            // client hangs up.)
            let work = tokio::spawn(next.run(request));
            tokio::time::sleep(stall).await;
            work.await.unwrap_or_else(|_| server_error())
        }
        Kind::Dropped => {
            let _ = next.run(request).await;
            // Headers go out, then the body fails: hyper cuts the connection.
            let broken = futures_util::stream::once(async {
                Err::<Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "chaos: connection dropped",
                ))
            });
            (StatusCode::OK, Body::from_stream(broken)).into_response()
        }
    }
}

fn server_error() -> Response {
    let body = json!({ "error": {
        "type": "api_error",
        "message": "An unknown error occurred (injected by the emulator's chaos mode).",
    }});
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

fn rate_limited() -> Response {
    let body = json!({ "error": {
        "type": "invalid_request_error",
        "code": "rate_limit",
        "message": "Too many requests hit the API too quickly (injected by the emulator's chaos mode).",
    }});
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response
        .headers_mut()
        .insert("retry-after", axum::http::HeaderValue::from_static("1"));
    response
}

/// `GET /_emulator/chaos`: the fault settings and how many of each were injected.
pub(crate) async fn show(State(emulator): State<Emulator>) -> Json<Value> {
    Json(faults(&emulator).report())
}

/// `POST /_emulator/chaos` with `api_fault_rate=0.2` and/or `stall_ms=3000`: changes them from
/// the next request on. Answers as `GET` does.
pub(crate) async fn set(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let rate = match params.str("api_fault_rate").map(str::parse::<f64>) {
        None => None,
        Some(Ok(rate)) if (0.0..=1.0).contains(&rate) => Some(rate),
        Some(_) => {
            return crate::error::ApiError::invalid(
                "api_fault_rate is a share between 0.0 and 1.0",
                Some("api_fault_rate"),
            )
            .into_response()
        }
    };
    let stall = match params.int_in("stall_ms", 0..=600_000) {
        Ok(stall) => stall,
        Err(error) => return error.into_response(),
    };
    let mut faults = faults(&emulator);
    if let Some(rate) = rate {
        faults.rate = rate;
    }
    if let Some(stall) = stall {
        faults.stall = Duration::from_millis(stall.unsigned_abs());
    }
    Json(faults.report()).into_response()
}
