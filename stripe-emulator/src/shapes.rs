//! Object shapes held against Stripe's description ([`crate::spec`]): every object the emulator
//! answers or sends in an event must carry each field its type always has (possibly `null`) and
//! no field Stripe's type lacks. Objects nested anywhere (list entries, expansions, an event's
//! `data.object`) are checked too; a deleted object's stub is checked as `deleted <kind>`.

use serde_json::Value;

use crate::spec::Spec;

/// Everything wrong with the shapes of the objects in `value`, one line each (empty if none).
pub fn problems(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(value, "", &mut found);
    found
}

/// The object kinds found in `value` that Stripe's description has, with how often each occurs.
pub fn kinds(value: &Value, seen: &mut std::collections::BTreeMap<String, usize>) {
    match value {
        Value::Object(map) => {
            if let Some(kind) = described_kind(value) {
                *seen.entry(kind).or_default() += 1;
            }
            for member in map.values() {
                kinds(member, seen);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| kinds(item, seen)),
        _ => {}
    }
}

/// The description's name for an object's type: its `object`, or `deleted <object>` for a stub.
fn described_kind(value: &Value) -> Option<String> {
    let kind = value.get("object")?.as_str()?;
    let kind = if value.get("deleted") == Some(&Value::Bool(true)) {
        format!("deleted {kind}")
    } else {
        kind.to_owned()
    };
    Spec::object(&kind).map(|_| kind)
}

fn walk(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(kind) = described_kind(value) {
                let fields = Spec::object(&kind).expect("described_kind checked it");
                let id = map.get("id").and_then(Value::as_str).unwrap_or("?");
                for field in &fields.always {
                    if !map.contains_key(field) {
                        found.push(format!("{kind} {id} at `{at}`: lacks `{field}`"));
                    }
                }
                for key in map.keys() {
                    if !fields.always.contains(key) && !fields.optional.contains(key) {
                        found.push(format!(
                            "{kind} {id} at `{at}`: has `{key}`, which Stripe's {kind} has not"
                        ));
                    }
                }
            }
            for (key, member) in map {
                walk(member, &format!("{at}.{key}"), found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(item, &format!("{at}[{index}]"), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_missing_and_an_invented_field_are_both_named() {
        let fields = Spec::object("billing_portal.session").unwrap();
        let mut session = serde_json::Map::new();
        for field in &fields.always {
            session.insert(field.clone(), Value::Null);
        }
        session.insert("object".into(), json!("billing_portal.session"));
        session.insert("id".into(), json!("bps_1"));
        assert!(problems(&Value::Object(session.clone())).is_empty());

        session.remove("return_url");
        session.insert("invented".into(), json!(true));
        let found = problems(&json!({ "data": [Value::Object(session)] }));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("lacks `return_url`"), "{found:?}");
        assert!(found[1].contains("has `invented`"), "{found:?}");
    }
}
