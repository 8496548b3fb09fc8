//! The messages the operator console sends to admins: a payment disputed.

use url::Url;

use super::{
    messages::{escape, page},
    Mail,
};
use crate::auth::EmailAddress;

/// A customer disputed a payment: answer with evidence by `due_by`, or accept it.
pub fn dispute_opened(
    to: &EmailAddress,
    amount: &str,
    reason: &str,
    due_by: Option<&str>,
    dispute: &Url,
) -> Mail {
    let deadline = match due_by {
        Some(date) => format!("Evidence is due by {date}."),
        None => "Answer it as soon as you can.".to_owned(),
    };
    let text = format!(
        "A payment of {amount} was disputed (reason: {reason}). {deadline}\n\n\
         Answer it with evidence, or accept it, in the console:\n{dispute}"
    );
    let html = page(
        "A payment was disputed",
        &format!(
            "<p>A payment of {amount} was disputed (reason: {reason}). {deadline}</p>\
             <p><a href=\"{href}\">Answer it in the console</a> with evidence, or accept it.</p>",
            amount = escape(amount),
            reason = escape(reason),
            deadline = escape(&deadline),
            href = escape(dispute.as_str())
        ),
    );
    Mail {
        to: to.clone(),
        subject: format!("A payment of {amount} was disputed"),
        text,
        html,
    }
}
