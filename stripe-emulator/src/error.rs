//! Errors in Stripe's shape: `{"error": {type, code, decline_code, message, param}}` with the status
//! codes Stripe uses (400, 401, 402, 403, 404, 409).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One API error, answered as Stripe answers it.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status: 400 invalid request, 401 bad key, 402 card error, 403 no access to the
    /// account, 404 missing, 409 idempotency.
    pub status: StatusCode,
    /// `invalid_request_error`, `card_error`, `idempotency_error` or `api_error`.
    pub kind: &'static str,
    /// Stripe's error code, such as `resource_missing` or `card_declined`.
    pub code: Option<&'static str>,
    /// For card errors, why the bank declined (`generic_decline`, `insufficient_funds`).
    pub decline_code: Option<&'static str>,
    /// The human sentence.
    pub message: String,
    /// The parameter at fault, bracketed (`line_items[0][price]`).
    pub param: Option<String>,
    /// Objects Stripe attaches to the error (`payment_intent`, `setup_intent`, `charge`,
    /// `payment_method`), shown next to the message.
    pub objects: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        kind: &'static str,
        code: Option<&'static str>,
        message: String,
    ) -> Self {
        Self {
            status,
            kind,
            code,
            decline_code: None,
            message,
            param: None,
            objects: None,
        }
    }

    /// 400 for a malformed or out-of-range parameter.
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        let mut error = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            message.into(),
        );
        error.param = param.map(str::to_owned);
        error
    }

    /// 400 `parameter_invalid_*`-style error with a code.
    pub fn invalid_code(
        code: &'static str,
        message: impl Into<String>,
        param: Option<&str>,
    ) -> Self {
        let mut error = Self::invalid(message, param);
        error.code = Some(code);
        error
    }

    /// 400 `parameter_invalid_integer`: an amount that must be at least 1.
    pub fn not_positive(param: &str) -> Self {
        Self::invalid_code(
            "parameter_invalid_integer",
            "Invalid positive integer",
            Some(param),
        )
    }

    /// 400 `parameter_missing`.
    pub fn missing(path: &str) -> Self {
        let param = crate::form::bracketed(path);
        let mut error = Self::invalid_code(
            "parameter_missing",
            format!("Missing required param: {param}."),
            None,
        );
        error.param = Some(param);
        error
    }

    /// 400 `parameter_unknown`.
    pub fn unknown_parameter(param: &str) -> Self {
        Self::invalid_code(
            "parameter_unknown",
            format!("Received unknown parameter: {param}"),
            Some(param),
        )
    }

    /// 500 `api_error`: the emulator failed at something Stripe would have done.
    pub fn emulator_bug(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            None,
            message.into(),
        )
    }

    /// 404 `resource_missing`.
    pub fn missing_resource(kind: &str, id: &str, param: &str) -> Self {
        let mut error = Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            format!("No such {kind}: '{id}'"),
        );
        error.param = Some(param.to_owned());
        error
    }

    /// 404 for a path the emulator does not serve.
    pub fn unrecognized_url(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            None,
            format!("Unrecognized request URL ({method}: {path})."),
        )
    }

    /// 401 for a missing or malformed API key.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            message.into(),
        )
    }

    /// 403 `account_invalid`: a `Stripe-Account` header naming an account that does not exist or
    /// is not connected to the platform. The key is shown as Stripe masks it: its first eight
    /// characters, an asterisk for each hidden one, and its last four.
    pub fn account_invalid(key: &str, account: &str) -> Self {
        let shown = key.chars().count().saturating_sub(12);
        let masked: String = key
            .chars()
            .take(8)
            .chain(std::iter::repeat_n('*', shown))
            .chain(key.chars().skip(8 + shown))
            .collect();
        Self::new(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            Some("account_invalid"),
            format!(
                "The provided key '{masked}' does not have access to account '{account}' (or that account does not exist). \
                 Application access may have been revoked."
            ),
        )
    }

    /// 402 `card_declined` (or another card code) with its decline code.
    pub fn card(code: &'static str, decline_code: Option<&'static str>, message: &str) -> Self {
        let mut error = Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "card_error",
            Some(code),
            message.to_owned(),
        );
        error.decline_code = decline_code;
        error
    }

    /// 400 `idempotency_error`: the key was used with other parameters.
    pub fn idempotency(key: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "idempotency_error",
            None,
            format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. \
                 Try using a key other than '{key}' if you meant to execute a different request."
            ),
        )
    }

    /// 409 `idempotency_key_in_use`: a request with this key is still being processed (clients retry).
    pub fn idempotency_in_use(key: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "invalid_request_error",
            Some("idempotency_key_in_use"),
            format!(
                "There is currently another in-progress request using this Idempotent Key (that probably means you \
                 submitted twice, and the other request is still going through): {key}. Please try again later."
            ),
        )
    }

    /// 400 for a request that conflicts with the object's state.
    pub fn state(message: impl Into<String>) -> Self {
        Self::invalid(message, None)
    }

    /// The error with an object attached under `key` (the PaymentIntent a decline left behind).
    pub fn with(mut self, key: &str, object: serde_json::Value) -> Self {
        self.objects
            .get_or_insert_with(Default::default)
            .insert(key.to_owned(), object);
        self
    }

    /// The JSON body Stripe sends.
    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({ "type": self.kind, "message": self.message });
        if let Some(code) = self.code {
            error["code"] = json!(code);
            error["doc_url"] = json!(format!(
                "https://stripe.com/docs/error-codes/{}",
                code.replace('_', "-")
            ));
        }
        if let Some(decline_code) = self.decline_code {
            error["decline_code"] = json!(decline_code);
        }
        if let Some(param) = &self.param {
            error["param"] = json!(param);
        }
        for (key, object) in self.objects.iter().flat_map(|objects| objects.iter()) {
            error[key] = object.clone();
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}
