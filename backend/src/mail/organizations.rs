//! The messages organizations send: the invitation.

use url::Url;

use super::{
    messages::{escape, page},
    Mail,
};
use crate::auth::EmailAddress;

/// Sent to an invited address: who invited them to which organization, and the link that joins.
pub fn invitation(to: &EmailAddress, organization: &str, inviter: &str, link: &Url) -> Mail {
    let text = format!(
        "{inviter} invited you to join {organization} on Tollgate.\n\n\
         Join here (the link works once, for 7 days; sign in or create an account with this \
         address):\n{link}\n\nIf you did not expect this, ignore this message."
    );
    let html = page(
        &format!("Join {} on Tollgate", escape(organization)),
        &format!(
            "<p>{inviter} invited you to join {organization} on Tollgate.</p>\
             <p><a href=\"{href}\">Join {organization}</a> (the link works once, for 7 days; sign \
             in or create an account with this address).</p>\
             <p>If you did not expect this, ignore this message.</p>",
            inviter = escape(inviter),
            organization = escape(organization),
            href = escape(link.as_str())
        ),
    );
    Mail {
        to: to.clone(),
        subject: format!("Join {organization} on Tollgate"),
        text,
        html,
    }
}
