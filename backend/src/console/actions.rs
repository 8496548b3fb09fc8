//! How every console action that calls Stripe runs: the form it came from names it (its
//! idempotency key), a form already done is not done again, the password is asked for when money
//! moves outside its window, Stripe's refusal is shown in its words, and whatever came of it is
//! written to the audit log.

use std::future::Future;

use secrecy::SecretString;
use tower_sessions::Session;
use uuid::Uuid;

use super::{
    audit::{self, Action, Outcome, Record},
    confirm, Admin, ConsoleError,
};
use crate::{
    auth::User,
    billing::{money::Money, Step},
    ratelimit::ClientNetwork,
    stripe::{Answered, StripeError},
    AppState,
};

/// Who acts, from where.
pub struct Requester<'a> {
    /// The signed-in user (an admin: [`Admin::check`] passed).
    pub user: &'a User,
    /// The admin.
    pub admin: &'a Admin,
    /// The request's session (for the password window).
    pub session: &'a Session,
    /// The client's network, for the password check's failure ledger (set on the requests that
    /// may carry a password).
    pub network: Option<ClientNetwork>,
}

/// One action to run.
pub struct Act<'a> {
    /// What it is.
    pub action: Action,
    /// On what (`ch_…`, `du_…`, a payout's currency).
    pub object_id: &'a str,
    /// Money it moves.
    pub amount: Option<Money>,
    /// The Stripe call's idempotency key ([`key`]).
    pub key: String,
    /// What the admin gave (a reason), for the log.
    pub detail: Option<&'a str>,
    /// Whether money moves (then the password window applies).
    pub moves_money: bool,
    /// The password the form carried, if any.
    pub password: Option<SecretString>,
}

/// What came of running an action.
pub enum Ran<T> {
    /// Stripe did it now.
    Done(T),
    /// The same form was done before: nothing was sent again.
    AlreadyDone,
}

/// The idempotency key of `action` on `object` from the form `form_id` (minted when the page
/// was rendered), with what makes the request itself (an amount): the same form submitted twice
/// has the same key.
pub fn key(
    action: Action,
    object: &str,
    form_id: &str,
    extra: &str,
) -> Result<String, ConsoleError> {
    let form_id = Uuid::parse_str(form_id).map_err(|_| ConsoleError::Invalid {
        field: "form_id",
        message: "This form is out of date: reload the page and try again.".to_owned(),
    })?;
    Ok(format!(
        "tollgate-{}-{object}-{extra}-{form_id}",
        action.as_str()
    ))
}

/// Runs `call` (given the key) for `by`, logging the outcome; see the module docs.
pub async fn run<T, F, Fut>(
    state: &AppState,
    by: &Requester<'_>,
    mut act: Act<'_>,
    call: F,
) -> Result<Ran<T>, ConsoleError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Answered<T>, StripeError>>,
{
    if audit::succeeded(&state.db, &act.key)
        .await
        .step("checking whether this form was already done")?
    {
        return Ok(Ran::AlreadyDone);
    }
    if act.moves_money {
        let password = act.password.take();
        confirm::require(state, by.session, by.user, by.network, password).await?;
    }
    match call(act.key.clone()).await {
        Ok(answered) => {
            log(
                state,
                by.admin,
                &act,
                Outcome::Succeeded,
                answered.request_id.as_deref(),
                act.detail,
            )
            .await
            .step("writing the action to the audit log")?;
            Ok(Ran::Done(answered.object))
        }
        Err(error) => match error.refusal_message().map(str::to_owned) {
            Some(message) => {
                log(
                    state,
                    by.admin,
                    &act,
                    Outcome::Refused,
                    error.request_id(),
                    Some(&message),
                )
                .await
                .step("writing the refusal to the audit log")?;
                Err(ConsoleError::Refused(message))
            }
            None => {
                log(
                    state,
                    by.admin,
                    &act,
                    Outcome::Failed,
                    error.request_id(),
                    Some(&error.to_string()),
                )
                .await
                .step("writing the failure to the audit log")?;
                Err(error.step("calling Stripe for the action").into())
            }
        },
    }
}

/// Whether running an action may have changed something in Stripe (its outcome, or a refusal
/// that shows the mirror is behind): not when it stopped at the password, a field or a missing
/// object, which asked Stripe nothing.
pub fn reached_stripe<T>(ran: &Result<Ran<T>, ConsoleError>) -> bool {
    !matches!(
        ran,
        Err(ConsoleError::ConfirmPassword { .. }
            | ConsoleError::Invalid { .. }
            | ConsoleError::NotFound
            | ConsoleError::BadFile(_))
    )
}

/// Logs an action refused by a rule of ours before Stripe was asked; the error to return.
pub async fn refuse(
    state: &AppState,
    admin: &Admin,
    act: &Act<'_>,
    why: &'static str,
) -> Result<ConsoleError, ConsoleError> {
    log(state, admin, act, Outcome::Refused, None, Some(why))
        .await
        .step("writing the refusal to the audit log")?;
    Ok(ConsoleError::Refused(why.to_owned()))
}

/// Writes what came of `act` to the audit log.
async fn log(
    state: &AppState,
    admin: &Admin,
    act: &Act<'_>,
    outcome: Outcome,
    request_id: Option<&str>,
    detail: Option<&str>,
) -> Result<bool, sqlx::Error> {
    audit::record(
        &state.db,
        admin,
        &Record {
            action: act.action,
            object_id: act.object_id,
            amount: act.amount.clone(),
            idempotency_key: Some(&act.key),
            stripe_request_id: request_id,
            outcome,
            detail,
        },
    )
    .await
}
