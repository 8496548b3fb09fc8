//! [`OrganizationError`]: what organization services fail with. Each variant's doc says what the
//! user is shown (`app/src/errors.rs` maps them).

use crate::billing::BillingError;

/// An organization request failed.
#[derive(Debug, thiserror::Error)]
pub enum OrganizationError {
    /// No such organization, or the user is not in it (the two look the same): 404.
    #[error("not found")]
    NotFound,
    /// The user's role does not allow it (a member managing members, an admin managing billing):
    /// 403, with what it takes.
    #[error("only {0} may do this")]
    Forbidden(&'static str),
    /// A field's value was refused; shown under the field.
    #[error("{field}: {message}")]
    Invalid {
        /// The form field.
        field: &'static str,
        /// What to fix.
        message: String,
    },
    /// The organization would be left without an owner; the page says to make someone else owner
    /// first.
    #[error("an organization needs an owner")]
    LastOwner,
    /// The invitation link is unknown, used, revoked or past its 7 days.
    #[error("the invitation is no longer valid")]
    InvitationInvalid,
    /// The invitation was sent to another address than the signed-in account's.
    #[error("the invitation is for another address")]
    InvitationForSomeoneElse,
    /// The plan's `max_seats` is reached; the page offers the upgrade.
    #[error("the plan's {0} seats are taken")]
    SeatsFull(i64),
    /// The database, Stripe or mail failed at a named step: logged; a generic sentence is shown.
    #[error(transparent)]
    Billing(Box<BillingError>),
}

impl From<BillingError> for OrganizationError {
    fn from(error: BillingError) -> Self {
        Self::Billing(Box::new(error))
    }
}

impl OrganizationError {
    /// A database error as the user error its constraint stands for (the last-owner rule), else
    /// the failed step.
    pub fn from_db(error: sqlx::Error, step: &'static str) -> Self {
        use crate::billing::Step;
        let constraint = error
            .as_database_error()
            .and_then(|db| db.constraint())
            .map(str::to_owned);
        match constraint.as_deref() {
            Some("memberships_one_owner") => Self::LastOwner,
            Some("organizations_name_length") => Self::Invalid {
                field: "name",
                message: "Give the organization a name of 1 to 80 characters.".into(),
            },
            _ => error.step(step).into(),
        }
    }
}
