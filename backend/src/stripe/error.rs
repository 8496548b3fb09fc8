//! [`StripeError`]: what a call to Stripe can fail with.

use serde::Deserialize;

/// A failed Stripe call. Callers decide what the user sees: [`StripeError::user_message`] is set
/// only for errors that are the user's to fix (a declined card), never for our own faults.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error object (4xx/5xx). A `card_error` is a 402 for the user; the
    /// rest are our faults (500).
    #[error("Stripe answered {status} ({}): {}", .error.kind, .error.message.as_deref().unwrap_or("no message"))]
    Api {
        /// The HTTP status.
        status: u16,
        /// Stripe's error object.
        error: ApiError,
        /// Stripe's `Request-Id`, for their support and our logs.
        request_id: Option<String>,
    },
    /// No answer arrived: connection refused, reset or timed out (after the retries). 503.
    #[error("could not reach Stripe at {url}")]
    Network {
        /// Where we were going.
        url: String,
        /// What `reqwest` saw.
        #[source]
        source: reqwest::Error,
    },
    /// Stripe answered 2xx with a body our types cannot read. 500.
    #[error("could not read Stripe's answer to {path}")]
    Decode {
        /// The request path.
        path: String,
        /// The mismatch.
        #[source]
        source: serde_json::Error,
    },
    /// `STRIPE_API_BASE` joined with a path is not a URL (a bug or a broken configuration). 500.
    #[error("bad Stripe URL for {path}")]
    Url {
        /// The request path.
        path: String,
        /// Why it did not parse.
        #[source]
        source: url::ParseError,
    },
}

/// Stripe's `{"error": {…}}` body.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ApiError {
    /// `api_error`, `card_error`, `idempotency_error` or `invalid_request_error`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// A machine-readable code, e.g. `card_declined`, `resource_missing`.
    pub code: Option<String>,
    /// For card errors, why the bank declined: `generic_decline`, `insufficient_funds`, …
    pub decline_code: Option<String>,
    /// A human-readable message; for card errors it is written for the cardholder.
    pub message: Option<String>,
    /// The parameter at fault.
    pub param: Option<String>,
}

/// The envelope Stripe wraps [`ApiError`] in.
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ApiError,
}

impl StripeError {
    /// Whether Stripe said the object does not exist (404 `resource_missing`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api { status: 404, .. })
    }

    /// Whether Stripe refused a price we named: it does not exist or is no longer active.
    pub fn is_invalid_price(&self) -> bool {
        matches!(self, Self::Api { status: 400 | 404, error, .. }
            if error.param.as_deref().is_some_and(|param| param.contains("price")))
    }

    /// Whether Stripe refused this request for good — invalid in the object's state (400), a
    /// declined payment (402), a missing object (404): sending it again changes nothing. Not a
    /// bad or restricted key (401, 403: our configuration, to fix and retry), an idempotency
    /// conflict (409) or a rate limit (429).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Api {
                status: 400 | 402 | 404,
                ..
            }
        )
    }

    /// Whether Stripe refused a parameter as such (400 naming `param`): a meter event whose
    /// `identifier` it already has, a `timestamp` out of its window.
    pub fn is_refused_param(&self, param: &str) -> bool {
        matches!(self, Self::Api { status: 400, error, .. } if error.param.as_deref() == Some(param))
    }

    /// Stripe's words for a refusal ([`Self::is_refusal`]): what an operator is shown when
    /// Stripe would not do what they asked (`balance_insufficient`, `charge_disputed`, …).
    pub fn refusal_message(&self) -> Option<&str> {
        match self {
            Self::Api { error, .. } if self.is_refusal() => error.message.as_deref(),
            _ => None,
        }
    }

    /// Stripe's `Request-Id` for a call it answered with an error.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The message to show the user when the error is theirs to fix (a declined card); `None`
    /// for everything that is our fault.
    pub fn user_message(&self) -> Option<&str> {
        match self {
            Self::Api { error, .. } if error.kind == "card_error" => error.message.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> StripeError {
        StripeError::Api {
            status,
            error: ApiError::default(),
            request_id: None,
        }
    }

    #[test]
    fn a_refusal_is_about_the_request_not_our_key_our_pace_or_stripes_health() {
        for status in [400, 402, 404] {
            assert!(answered(status).is_refusal(), "{status}");
        }
        for status in [401, 403, 409, 429, 500, 503] {
            assert!(!answered(status).is_refusal(), "{status}");
        }
        assert!(answered(404).is_not_found() && !answered(400).is_not_found());
    }
}
