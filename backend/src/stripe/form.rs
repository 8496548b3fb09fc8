//! Stripe's request encoding: `application/x-www-form-urlencoded` with bracketed keys
//! (`line_items[0][price]=price_1`, `expand[]=subscription`).

use std::fmt::Display;

/// An ordered list of form fields. Keys are written as Stripe spells them, brackets included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key=value`.
    pub fn set(mut self, key: impl Into<String>, value: impl Display) -> Self {
        self.0.push((key.into(), value.to_string()));
        self
    }

    /// Adds `key=value` when there is a value.
    pub fn set_some(self, key: impl Into<String>, value: Option<impl Display>) -> Self {
        match value {
            Some(value) => self.set(key, value),
            None => self,
        }
    }

    /// Adds `key[name]=value` for each entry of a map (metadata).
    pub fn set_map<'a>(
        mut self,
        key: &str,
        entries: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Self {
        for (name, value) in entries {
            self = self.set(format!("{key}[{name}]"), value);
        }
        self
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[(String, String)] {
        &self.0
    }

    /// A short fingerprint of the fields (16 hex digits of their SHA-256), for idempotency keys
    /// derived from what a call sends: the same content always gets the same key.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.encode().as_bytes()))[..16].to_owned()
    }

    /// The urlencoded body (or query string).
    pub fn encode(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.0)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracketed_keys_and_values_are_percent_encoded() {
        let form = Form::new()
            .set("line_items[0][price]", "price_1")
            .set(
                "success_url",
                "https://x.test/ok?session_id={CHECKOUT_SESSION_ID}",
            )
            .set_some("customer", None::<&str>);
        assert_eq!(
            form.encode(),
            "line_items%5B0%5D%5Bprice%5D=price_1&success_url=https%3A%2F%2Fx.test%2Fok%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D"
        );
    }
}
