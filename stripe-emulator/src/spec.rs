//! Stripe's API as the official SDK describes it for our pinned version: every operation's
//! parameters (names, nesting, types, enum values, which are required) and every object's
//! always-present fields. Generated from stripe-node's type declarations into
//! `spec/endive.json` (see `spec/README.md`), compiled in, and read once.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde::Deserialize;

/// The description, parsed on first use. It is constant data compiled into the binary, so one
/// copy serves every emulator in the process.
static SPEC: LazyLock<Spec> = LazyLock::new(|| {
    let mut spec: Spec = serde_json::from_str(include_str!("../spec/endive.json"))
        .expect("spec/endive.json is the generator's output");
    spec.index = spec
        .operations
        .iter()
        .enumerate()
        .map(|(at, operation)| ((operation.method.clone(), operation.path.clone()), at))
        .collect();
    spec
});

/// The whole description.
#[derive(Debug, Deserialize)]
pub struct Spec {
    /// The API version it describes; the same as [`crate::API_VERSION`].
    pub api_version: String,
    operations: Vec<Operation>,
    /// Each object type (by its `object` value) and its fields.
    pub objects: BTreeMap<String, ObjectFields>,
    #[serde(skip)]
    index: HashMap<(String, String), usize>,
}

/// One operation: a method on a path template whose parameters are written `{}`.
#[derive(Debug, Deserialize)]
pub struct Operation {
    /// `GET`, `POST` or `DELETE`.
    pub method: String,
    /// `/v1/subscriptions/{}/resume`.
    pub path: String,
    /// What the query string or form body may hold (an `Object` schema).
    pub params: Schema,
}

/// The top-level fields of one object type.
#[derive(Debug, Deserialize)]
pub struct ObjectFields {
    /// Present in every answer that carries the object (possibly `null`).
    pub always: Vec<String>,
    /// Present only when expanded or asked for with `include[]`.
    pub optional: Vec<String>,
}

/// The type of one parameter, as the SDK declares it.
#[derive(Debug, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Schema {
    /// A string; `choices` when only some values are allowed.
    String {
        #[serde(rename = "enum")]
        choices: Option<Vec<String>>,
    },
    /// A whole number.
    Integer,
    /// A decimal number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// The empty string: Stripe's way of unsetting a field.
    Empty,
    /// A hash with known keys (`props`, of which `req` are required) and, for maps such as
    /// `metadata`, any other key whose value is `extra`.
    Object {
        #[serde(default)]
        props: BTreeMap<String, Schema>,
        #[serde(default)]
        req: Vec<String>,
        extra: Option<Box<Schema>>,
    },
    /// An array of `items`.
    Array { items: Box<Schema> },
    /// Any one of several shapes (`integer | 'now'`, a hash or `''`).
    AnyOf { of: Vec<Schema> },
    /// Not described further.
    Any,
}

impl Spec {
    fn get() -> &'static Spec {
        &SPEC
    }

    /// The operation `method` on `template` (an axum route such as `/v1/customers/{id}`).
    pub fn operation(method: &str, template: &str) -> Option<&'static Operation> {
        let spec = Self::get();
        let at = spec.index.get(&(method.to_owned(), normalise(template)))?;
        spec.operations.get(*at)
    }

    /// The fields of the object whose `object` value is `kind`.
    pub fn object(kind: &str) -> Option<&'static ObjectFields> {
        Self::get().objects.get(kind)
    }

    /// The API version described.
    pub fn api_version() -> &'static str {
        &Self::get().api_version
    }

    /// Whether `kind` is one of Stripe's event types: what a webhook endpoint may enable
    /// (`enabled_events[]` of `POST /v1/webhook_endpoints`).
    pub fn is_event_type(kind: &str) -> bool {
        static TYPES: LazyLock<Vec<String>> = LazyLock::new(|| {
            let Some(Schema::Object { props, .. }) =
                Spec::operation("POST", "/v1/webhook_endpoints").map(|operation| &operation.params)
            else {
                return Vec::new();
            };
            match props.get("enabled_events") {
                Some(Schema::Array { items }) => match items.as_ref() {
                    Schema::String {
                        choices: Some(choices),
                    } => choices
                        .iter()
                        .filter(|kind| *kind != "*")
                        .cloned()
                        .collect(),
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            }
        });
        TYPES.iter().any(|known| known == kind)
    }
}

/// `/v1/customers/{id}/sources/{source}` → `/v1/customers/{}/sources/{}`.
fn normalise(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_event_types_are_known_by_name() {
        assert!(Spec::is_event_type("invoice.paid"));
        assert!(Spec::is_event_type("account.external_account.updated"));
        assert!(!Spec::is_event_type("invoice.bogus"));
        assert!(!Spec::is_event_type("*"));
    }

    #[test]
    fn the_description_is_for_the_emulated_version() {
        assert_eq!(Spec::api_version(), crate::API_VERSION);
    }

    #[test]
    fn route_templates_find_their_operation() {
        let resume = Spec::operation("POST", "/v1/subscriptions/{id}/resume").unwrap();
        assert_eq!(resume.path, "/v1/subscriptions/{}/resume");
        assert!(Spec::operation("PATCH", "/v1/customers").is_none());
    }
}
