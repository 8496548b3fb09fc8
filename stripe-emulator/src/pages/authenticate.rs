//! The 3-D Secure test page a `requires_action` PaymentIntent or SetupIntent points to
//! (`next_action.redirect_to_url.url` / `use_stripe_sdk.stripe_js`): complete or fail the
//! authentication, then back to the `return_url` if there is one.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{escape, money, page, problem};
use crate::payments::{self, setup, Status};
use crate::Emulator;

/// `GET /authenticate/{intent}`
pub async fn show(State(emulator): State<Emulator>, Path(id): Path<String>) -> Response {
    let intent = emulator.read(|world| {
        world
            .find("payment_intent", &id)
            .or_else(|| world.find("setup_intent", &id))
            .cloned()
    });
    let Some(intent) = intent.filter(|intent| Status::of(intent) == Status::RequiresAction) else {
        return problem(
            StatusCode::NOT_FOUND,
            "Nothing to authenticate",
            "This payment does not need authentication.",
        );
    };
    let what = match intent["amount"].as_i64() {
        Some(amount) => format!(
            "confirm a payment of {}",
            money(amount, intent["currency"].as_str().unwrap_or("usd"))
        ),
        None => "confirm saving your card".to_owned(),
    };
    let body = format!(
        r#"<h1>3D Secure 2 test page</h1>
<p>Your bank asks you to {what}.</p>
<form method="post" action="/authenticate/{id}">
<button type="submit" name="outcome" value="approve">Complete authentication</button>
<button type="submit" name="outcome" value="fail" class="secondary">Fail authentication</button></form>"#,
        what = escape(&what),
        id = escape(&id),
    );
    page(StatusCode::OK, "Authenticate", &body)
}

/// `POST /authenticate/{intent}`: the outcome the customer chose.
pub async fn finish(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let approved = form.get("outcome").map(String::as_str) == Some("approve");
    let outcome = emulator.mutate(|world| {
        let return_url = world
            .find("payment_intent", &id)
            .or_else(|| world.find("setup_intent", &id))
            .and_then(|intent| intent["next_action"]["redirect_to_url"]["return_url"].as_str())
            .map(str::to_owned);
        let result = if world.find("setup_intent", &id).is_some() {
            if approved {
                setup::confirm(world, &id, None, true)
            } else {
                setup::authentication_failed(world, &id)
            }
        } else {
            payments::authenticated(world, &id, approved)
        };
        result.map(|_| return_url)
    });
    match outcome {
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        Ok(None) if approved => page(
            StatusCode::OK,
            "Authenticated",
            "<h1>Authentication complete</h1><p>You can close this page.</p>",
        ),
        Ok(None) => page(
            StatusCode::OK,
            "Authentication failed",
            "<h1>Authentication failed</h1><p>You can close this page.</p>",
        ),
        Err(error) => problem(
            StatusCode::PAYMENT_REQUIRED,
            "Payment failed",
            &error.message,
        ),
    }
}
