//! The HTTP surface: routes, the API key check, parameter parsing, idempotency replay, `expand[]`,
//! and the emulator-only control endpoints under `/_emulator`.

use std::collections::{HashMap, VecDeque};

use axum::body::Bytes;
use axum::extract::{MatchedPath, RawPathParams, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::form::Params;
use crate::world::{RequestInfo, World};
use crate::Emulator;

/// One API operation: a synchronous change or read of the world.
pub type Op = fn(&mut World, &Call) -> Result<Value, ApiError>;

/// What an operation gets: its parameters, the ids in its path, and the emulator's base URL.
#[derive(Default)]
pub struct Call {
    /// Query and body parameters.
    pub params: Params,
    /// Path parameters in order (`/v1/customers/{id}` → `[id]`).
    pub path: Vec<String>,
    /// Base URL for hosted page links.
    pub base_url: String,
    /// The file of a `multipart/form-data` request (`POST /v1/files`).
    pub upload: Option<crate::upload::Upload>,
    /// The secret key the call was made with (Stripe names it, masked, in `account_invalid`).
    pub api_key: String,
}

impl Call {
    /// The first path parameter.
    pub fn id(&self) -> &str {
        self.path.first().map(String::as_str).unwrap_or_default()
    }
}

const IDEMPOTENCY_CAPACITY: usize = 50_000;

/// Responses to POSTs with an `Idempotency-Key`, replayed for a repeated key.
#[derive(Default)]
pub struct IdempotencyCache {
    entries: HashMap<String, Cached>,
    order: VecDeque<String>,
}

struct Cached {
    fingerprint: String,
    /// None while the first request with the key is still running.
    status: Option<StatusCode>,
    body: Value,
}

/// A key whose first request is running; forgotten again unless it finishes.
struct Pending<'a> {
    emulator: &'a Emulator,
    key: Option<String>,
}

impl Pending<'_> {
    fn finish(mut self, status: StatusCode, body: Value) {
        let Some(key) = self.key.take() else { return };
        if let Some(entry) = idempotency(self.emulator).entries.get_mut(&key) {
            entry.status = Some(status);
            entry.body = body;
        }
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            idempotency(self.emulator).entries.remove(&key);
        }
    }
}

/// The idempotency cache (a panic elsewhere never leaves it unusable).
fn idempotency(emulator: &Emulator) -> std::sync::MutexGuard<'_, IdempotencyCache> {
    emulator
        .shared
        .idempotency
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl IdempotencyCache {
    /// Stores an entry, forgetting the oldest beyond the capacity.
    fn remember(&mut self, key: String, entry: Cached) {
        if self.order.len() >= IDEMPOTENCY_CAPACITY {
            if let Some(oldest) = self.order.pop_front() {
                self.entries.remove(&oldest);
            }
        }
        self.order.push_back(key.clone());
        self.entries.insert(key, entry);
    }
}

/// The whole router: the v1 API, hosted pages and the emulator's own controls.
pub fn router(emulator: Emulator) -> Router {
    // Faults wrap the latency: a request is counted as it arrives, then waits, then runs.
    let api = crate::api::routes()
        .layer(axum::middleware::from_fn_with_state(
            emulator.clone(),
            crate::latency::delay,
        ))
        .layer(axum::middleware::from_fn_with_state(
            emulator.clone(),
            crate::faults::inject,
        ));
    Router::new()
        .merge(api)
        .merge(crate::pages::routes())
        .route("/_emulator/clock", get(clock))
        .route("/_emulator/clock/advance", post(advance))
        .route("/_emulator/deliveries", get(deliveries))
        .route(
            "/_emulator/latency",
            get(crate::latency::show).post(crate::latency::set),
        )
        .route(
            "/_emulator/chaos",
            get(crate::faults::show).post(crate::faults::set),
        )
        .fallback(|method: Method, uri: Uri| async move {
            ApiError::unrecognized_url(method.as_str(), uri.path())
        })
        .with_state(emulator)
}

/// Wraps an operation of Stripe's public API as an axum handler: its parameters are checked
/// against Stripe's description of the route before it runs.
pub fn op(op: Op) -> impl Handler {
    handler(op, true)
}

/// Wraps an operation Stripe's own pages use but its API description leaves out (Checkout's
/// `payment_pages`); such an operation checks its parameters itself.
pub fn internal_op(op: Op) -> impl Handler {
    handler(op, false)
}

/// The handler for `op`; `described` says whether Stripe's API description has its route (its
/// parameters are then checked against it).
fn handler(op: Op, described: bool) -> impl Handler {
    move |State(emulator), method, uri, headers, route: MatchedPath, path: RawPathParams, body| {
        let path = path.iter().map(|(_, value)| value.to_owned()).collect();
        let route = described.then(|| route.as_str());
        std::future::ready(call(
            &emulator, op, &method, &uri, &headers, route, path, &body,
        ))
    }
}

/// An API handler as axum takes it.
pub trait Handler:
    Fn(
        State<Emulator>,
        Method,
        Uri,
        HeaderMap,
        MatchedPath,
        RawPathParams,
        Bytes,
    ) -> std::future::Ready<Response>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<F> Handler for F where
    F: Fn(
            State<Emulator>,
            Method,
            Uri,
            HeaderMap,
            MatchedPath,
            RawPathParams,
            Bytes,
        ) -> std::future::Ready<Response>
        + Clone
        + Send
        + Sync
        + 'static
{
}

#[allow(clippy::too_many_arguments)]
fn call(
    emulator: &Emulator,
    op: Op,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    route: Option<&str>,
    path: Vec<String>,
    body: &Bytes,
) -> Response {
    let key = match api_key(headers) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let mut raw = uri.query().unwrap_or_default().as_bytes().to_vec();
    let (body, upload) =
        match crate::upload::boundary(header_str(headers, header::CONTENT_TYPE.as_str())) {
            Some(boundary) => match crate::upload::parse(body.clone(), &boundary) {
                Ok((form, upload)) => (Bytes::from(form), upload),
                Err(error) => return error.into_response(),
            },
            None => (body.clone(), None),
        };
    if !body.is_empty() {
        if !raw.is_empty() {
            raw.push(b'&');
        }
        raw.extend_from_slice(&body);
    }
    let params = match Params::parse(&raw) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    // Stripe checks parameters before it starts, so a refused request keeps no idempotent answer.
    if let Some(route) = route {
        let Some(operation) = crate::spec::Spec::operation(method.as_str(), route) else {
            return ApiError::unrecognized_url(method.as_str(), uri.path()).into_response();
        };
        if let Err(error) = crate::validate::check(&operation.params, &params) {
            return error.into_response();
        }
    }
    let idempotency_key = header_str(headers, "idempotency-key").filter(|_| method == Method::POST);
    // `Stripe-Account: acct_…` acts as a connected account; keys are per account, as in Stripe.
    let account = header_str(headers, "stripe-account").map(str::trim);
    let cache_key = idempotency_key.map(|idempotency| {
        format!(
            "{key}\u{0}{}\u{0}{idempotency}",
            account.unwrap_or_default()
        )
    });
    // An upload counts by its bytes, not by the multipart boundary a retry may change.
    let uploaded = upload.as_ref().map(|upload| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&upload.bytes))
    });
    let fingerprint = format!(
        "{method} {}\u{0}{}\u{0}{}",
        uri.path(),
        String::from_utf8_lossy(&raw),
        uploaded.unwrap_or_default()
    );
    if let Some(cache_key) = &cache_key {
        let mut cache = idempotency(emulator);
        let shown_key = idempotency_key.unwrap_or_default();
        match cache.entries.get(cache_key) {
            Some(cached) if cached.fingerprint != fingerprint => {
                return ApiError::idempotency(shown_key).into_response();
            }
            Some(Cached { status: None, .. }) => {
                return ApiError::idempotency_in_use(shown_key).into_response();
            }
            Some(Cached {
                status: Some(status),
                body,
                ..
            }) => {
                let mut response = (*status, Json(body.clone())).into_response();
                response
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                return response;
            }
            None => cache.remember(
                cache_key.clone(),
                Cached {
                    fingerprint: fingerprint.clone(),
                    status: None,
                    body: Value::Null,
                },
            ),
        }
    }
    // Until the operation answers, the key is "in flight"; if it panics, the key is released.
    let pending = cache_key.map(|key| Pending {
        emulator,
        key: Some(key),
    });
    let call = Call {
        params,
        path,
        base_url: emulator.base_url().to_owned(),
        upload,
        api_key: key.clone(),
    };
    let read_only = method == Method::GET;
    let run = |world: &mut World| {
        let request_id = world.new_id("req");
        if let Some(account) = account.filter(|id| world.connected_account(id).is_none()) {
            return (request_id, Err(ApiError::account_invalid(&key, account)));
        }
        world.request = Some(RequestInfo {
            id: request_id.clone(),
            idempotency_key: idempotency_key.map(str::to_owned),
        });
        let result = world.as_account(account, |world| {
            op(world, &call).and_then(|mut value| {
                crate::listing::expand(world, &mut value, &call.params.expand())?;
                shaped_as_stripe(value)
            })
        });
        world.request = None;
        (request_id, result)
    };
    let (request_id, result) = if read_only {
        // A read can still change things (an expired Checkout Session expires when looked at);
        // whatever it emits is delivered, and saved only then.
        emulator.mutate_if_eventful(run)
    } else {
        emulator.mutate(run)
    };
    let (status, body) = match result {
        Ok(value) => (StatusCode::OK, value),
        Err(error) => (error.status, error.body()),
    };
    if let Some(pending) = pending {
        pending.finish(status, body.clone());
    }
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", value);
    }
    response.headers_mut().insert(
        "stripe-version",
        HeaderValue::from_static(crate::API_VERSION),
    );
    response
}

/// The answer, if every object in it has the fields Stripe's type for it has, and no others;
/// a 500 naming what is wrong otherwise (an emulator bug, never passed on as if Stripe said it).
fn shaped_as_stripe(value: Value) -> Result<Value, ApiError> {
    let problems = crate::shapes::problems(&value);
    if problems.is_empty() {
        return Ok(value);
    }
    tracing::error!(?problems, "an answer does not have Stripe's shape");
    Err(ApiError::emulator_bug(format!(
        "The emulator built an object unlike Stripe's: {}",
        problems.join("; ")
    )))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The secret key from `Authorization: Bearer sk_test_…` (or HTTP basic auth, as curl sends it).
pub(crate) fn api_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = header_str(headers, header::AUTHORIZATION.as_str()) else {
        return Err(ApiError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, \
             using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        ));
    };
    let key = if let Some(bearer) = value.strip_prefix("Bearer ") {
        bearer.trim().to_owned()
    } else if let Some(basic) = value.strip_prefix("Basic ") {
        let decoded = decode_base64(basic.trim()).unwrap_or_default();
        decoded.split(':').next().unwrap_or_default().to_owned()
    } else {
        return Err(ApiError::unauthorized(
            "Invalid API Key provided: use 'Authorization: Bearer sk_test_…'.",
        ));
    };
    let valid = ["sk_test_", "rk_test_"]
        .iter()
        .any(|prefix| key.starts_with(prefix))
        && key.len() > 8
        && key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
    if !valid {
        let shown: String = key.chars().take(12).collect();
        return Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {shown}***"
        )));
    }
    Ok(key)
}

fn decode_base64(input: &str) -> Option<String> {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in input.bytes().filter(|byte| *byte != b'=') {
        let value = TABLE.iter().position(|candidate| *candidate == byte)? as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    String::from_utf8(out).ok()
}

/// `GET /_emulator/clock`: the emulator-wide time, and how many webhook deliveries are still
/// pending (a caller that moved the clock waits for 0 to see the effects arrive).
async fn clock(State(emulator): State<Emulator>) -> Json<Value> {
    let (now, offset, pending) =
        emulator.read(|world| (world.now(), world.clock_offset, world.pending_webhooks()));
    Json(json!({ "now": now, "offset_seconds": offset, "pending_webhooks": pending }))
}

/// `POST /_emulator/clock/advance` with `seconds=N` (or `days=N`, or `to=UNIX`): moves the
/// emulator-wide clock forward and processes everything that fell due. Answers the new time and
/// the ids of the events emitted on the way (wait for their `pending_webhooks` to reach 0 to see
/// their effects).
async fn advance(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let limit = 100 * 365 * 86_400;
    let seconds = match (
        params.int_in("seconds", 0..=limit),
        params.int_in("days", 0..=limit / 86_400),
        params.int("to"),
    ) {
        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
            return error.into_response()
        }
        (Ok(Some(seconds)), _, _) => seconds,
        (_, Ok(Some(days)), _) => days * 86_400,
        (_, _, Ok(Some(to))) => to.saturating_sub(emulator.read(World::now)),
        _ => return ApiError::missing("seconds").into_response(),
    };
    if !(0..=limit).contains(&seconds) {
        return ApiError::invalid(
            "The clock moves forward, at most 100 years at a time.",
            Some("seconds"),
        )
        .into_response();
    }
    let (now, events) = emulator.advance(seconds);
    Json(json!({ "now": now, "events": events })).into_response()
}

/// `GET /_emulator/deliveries`: every webhook delivery attempt, oldest first.
async fn deliveries(State(emulator): State<Emulator>) -> Json<Value> {
    Json(json!({ "data": emulator.delivery_log() }))
}
