//! Sessions on the HTTP side: the session layer's cookie settings, the middleware that resolves
//! the signed-in user for every page and server function, the email-confirmation link, and the
//! periodic clean-up of expired sessions and tokens.

use axum::{
    extract::{Extension, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use backend::{auth, auth::session_store::SessionStore, AppState, Config};
use serde::Deserialize;
use tower_sessions::{cookie::SameSite, Expiry, Session, SessionManagerLayer};

/// The session cookie's name over plain http (local development and tests).
pub const COOKIE: &str = "tollgate_session";

/// The session cookie's name over https: the `__Host-` prefix makes browsers accept it only
/// `Secure`, for `Path=/` and without a `Domain`, so no subdomain can plant or shadow it.
pub const HOST_COOKIE: &str = "__Host-tollgate_session";

/// Sessions in Postgres ([`SessionStore`]: loading one loads its account in the same statement,
/// a save never brings back an ended session); the cookie is `HttpOnly`, `SameSite=Lax`,
/// `Path=/`, and with an https `BASE_URL` `Secure` and named [`HOST_COOKIE`]; it expires after
/// `SESSION_IDLE_TIMEOUT_SECONDS` without a request. A session is saved when it changes;
/// [`resolve_user`] changes a signed-in one often enough to push its expiry forward
/// (`backend::auth::session::current_user`), not on every request.
/// Anonymous visitors have empty sessions, which are never stored.
pub fn session_layer(store: SessionStore, config: &Config) -> SessionManagerLayer<SessionStore> {
    let https = config.served_over_https();
    SessionManagerLayer::new(store)
        .with_name(if https { HOST_COOKIE } else { COOKIE })
        .with_path("/")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(https)
        .with_expiry(Expiry::OnInactivity(config.session_idle_timeout))
}

/// Whom a response was made for, and until when their session may last at most: put on the
/// response by [`resolve_user`] for a signed-in user (read by [`crate::page_cache`]).
#[derive(Clone, Copy, Debug)]
pub struct SignedInAs {
    pub account: uuid::Uuid,
    pub until: time::OffsetDateTime,
}

/// Puts the signed-in [`auth::User`] (if the session has a valid one) into the request's
/// extensions, where pages and server functions read it, with the
/// [`backend::billing::payer::Payer`] they act for: one round trip, the session's row joined
/// with its account (and one more to check the membership when the session names an
/// organization). A session past its absolute timeout,
/// or from before the account's last "sign out everywhere", is ended here. Responses to a
/// signed-in user are marked `Cache-Control: no-store` (they hold personal data) and carry
/// [`SignedInAs`].
pub async fn resolve_user(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let absolute = state.config.session_absolute_timeout;
    let idle = state.config.session_idle_timeout;
    let signed_in = match auth::session::current_user(&session, &state.db, idle, absolute).await {
        Ok(Some(auth::session::SignedInUser { user, until })) => {
            let signed_in = SignedInAs {
                account: user.id,
                until,
            };
            let (memberships, organization) = match acting_for(&state, &session, &user).await {
                Ok(found) => found,
                Err(error) => return unresolved(auth::AuthError::Unexpected(error)),
            };
            let payer = backend::billing::payer::Payer {
                actor: user.clone(),
                organization,
            };
            request.extensions_mut().insert(user);
            request.extensions_mut().insert(payer);
            // The organizations they belong to: the header's switcher lists them.
            request.extensions_mut().insert(memberships);
            Some(signed_in)
        }
        Ok(None) => None,
        // Rendering the page signed out would tell a signed-in user their session ended.
        Err(error) => return unresolved(error),
    };
    let mut response = next.run(request).await;
    if let Some(signed_in) = signed_in {
        response
            .headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
        response.extensions_mut().insert(signed_in);
    }
    response
}

/// The organizations the user belongs to (loaded with the session; looked up only for a session
/// whose row predates rows naming their account), and the one the session acts for if it names
/// one the user is still a member of — a removed member acts for themselves again, at once.
async fn acting_for(
    state: &AppState,
    session: &Session,
    user: &auth::User,
) -> anyhow::Result<(
    Vec<backend::organizations::Acting>,
    Option<backend::organizations::Acting>,
)> {
    use anyhow::Context;
    let memberships = match auth::session_store::memberships_loaded_with(session)
        .await
        .context("reading the memberships loaded with the session")?
    {
        Some(memberships) => memberships,
        None => backend::organizations::of_user(&state.db, user.id)
            .await
            .context("listing the user's organizations")?,
    };
    let chosen = session
        .get::<uuid::Uuid>(backend::organizations::SESSION_KEY)
        .await
        .context("reading the organization the session acts for")?;
    let acting = chosen.and_then(|id| {
        memberships
            .iter()
            .find(|membership| membership.organization_id == id)
            .cloned()
    });
    Ok((memberships, acting))
}

/// The answer when the session could not be read: 503 with `Retry-After` when the database was
/// only too busy, else 500; the cause is logged, the browser gets a sentence.
fn unresolved(error: auth::AuthError) -> Response {
    let overloaded = match &error {
        auth::AuthError::Unexpected(cause) => backend::db::is_overload(cause.as_ref()),
        _ => false,
    };
    if overloaded {
        tracing::warn!(error.cause_chain = ?error, "the database was too busy to resolve the signed-in user");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            app::errors::BUSY,
        )
            .into_response()
    } else {
        tracing::error!(error.cause_chain = ?error, "could not resolve the signed-in user");
        (StatusCode::INTERNAL_SERVER_ERROR, app::errors::GENERIC).into_response()
    }
}

#[derive(Deserialize)]
pub struct ConfirmEmail {
    token: String,
}

/// `POST /account/confirm-email` (the button on the page the mailed link opens, so that merely
/// fetching the link changes nothing): applies the change and returns to the account page with a
/// notice. The change ends every session of the account; the
/// device that follows the link stays signed in if it was signed in to that account.
pub async fn confirm_email(
    State(state): State<AppState>,
    session: Session,
    user: Option<Extension<auth::User>>,
    Form(query): Form<ConfirmEmail>,
) -> Redirect {
    let changed = match auth::profile::confirm_email_change(&state, &query.token).await {
        Ok(changed) => changed,
        Err(auth::AuthError::Unexpected(error)) => {
            tracing::error!(error.cause_chain = ?error, "confirming an email change failed");
            return Redirect::to("/account?notice=link-invalid");
        }
        Err(_) => return Redirect::to("/account?notice=link-invalid"),
    };
    if user.is_some_and(|Extension(user)| user.id == changed.user_id) {
        if let Err(error) = auth::session::renew(&session, changed.user_id, changed.epoch).await {
            // The email has changed; this device is merely signed out.
            tracing::warn!(error = %error, "keeping the session after an email change failed");
        }
    }
    Redirect::to("/account?notice=email-changed")
}

#[derive(Deserialize)]
pub struct VerifyEmail {
    token: String,
}

/// `GET /account/verify-email?token=…` (the link mailed at sign-up): confirms the account's
/// address and returns to the account page with a notice. Unlike an email change, the link acts
/// when fetched: all it records is that mail to the address arrives, which a mail scanner
/// fetching it for the mailbox shows as well.
pub async fn verify_email(
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<VerifyEmail>,
) -> Redirect {
    match auth::verification::confirm(&state, &query.token).await {
        Ok(()) => Redirect::to("/account?notice=email-confirmed"),
        Err(auth::AuthError::Unexpected(error)) => {
            tracing::error!(error.cause_chain = ?error, "confirming an address failed");
            Redirect::to("/account?notice=link-invalid")
        }
        Err(_) => Redirect::to("/account?notice=link-invalid"),
    }
}

/// Every `SESSION_CLEANUP_INTERVAL_SECONDS`: deletes expired sessions and mailed-link tokens
/// that expired more than a day ago, and lets the rate limiter forget idle clients. Runs until
/// the process ends.
pub async fn housekeeping(store: SessionStore, state: AppState) {
    use tower_sessions::ExpiredDeletion;

    let mut interval = tokio::time::interval(state.config.session_cleanup_interval);
    loop {
        interval.tick().await;
        if let Err(error) = store.delete_expired().await {
            tracing::warn!(error = %error, "deleting expired sessions failed");
        }
        if let Err(error) = auth::tokens::delete_expired(&state.db).await {
            tracing::warn!(error = %error, "deleting expired tokens failed");
        }
        state.auth_rate_limits.forget_idle_keys();
        state.billing_rate_limit.forget_idle_keys();
    }
}
