//! The messages billing sends: a failed payment, a trial about to end, a subscription that ended.
//! Each links to the account page, where the card is updated through Stripe's portal.

use url::Url;

use super::{
    messages::{escape, page},
    Mail,
};
use crate::auth::EmailAddress;

/// A renewal (or first) payment failed: update the card.
pub fn payment_failed(to: &EmailAddress, plan: &str, amount: &str, account: &Url) -> Mail {
    let text = format!(
        "We could not charge {amount} for your Tollgate {plan} plan.\n\n\
         Update your card so your plan continues (we will try the payment again):\n{account}\n\n\
         Open the link, then choose \"Manage billing\"."
    );
    let html = page(
        "Your payment failed",
        &format!(
            "<p>We could not charge {amount} for your Tollgate {plan} plan.</p>\
             <p><a href=\"{href}\">Update your card</a> so your plan continues (we will try the \
             payment again).</p>",
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

/// A trial ends in a few days (Stripe says so three days before).
pub fn trial_ending(to: &EmailAddress, plan: &str, ends_on: &str, account: &Url) -> Mail {
    let text = format!(
        "Your free trial of Tollgate {plan} ends on {ends_on}.\n\n\
         After that your plan continues and your card is charged. To change or cancel it, visit:\n\
         {account}"
    );
    let html = page(
        "Your trial ends soon",
        &format!(
            "<p>Your free trial of Tollgate {plan} ends on {ends_on}.</p>\
             <p>After that your plan continues and your card is charged. \
             <a href=\"{href}\">Change or cancel your plan</a>.</p>",
            plan = escape(plan),
            ends_on = escape(ends_on),
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

/// A subscription ended.
pub fn subscription_canceled(to: &EmailAddress, plan: &str, pricing: &Url) -> Mail {
    let text = format!(
        "Your Tollgate {plan} subscription has ended, and its features are no longer available.\n\n\
         You can subscribe again at any time:\n{pricing}"
    );
    let html = page(
        "Your subscription has ended",
        &format!(
            "<p>Your Tollgate {plan} subscription has ended, and its features are no longer \
             available.</p><p><a href=\"{href}\">Subscribe again</a> at any time.</p>",
            plan = escape(plan),
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
