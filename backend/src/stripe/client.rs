//! The HTTP plumbing under every Stripe call: authentication, the pinned API version, timeouts,
//! retries with exponential backoff (same `Idempotency-Key` on every attempt), error decoding.

use std::{sync::Arc, time::Duration};

use reqwest::{header::HeaderMap, Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use crate::metrics::{Metrics, StripeOutcome};

use super::{
    error::{ErrorBody, StripeError},
    Form, StripeConfig, API_VERSION,
};

/// A Stripe API client; cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct StripeClient {
    http: reqwest::Client,
    api_base: Url,
    files_base: Url,
    secret_key: SecretString,
    retry: RetryPolicy,
    /// A per-request timeout shorter than the client's, if set.
    request_timeout: Option<Duration>,
    /// The connected account (`acct_…`) calls act on (`Stripe-Account`); `None`: the platform.
    stripe_account: Option<String>,
    /// Where each attempt's latency and outcome are counted, if anywhere.
    metrics: Option<Arc<Metrics>>,
}

/// A file to upload (`POST /v1/files`).
#[derive(Clone, Debug)]
pub struct Upload<'a> {
    /// Stripe's `purpose`, e.g. `dispute_evidence`.
    pub purpose: &'a str,
    /// The file's name, as the uploader gave it.
    pub filename: &'a str,
    /// Its MIME type.
    pub content_type: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

impl Upload<'_> {
    fn multipart(&self) -> reqwest::multipart::Form {
        let file = reqwest::multipart::Part::bytes(self.bytes.to_vec())
            .file_name(self.filename.to_owned());
        let file = file.mime_str(self.content_type).unwrap_or_else(|_| {
            reqwest::multipart::Part::bytes(self.bytes.to_vec()).file_name(self.filename.to_owned())
        });
        reqwest::multipart::Form::new()
            .text("purpose", self.purpose.to_owned())
            .part("file", file)
    }
}

/// What a request carries.
#[derive(Clone, Copy)]
enum Body<'a> {
    /// Form parameters: the body of a POST, the query of anything else.
    Form(&'a Form),
    /// A file, as `multipart/form-data`.
    File(&'a Upload<'a>),
}

/// Stripe's answer to a call, with the `Request-Id` it was given (what an audit log records).
#[derive(Clone, Debug)]
pub struct Answered<T> {
    /// The object Stripe returned.
    pub object: T,
    /// Stripe's `Request-Id` (`req_…`), for their support and our records.
    pub request_id: Option<String>,
}

/// How long a Stripe call made while applying a webhook event may take.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// When and how long to wait before trying a request again.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub max_retries: u32,
    /// The wait before the first retry; doubled for each further one.
    pub initial_backoff: Duration,
    /// The longest wait between attempts (a `Retry-After` from Stripe is capped to this too).
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based): exponential with jitter, capped.
    fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_backoff);
        }
        let exponential = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_backoff);
        // Half fixed, half random: retries from many clients do not arrive in lockstep.
        exponential / 2 + exponential.mul_f64(rand::random::<f64>() / 2.0)
    }
}

impl StripeClient {
    /// A client for the configured Stripe.
    pub fn new(config: &StripeConfig) -> Self {
        Self::with_retry_policy(
            config,
            RetryPolicy {
                max_retries: config.max_network_retries,
                initial_backoff: Duration::from_millis(500),
                max_backoff: Duration::from_secs(5),
            },
        )
    }

    /// A client with its own retry timing (tests use short waits).
    pub fn with_retry_policy(config: &StripeConfig, retry: RetryPolicy) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("Tollgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS backend is compiled in");
        Self {
            http,
            api_base: config.api_base.clone(),
            files_base: config.files_base.clone(),
            secret_key: config.secret_key.clone(),
            retry,
            request_timeout: None,
            stripe_account: None,
            metrics: None,
        }
    }

    /// The same client, counting each attempt's latency and outcome in `metrics`.
    pub fn counted_in(self, metrics: Arc<Metrics>) -> Self {
        Self {
            metrics: Some(metrics),
            ..self
        }
    }

    /// The same client acting on the connected account `account` (`acct_…`): every call carries
    /// `Stripe-Account`, so balances, payouts and objects are that account's.
    pub fn for_account(&self, account: &str) -> Self {
        Self {
            stripe_account: Some(account.to_owned()),
            ..self.clone()
        }
    }

    /// The same client without retries and with a 10 s timeout, for the webhook workers: a
    /// failed attempt is retried by the inbox, with backoff, instead of holding the worker.
    pub fn for_webhooks(&self) -> Self {
        Self {
            retry: RetryPolicy {
                max_retries: 0,
                ..self.retry
            },
            request_timeout: Some(WEBHOOK_TIMEOUT),
            ..self.clone()
        }
    }

    /// The same client without retries and with `timeout` for each request: for calls that are
    /// better skipped than waited for.
    pub fn once_within(&self, timeout: Duration) -> Self {
        Self {
            request_timeout: Some(timeout),
            ..self.for_webhooks()
        }
    }

    /// `GET {path}?{query}`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &Form,
    ) -> Result<T, StripeError> {
        Ok(self.send(Method::GET, path, query, None).await?.object)
    }

    /// `POST {path}` with a form body. The key makes retries (ours, and a user's double click
    /// when the key is derived from what the call does) safe: Stripe runs the call once.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &Form,
        idempotency_key: &str,
    ) -> Result<T, StripeError> {
        Ok(self
            .post_answered(path, form, idempotency_key)
            .await?
            .object)
    }

    /// As [`Self::post`], with Stripe's `Request-Id` for the record.
    pub async fn post_answered<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &Form,
        idempotency_key: &str,
    ) -> Result<Answered<T>, StripeError> {
        self.send(Method::POST, path, form, Some(idempotency_key))
            .await
    }

    /// `DELETE {path}`.
    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, StripeError> {
        Ok(self
            .send(Method::DELETE, path, &Form::new(), None)
            .await?
            .object)
    }

    /// `DELETE {path}`, with Stripe's `Request-Id` for the record.
    pub async fn delete_answered<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Answered<T>, StripeError> {
        self.send(Method::DELETE, path, &Form::new(), None).await
    }

    /// Uploads a file to Stripe's files host (`POST /v1/files`, multipart: `purpose`, `file`).
    pub(super) async fn upload<T: DeserializeOwned>(
        &self,
        upload: &Upload<'_>,
        idempotency_key: &str,
    ) -> Result<Answered<T>, StripeError> {
        self.send_to(
            &self.files_base,
            Method::POST,
            "/v1/files",
            Body::File(upload),
            Some(idempotency_key),
        )
        .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        form: &Form,
        idempotency_key: Option<&str>,
    ) -> Result<Answered<T>, StripeError> {
        self.send_to(
            &self.api_base,
            method,
            path,
            Body::Form(form),
            idempotency_key,
        )
        .await
    }

    async fn send_to<T: DeserializeOwned>(
        &self,
        base: &Url,
        method: Method,
        path: &str,
        body: Body<'_>,
        idempotency_key: Option<&str>,
    ) -> Result<Answered<T>, StripeError> {
        let mut url = base.join(path).map_err(|source| StripeError::Url {
            path: path.to_owned(),
            source,
        })?;
        let encoded = match body {
            Body::Form(form) => form.encode(),
            Body::File(_) => String::new(),
        };
        if method != Method::POST && !encoded.is_empty() {
            url.set_query(Some(&encoded));
        }
        let mut retry = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(self.secret_key.expose_secret())
                .header("Stripe-Version", API_VERSION);
            if let Some(timeout) = self.request_timeout {
                request = request.timeout(timeout);
            }
            match body {
                Body::Form(_) if method == Method::POST => {
                    request = request
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body(encoded.clone());
                }
                Body::Form(_) => {}
                // Built again for every attempt: a multipart body is consumed by sending it.
                Body::File(upload) => request = request.multipart(upload.multipart()),
            }
            if let Some(key) = idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            if let Some(account) = &self.stripe_account {
                request = request.header("Stripe-Account", account);
            }
            let started = std::time::Instant::now();
            let sent = request.send().await;
            let answered = match sent {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    Ok((status, headers, response.bytes().await))
                }
                Err(source) => Err(source),
            };
            if let Some(metrics) = &self.metrics {
                let outcome = match &answered {
                    Ok((status, _, Ok(_))) => StripeOutcome::of_status(status.as_u16()),
                    _ => StripeOutcome::Unreachable,
                };
                metrics.stripe_call(method_label(&method), outcome, started.elapsed());
            }
            let failure = match answered {
                Ok((status, headers, bytes)) => {
                    match bytes {
                        Ok(bytes) if status.is_success() => {
                            let object = serde_json::from_slice(&bytes).map_err(|source| {
                                StripeError::Decode {
                                    path: path.to_owned(),
                                    source,
                                }
                            })?;
                            return Ok(Answered {
                                object,
                                request_id: request_id(&headers),
                            });
                        }
                        Ok(bytes) => {
                            let error = api_error(status, &headers, &bytes);
                            if !should_retry(status, &headers) {
                                return Err(error);
                            }
                            (error, retry_after(&headers))
                        }
                        // The answer was cut off: the request may or may not have run; the
                        // idempotency key makes trying again safe.
                        Err(source) => (network(&url, source), None),
                    }
                }
                Err(source) => (network(&url, source), None),
            };
            let (error, retry_after) = failure;
            if retry >= self.retry.max_retries {
                return Err(error);
            }
            let wait = self.retry.backoff(retry, retry_after);
            tracing::warn!(%method, path, retry = retry + 1, ?wait, error = %error, "retrying a Stripe request");
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }
}

/// The method as a metrics label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

fn network(url: &Url, source: reqwest::Error) -> StripeError {
    let mut url = url.clone();
    url.set_query(None);
    StripeError::Network {
        url: url.to_string(),
        source,
    }
}

/// Stripe's error body, or a stand-in when the body is not one (a proxy's error page).
fn api_error(status: StatusCode, headers: &HeaderMap, bytes: &[u8]) -> StripeError {
    let error = serde_json::from_slice::<ErrorBody>(bytes)
        .map(|body| body.error)
        .unwrap_or_else(|_| super::error::ApiError {
            kind: "api_error".to_owned(),
            message: Some(format!(
                "HTTP {status} with a body that is not a Stripe error: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            )),
            ..Default::default()
        });
    StripeError::Api {
        status: status.as_u16(),
        error,
        request_id: request_id(headers),
    }
}

/// Stripe's `Request-Id` header.
fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Stripe's `Stripe-Should-Retry` header decides when present; otherwise 409 (the same key still
/// in flight), 429 and 5xx are worth another attempt.
fn should_retry(status: StatusCode, headers: &HeaderMap) -> bool {
    match headers
        .get("stripe-should-retry")
        .and_then(|v| v.to_str().ok())
    {
        Some("true") => true,
        Some("false") => false,
        _ => {
            status == StatusCode::CONFLICT
                || status == StatusCode::TOO_MANY_REQUESTS
                || status.is_server_error()
        }
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy {
            max_retries: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
        };
        let first = policy.backoff(0, None);
        assert!((Duration::from_millis(50)..=Duration::from_millis(100)).contains(&first));
        let second = policy.backoff(1, None);
        assert!((Duration::from_millis(100)..=Duration::from_millis(200)).contains(&second));
        assert!(policy.backoff(10, None) <= Duration::from_millis(350));
        assert_eq!(
            policy.backoff(0, Some(Duration::from_secs(60))),
            Duration::from_millis(350)
        );
    }

    #[test]
    fn stripes_should_retry_header_overrides_the_status() {
        let mut headers = HeaderMap::new();
        assert!(should_retry(StatusCode::SERVICE_UNAVAILABLE, &headers));
        assert!(should_retry(StatusCode::TOO_MANY_REQUESTS, &headers));
        assert!(!should_retry(StatusCode::BAD_REQUEST, &headers));
        assert!(!should_retry(StatusCode::PAYMENT_REQUIRED, &headers));
        headers.insert("stripe-should-retry", "false".parse().unwrap());
        assert!(!should_retry(StatusCode::SERVICE_UNAVAILABLE, &headers));
        headers.insert("stripe-should-retry", "true".parse().unwrap());
        assert!(should_retry(StatusCode::BAD_REQUEST, &headers));
    }
}
