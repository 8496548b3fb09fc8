//! Refunding a charge from the console, in full or in part, with a reason: never more than what
//! is left, refused while a dispute is open, and never twice for one submitted form — the
//! Stripe call's idempotency key is derived from the form, and a key that already succeeded is
//! not sent again.

use secrecy::SecretString;
use tower_sessions::Session;
use uuid::Uuid;

use super::{
    audit::{self, Action, Outcome, Record},
    confirm, payments,
    refetch::{self, Object},
    Admin, ConsoleError,
};
use crate::{
    auth::User,
    billing::{money::Money, Step},
    ratelimit::ClientNetwork,
    AppState,
};

/// Why a refund is made: Stripe's `reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The customer asked.
    RequestedByCustomer,
    /// Charged twice.
    Duplicate,
    /// Not the cardholder.
    Fraudulent,
}

impl Reason {
    /// Every reason, in the form's order.
    pub const ALL: [Self; 3] = [Self::RequestedByCustomer, Self::Duplicate, Self::Fraudulent];

    /// Stripe's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RequestedByCustomer => "requested_by_customer",
            Self::Duplicate => "duplicate",
            Self::Fraudulent => "fraudulent",
        }
    }

    /// In words, for the form.
    pub const fn in_words(self) -> &'static str {
        match self {
            Self::RequestedByCustomer => "Requested by the customer",
            Self::Duplicate => "Duplicate payment",
            Self::Fraudulent => "Fraudulent",
        }
    }

    /// Stripe's name read back.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|reason| reason.as_str() == value)
    }
}

/// The refund form as submitted.
#[derive(Debug)]
pub struct RefundForm {
    /// `ch_…`.
    pub charge: String,
    /// What the admin typed; empty: everything that is left.
    pub amount: String,
    /// Stripe's reason.
    pub reason: String,
    /// The form's id, minted when the page was rendered: the same form submitted twice is one
    /// refund.
    pub form_id: String,
    /// The admin's password, when asked for ([`confirm`]).
    pub password: Option<SecretString>,
}

/// Who is refunding, from where.
pub struct Requester<'a> {
    /// The signed-in user (an admin: [`Admin::check`] passed).
    pub user: &'a User,
    /// The admin.
    pub admin: &'a Admin,
    /// The request's session (for the password window).
    pub session: &'a Session,
    /// The client's network (for the password check's rate limit).
    pub network: ClientNetwork,
}

/// Refunds the charge; what was refunded. Submitting the same form again refunds nothing more
/// and answers the same.
#[tracing::instrument(skip(state, by, form), fields(charge = %form.charge, admin = %by.admin.email))]
pub async fn refund(
    state: &AppState,
    by: Requester<'_>,
    form: RefundForm,
) -> Result<Money, ConsoleError> {
    let form_id = Uuid::parse_str(&form.form_id).map_err(|_| ConsoleError::Invalid {
        field: "amount",
        message: "This form is out of date: reload the page and try again.".to_owned(),
    })?;
    let reason = Reason::parse(&form.reason).ok_or(ConsoleError::Invalid {
        field: "reason",
        message: "Choose a reason.".to_owned(),
    })?;
    let mut conn = state
        .db
        .acquire()
        .await
        .step("taking a connection for the refund")?;
    let charge = payments::charge(&mut conn, &form.charge)
        .await
        .step("reading the charge")?
        .ok_or(ConsoleError::NotFound)?;
    drop(conn);
    let left = charge.refundable();
    let amount = match form.amount.trim() {
        "" => left.clone(),
        typed => Money::parse(typed, &left.currency).ok_or_else(|| ConsoleError::Invalid {
            field: "amount",
            message: format!(
                "Enter an amount like {}, or leave it empty to refund everything left.",
                left.as_decimal()
            ),
        })?,
    };
    let key = format!("tollgate-refund-{}-{}-{form_id}", form.charge, amount.minor);
    if audit::succeeded(&state.db, &key)
        .await
        .step("checking whether this form was already done")?
    {
        return Ok(amount);
    }
    if left.minor == 0 {
        return Err(ConsoleError::NotNow(
            "This payment is refunded in full already.",
        ));
    }
    if amount.minor > left.minor {
        return Err(ConsoleError::Invalid {
            field: "amount",
            message: format!("At most {left} is left to refund."),
        });
    }
    confirm::require(state, by.session, by.user, by.network, form.password).await?;
    let record = |outcome, request_id: Option<&str>, detail: Option<&str>| {
        let key = key.clone();
        let amount = amount.clone();
        let charge = form.charge.clone();
        let detail = detail.map(str::to_owned);
        let request_id = request_id.map(str::to_owned);
        async move {
            audit::record(
                &state.db,
                by.admin,
                &Record {
                    action: Action::Refund,
                    object_id: &charge,
                    amount: Some(amount),
                    idempotency_key: Some(&key),
                    stripe_request_id: request_id.as_deref(),
                    outcome,
                    detail: detail.as_deref(),
                },
            )
            .await
            .step("writing the refund to the audit log")
        }
    };
    if charge.dispute_open() {
        let why = "This payment is disputed: it cannot be refunded while the dispute is open.";
        record(Outcome::Refused, None, Some(why)).await?;
        return Err(ConsoleError::Refused(why.to_owned()));
    }
    match state
        .stripe
        .create_refund(&form.charge, amount.minor, reason.as_str(), &key)
        .await
    {
        Ok(answered) => {
            refetch::now(&state.db, &state.stripe, Object::Charge(&form.charge)).await?;
            record(
                Outcome::Succeeded,
                answered.request_id.as_deref(),
                Some(reason.as_str()),
            )
            .await?;
            Ok(amount)
        }
        Err(error) => match error.refusal_message().map(str::to_owned) {
            Some(message) => {
                record(Outcome::Refused, error.request_id(), Some(&message)).await?;
                // What Stripe knows may be newer than the mirror (a dispute just opened).
                refetch::now(&state.db, &state.stripe, Object::Charge(&form.charge)).await?;
                Err(ConsoleError::Refused(message))
            }
            None => {
                let detail = error.to_string();
                record(Outcome::Failed, error.request_id(), Some(&detail)).await?;
                Err(error.step("refunding the charge in Stripe").into())
            }
        },
    }
}
