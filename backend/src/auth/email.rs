//! Email addresses: normalised (trimmed, lower-case) before they are stored or looked up.

use std::fmt;

use super::AuthError;

/// A normalised email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Trims and lower-cases `raw`, then checks it looks like `local@domain.tld` and is at most
    /// 254 characters (the SMTP limit). `field` is the form field errors are reported against.
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, AuthError> {
        let email = raw.trim().to_lowercase();
        let invalid = || AuthError::invalid(field, "Enter an email address like name@example.com.");
        if email.is_empty() {
            return Err(AuthError::invalid(field, "Enter your email address."));
        }
        if email.chars().count() > 254 || email.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    /// Wraps an address read from the database (already normalised).
    pub(crate) fn from_stored(email: String) -> Self {
        Self(email)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = EmailAddress::parse("  Ada.Lovelace@Example.COM ", "email").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
    }

    #[test]
    fn things_that_are_not_email_addresses_are_refused() {
        for raw in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(EmailAddress::parse(raw, "email").is_err(), "{raw:?}");
        }
    }
}
