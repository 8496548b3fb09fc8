//! The error every form's server function returns: a message for one field, or for the form.
//!
//! Without JavaScript, a failed form post is redirected back to the page with this error encoded
//! in the URL (`?__path=…&__err=…`, Leptos's form redirects); the page's `ServerAction` picks it
//! up while rendering and shows it inline. The server renders such a URL only for the browser
//! whose post it redirected, once (`server::form_errors`): a link carrying an error of someone
//! else's making is sent to the page without it.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// What went wrong with a form submission, as shown to the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum FormError {
    /// One field's value was refused; shown under that field.
    #[error("{field}: {message}")]
    Field { field: String, message: String },
    /// The form as a whole was refused (wrong credentials, expired link, our fault).
    #[error("{0}")]
    Form(String),
    /// There is no such page or object for this user (the operator console to a non-admin):
    /// the page shows "Page not found" with status 404.
    #[error("not found")]
    NotFound,
    /// The server function machinery failed (decoding, network).
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for FormError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::ServerFn(value)
    }
}

impl FormError {
    /// The message for `field`, if the error is about it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            Self::Field { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }

    /// The message for the form as a whole, if the error is not about one field.
    pub fn for_form(&self) -> Option<String> {
        match self {
            Self::Field { .. } => None,
            Self::Form(message) => Some(message.clone()),
            Self::NotFound => Some("There is nothing at this address.".to_owned()),
            Self::ServerFn(_) => Some(GENERIC.to_owned()),
        }
    }
}

/// What the user sees when the fault is ours; the cause is in the logs.
pub const GENERIC: &str = "Something went wrong on our side. Please try again in a moment.";

/// What the user sees when every database connection stayed busy for too long: nothing broke,
/// the request came at a busy moment.
pub const BUSY: &str = "We are busier than usual right now. Please try again in a moment.";

#[cfg(feature = "ssr")]
impl From<backend::auth::AuthError> for FormError {
    fn from(error: backend::auth::AuthError) -> Self {
        use backend::auth::AuthError;
        match error {
            AuthError::Invalid { field, message } => Self::Field {
                field: field.to_owned(),
                message: message.into_owned(),
            },
            AuthError::EmailTaken { field } => Self::Field {
                field: field.to_owned(),
                message: "An account with this email already exists.".to_owned(),
            },
            AuthError::InvalidCredentials => {
                Self::Form("That email and password do not match an account.".to_owned())
            }
            AuthError::InvalidToken => Self::Form(
                "This link is invalid, already used or expired. Ask for a new one.".to_owned(),
            ),
            AuthError::NotSignedIn => {
                Self::Form("Your session has ended. Sign in again.".to_owned())
            }
            AuthError::Unexpected(error) if backend::db::is_overload(error.as_ref()) => {
                tracing::warn!(error.cause_chain = ?error, "a form submission found the database busy");
                Self::Form(BUSY.to_owned())
            }
            AuthError::Unexpected(error) => {
                // The one place a server function's internal error is logged: the cause chain
                // stays here, the browser gets a generic sentence.
                tracing::error!(error.cause_chain = ?error, "a form submission failed");
                Self::Form(GENERIC.to_owned())
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<backend::billing::BillingError> for FormError {
    fn from(error: backend::billing::BillingError) -> Self {
        use backend::billing::BillingError;
        let message = match error {
            error if backend::db::is_overload(&error) => {
                tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), "a billing request found the database busy");
                BUSY
            }
            BillingError::PriceUnavailable => {
                "This plan is not available any more. Please pick another one."
            }
            BillingError::AlreadySubscribed => {
                "You already have a subscription. Change or cancel it from your account page."
            }
            BillingError::NotFound => "We could not find that checkout.",
            BillingError::NoSuchSubscription => "We could not find that subscription.",
            BillingError::NotNow(reason) => reason,
            BillingError::NotOwner => {
                "Only the organization's owners manage its billing. Ask an owner, or switch to your personal account."
            }
            BillingError::NoCustomer => {
                "You have not bought anything yet, so there is no billing account to manage."
            }
            BillingError::Card(message) => return Self::Form(message),
            BillingError::Stripe { ref source, .. } => {
                let refused = source.is_refusal();
                tracing::error!(error.cause_chain = ?anyhow::Error::new(error), "a call to Stripe failed");
                if refused {
                    // Stripe answered, and said no: trying again will not help.
                    "Our payment provider could not do that. Nothing was changed or charged; please contact us if it keeps happening."
                } else {
                    "We could not reach our payment provider. Please try again in a moment."
                }
            }
            error @ (BillingError::Database { .. } | BillingError::Unexpected(_)) => {
                // The step that failed, then its cause chain.
                tracing::error!(error.cause_chain = ?anyhow::Error::new(error), "a billing request failed");
                GENERIC
            }
        };
        Self::Form(message.to_owned())
    }
}

#[cfg(feature = "ssr")]
impl From<backend::organizations::OrganizationError> for FormError {
    fn from(error: backend::organizations::OrganizationError) -> Self {
        use backend::organizations::OrganizationError;
        match error {
            OrganizationError::NotFound => Self::NotFound,
            OrganizationError::Forbidden(who) => {
                Self::Form(format!("Only the organization's {who} can do this."))
            }
            OrganizationError::Invalid { field, message } => Self::Field {
                field: field.to_owned(),
                message,
            },
            OrganizationError::LastOwner => Self::Form(
                "An organization needs an owner: make someone else owner first, or delete the organization."
                    .to_owned(),
            ),
            OrganizationError::InvitationInvalid => Self::Form(
                "This invitation is invalid, already used, withdrawn or expired. Ask for a new one."
                    .to_owned(),
            ),
            OrganizationError::InvitationForSomeoneElse => Self::Form(
                "This invitation is for another email address. Sign in with the invited address to accept it."
                    .to_owned(),
            ),
            OrganizationError::SeatsFull(cap) => Self::Form(format!(
                "Your plan includes {cap} seats, and they are all taken. Upgrade the plan on the pricing page to add more people."
            )),
            OrganizationError::Billing(error) => (*error).into(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<backend::console::ConsoleError> for FormError {
    fn from(error: backend::console::ConsoleError) -> Self {
        use backend::console::ConsoleError;
        match error {
            ConsoleError::NotFound => Self::NotFound,
            ConsoleError::Invalid { field, message } => Self::Field {
                field: field.to_owned(),
                message,
            },
            ConsoleError::ConfirmPassword { message } => Self::Field {
                field: "password".to_owned(),
                message: message.to_owned(),
            },
            ConsoleError::Refused(message) => {
                Self::Form(format!("Stripe refused: {message} Nothing was changed."))
            }
            ConsoleError::NotNow(reason) => Self::Form(reason.to_owned()),
            ConsoleError::BadFile(problem) => Self::Field {
                field: "file".to_owned(),
                message: problem.to_string(),
            },
            ConsoleError::Billing(error) => (*error).into(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<backend::partners::PartnerError> for FormError {
    fn from(error: backend::partners::PartnerError) -> Self {
        use backend::partners::PartnerError;
        match error {
            PartnerError::NotFound => Self::NotFound,
            PartnerError::Invalid { field, message } => Self::Field {
                field: field.to_owned(),
                message,
            },
            PartnerError::Refused(message) => {
                Self::Form(format!("Stripe refused: {message} Nothing was changed."))
            }
            PartnerError::NotNow(reason) => Self::Form(reason.to_owned()),
            PartnerError::Billing(error) => (*error).into(),
        }
    }
}
