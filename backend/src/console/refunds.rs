//! Refunding a charge from the console, in full or in part, with a reason: never more than what
//! is left, refused while a dispute is open, and never twice for one submitted form — the
//! Stripe call's idempotency key is derived from the form, and a key that already succeeded is
//! not sent again.

use secrecy::SecretString;

use super::{
    actions::{self, Act, Requester},
    audit::{self, Action},
    payments,
    refetch::{self, Object},
    ConsoleError,
};
use crate::{
    billing::{money::Money, Step},
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

/// Refunds the charge; what was refunded. Submitting the same form again refunds nothing more
/// and answers the same.
#[tracing::instrument(skip(state, by, form), fields(charge = %form.charge, admin = %by.admin.email))]
pub async fn refund(
    state: &AppState,
    by: Requester<'_>,
    form: RefundForm,
) -> Result<Money, ConsoleError> {
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
        .await?
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
    let act = Act {
        action: Action::Refund,
        object_id: &form.charge,
        amount: Some(amount.clone()),
        key: actions::key(
            Action::Refund,
            &form.charge,
            &form.form_id,
            &amount.minor.to_string(),
        )?,
        detail: Some(reason.as_str()),
        moves_money: true,
        password: form.password,
    };
    if audit::succeeded(&state.db, &act.key)
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
    if charge.dispute_open() {
        let why = "This payment is disputed: it cannot be refunded while the dispute is open.";
        return Err(actions::refuse(state, by.admin, &act, why).await?);
    }
    let charge_id = form.charge.as_str();
    let minor = amount.minor;
    let ran = actions::run(state, &by, act, |key| async move {
        state
            .stripe
            .create_refund(charge_id, minor, reason.as_str(), &key)
            .await
    })
    .await;
    // Stored either way: what Stripe knows may be newer than the mirror (a dispute just opened).
    if actions::reached_stripe(&ran) {
        refetch::after_action(&state.db, &state.stripe, Object::Charge(&form.charge)).await;
    }
    ran.map(|_| amount)
}
