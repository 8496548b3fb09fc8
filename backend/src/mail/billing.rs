//! The messages billing sends: a failed payment, a trial about to end, a trial paused for want
//! of a card, a subscription that ended.
//! Each links to the account page, where the card is updated through Stripe's portal.

use url::Url;

use super::{
    messages::{escape, page},
    Mail,
};
use crate::auth::EmailAddress;

/// A renewal (or first) payment failed: update the card (on the account page, through
/// "Manage billing"), or pay the invoice on Stripe's page with another card.
pub fn payment_failed(
    to: &EmailAddress,
    plan: &str,
    amount: &str,
    account: &Url,
    invoice_page: Option<&str>,
) -> Mail {
    let pay_text = invoice_page
        .map(|url| format!("\n\nOr pay this invoice now with another card:\n{url}"))
        .unwrap_or_default();
    let pay_html = invoice_page
        .map(|url| {
            format!(
                "<p>Or <a href=\"{}\">pay this invoice now</a> with another card.</p>",
                escape(url)
            )
        })
        .unwrap_or_default();
    let text = format!(
        "We could not charge {amount} for your Tollgate {plan} plan.\n\n\
         Update your card so your plan continues (we will try the payment again): open\n\
         {account}\nand choose \"Manage billing\".{pay_text}"
    );
    let html = page(
        "Your payment failed",
        &format!(
            "<p>We could not charge {amount} for your Tollgate {plan} plan.</p>\
             <p><a href=\"{href}\">Update your card</a> (choose \"Manage billing\") so your plan \
             continues; we will try the payment again.</p>{pay_html}",
            amount = escape(amount),
            plan = escape(plan),
            href = escape(account.as_str())
        ),
    );
    Mail {
        to: to.clone(),
        subject: format!("Payment failed for your Tollgate {plan} plan"),
        text,
        html,
    }
}

/// What happens when a trial ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterTrial {
    /// The plan continues and the card on file is charged.
    Charged,
    /// There is no card: the plan pauses until one is added.
    Pauses,
    /// The user canceled: the plan ends with the trial.
    Ends,
}

/// A trial ends in a few days (Stripe says so three days before).
pub fn trial_ending(
    to: &EmailAddress,
    plan: &str,
    ends_on: &str,
    account: &Url,
    after: AfterTrial,
) -> Mail {
    let next = match after {
        AfterTrial::Charged => {
            "After that your plan continues and your card is charged. To change or cancel it, visit:"
        }
        AfterTrial::Pauses => {
            "To keep it, add a card before then (choose \"Add a card\"); without one your plan pauses. Add it at:"
        }
        AfterTrial::Ends => {
            "As you canceled it, your plan ends then and nothing is charged. Changed your mind? Resume it at:"
        }
    };
    let text =
        format!("Your free trial of Tollgate {plan} ends on {ends_on}.\n\n{next}\n{account}");
    let html = page(
        "Your trial ends soon",
        &format!(
            "<p>Your free trial of Tollgate {plan} ends on {ends_on}.</p>\
             <p>{next} <a href=\"{href}\">{href}</a></p>",
            plan = escape(plan),
            ends_on = escape(ends_on),
            next = escape(next),
            href = escape(account.as_str())
        ),
    );
    Mail {
        to: to.clone(),
        subject: format!("Your Tollgate {plan} trial ends on {ends_on}"),
        text,
        html,
    }
}

/// A trial ended without a card and Stripe paused the plan: add one to continue.
pub fn trial_paused(to: &EmailAddress, plan: &str, account: &Url) -> Mail {
    let text = format!(
        "Your free trial of Tollgate {plan} has ended, and as there is no card on file your plan \
         is paused. Add a card to continue where you left off: open\n{account}\n\
         and choose \"Add a card\". Nothing is charged until you do."
    );
    let html = page(
        "Your trial has ended",
        &format!(
            "<p>Your free trial of Tollgate {plan} has ended, and as there is no card on file \
             your plan is paused.</p><p><a href=\"{href}\">Add a card</a> to continue where you \
             left off. Nothing is charged until you do.</p>",
            plan = escape(plan),
            href = escape(account.as_str())
        ),
    );
    Mail {
        to: to.clone(),
        subject: format!("Your Tollgate {plan} plan is paused: add a card to continue"),
        text,
        html,
    }
}

/// A subscription ended. `paid_until`: it was canceled early and keeps its features until then.
pub fn subscription_canceled(
    to: &EmailAddress,
    plan: &str,
    pricing: &Url,
    paid_until: Option<&str>,
) -> Mail {
    let access = match paid_until {
        Some(date) => {
            format!("You keep its features until {date}, the end of the period you paid for.")
        }
        None => "Its features are no longer available.".to_owned(),
    };
    let text = format!(
        "Your Tollgate {plan} subscription has ended. {access}\n\n\
         You can subscribe again at any time:\n{pricing}"
    );
    let html = page(
        "Your subscription has ended",
        &format!(
            "<p>Your Tollgate {plan} subscription has ended. {access}</p>\
             <p><a href=\"{href}\">Subscribe again</a> at any time.</p>",
            plan = escape(plan),
            access = escape(&access),
            href = escape(pricing.as_str())
        ),
    );
    Mail {
        to: to.clone(),
        subject: format!("Your Tollgate {plan} subscription has ended"),
        text,
        html,
    }
}
