//! The messages the accounts feature sends, each with a plain-text and an HTML body. Links are
//! absolute, built from the configured `BASE_URL`.

use url::Url;

use super::Mail;
use crate::auth::EmailAddress;

/// `base_url` + `path` + `?token=…`.
pub fn link(base_url: &Url, path: &str, token: &str) -> Url {
    let mut url = base_url.join(path).expect("a path joins onto the base URL");
    url.query_pairs_mut().append_pair("token", token);
    url
}

/// The password-reset link.
pub fn password_reset(to: &EmailAddress, link: &Url) -> Mail {
    let text = format!(
        "Someone (hopefully you) asked to reset the password of your Tollgate account.\n\n\
         Choose a new password here (the link works once, for one hour):\n{link}\n\n\
         If you did not ask for this, ignore this message: your password has not changed."
    );
    let html = page(
        "Reset your password",
        &format!(
            "<p>Someone (hopefully you) asked to reset the password of your Tollgate account.</p>\
             <p><a href=\"{href}\">Choose a new password</a> (the link works once, for one hour).</p>\
             <p>If you did not ask for this, ignore this message: your password has not changed.</p>",
            href = escape(link.as_str())
        ),
    );
    Mail {
        to: to.clone(),
        subject: "Reset your Tollgate password".into(),
        text,
        html,
    }
}

/// Sent to the new address: the link that confirms it.
pub fn confirm_new_email(to: &EmailAddress, link: &Url) -> Mail {
    let text = format!(
        "Confirm that {to} should become the email address of your Tollgate account:\n{link}\n\n\
         The link works once, for one hour. If you did not ask for this, ignore this message."
    );
    let html = page(
        "Confirm your new email address",
        &format!(
            "<p>Confirm that {to} should become the email address of your Tollgate account:</p>\
             <p><a href=\"{href}\">Confirm this address</a></p>\
             <p>The link works once, for one hour. If you did not ask for this, ignore this message.</p>",
            to = escape(to.as_str()),
            href = escape(link.as_str())
        ),
    );
    Mail {
        to: to.clone(),
        subject: "Confirm your new Tollgate email address".into(),
        text,
        html,
    }
}

/// Sent at sign-up (and again on request): the link that confirms the account's address.
pub fn confirm_address(to: &EmailAddress, link: &Url) -> Mail {
    let text = format!(
        "Welcome to Tollgate. Confirm that {to} is your address:\n{link}\n\n\
         A confirmed address can start a free trial without a card. The link works once, for \
         one hour; your account page sends a new one. If you did not sign up, ignore this message."
    );
    let html = page(
        "Confirm your email address",
        &format!(
            "<p>Welcome to Tollgate. Confirm that {to} is your address:</p>\
             <p><a href=\"{href}\">Confirm my address</a></p>\
             <p>A confirmed address can start a free trial without a card. The link works once, \
             for one hour; your account page sends a new one. If you did not sign up, ignore this \
             message.</p>",
            to = escape(to.as_str()),
            href = escape(link.as_str())
        ),
    );
    Mail {
        to: to.clone(),
        subject: "Confirm your Tollgate email address".into(),
        text,
        html,
    }
}

/// Sent to the old address when a change to `new` is requested.
pub fn email_change_requested(old: &EmailAddress, new: &EmailAddress) -> Mail {
    let text = format!(
        "Someone signed in to your Tollgate account asked to change its email address to {new}.\n\n\
         The change happens once the new address is confirmed. If this was not you, change your \
         password now and sign out everywhere from your account settings."
    );
    let html = page(
        "Your email address is being changed",
        &format!(
            "<p>Someone signed in to your Tollgate account asked to change its email address to {new}.</p>\
             <p>The change happens once the new address is confirmed. If this was not you, change \
             your password now and sign out everywhere from your account settings.</p>",
            new = escape(new.as_str())
        ),
    );
    Mail {
        to: old.clone(),
        subject: "Your Tollgate email address is being changed".into(),
        text,
        html,
    }
}

pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family: sans-serif; line-height: 1.5\"><h1>{title}</h1>{body}\
         <p>— Tollgate</p></body></html>"
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_absolute_under_the_base_url() {
        let base = Url::parse("https://app.example.com").unwrap();
        let to = EmailAddress::parse("a@example.com", "email").unwrap();
        let mail = password_reset(&to, &link(&base, "/reset-password", "abc"));
        assert!(mail
            .text
            .contains("https://app.example.com/reset-password?token=abc"));
        assert!(mail
            .html
            .contains("href=\"https://app.example.com/reset-password?token=abc\""));
    }

    #[test]
    fn html_bodies_escape_what_users_typed() {
        let old = EmailAddress::parse("a@example.com", "email").unwrap();
        let new = EmailAddress::parse("<b>@example.com", "email").unwrap();
        let mail = email_change_requested(&old, &new);
        assert!(mail.html.contains("&lt;b&gt;@example.com"));
        assert!(!mail.html.contains("<b>@"));
    }
}
