//! Checks a request's parameters against Stripe's description of the operation
//! ([`crate::spec`]) before anything runs, answering as Stripe does: an unknown or removed
//! parameter → `parameter_unknown`; a missing required one → `parameter_missing`; a value
//! that is not an integer → `parameter_invalid_integer`; an empty string where nothing may be
//! unset → `parameter_invalid_empty`; a value outside an enum, or of the wrong shape → an
//! `invalid_request_error` naming the parameter (Stripe's error-code list has no code for these).

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::form::Params;
use crate::spec::Schema;

/// Checks every parameter of a request against `schema` (the operation's `Object` schema).
pub fn check(schema: &Schema, params: &Params) -> Result<(), ApiError> {
    object(schema, &params.0, &mut Vec::new())
}

/// The parameter's name as Stripe writes it in errors: `items[0][price]`.
fn name(path: &[String]) -> String {
    let mut out = path.first().cloned().unwrap_or_default();
    for part in &path[1..] {
        out.push('[');
        out.push_str(part);
        out.push(']');
    }
    out
}

/// Checks the members of a hash (or the whole request).
fn object(
    schema: &Schema,
    map: &Map<String, Value>,
    path: &mut Vec<String>,
) -> Result<(), ApiError> {
    let Schema::Object { props, req, extra } = schema else {
        return value(schema, &Value::Object(map.clone()), path);
    };
    for (key, member) in map {
        path.push(key.clone());
        let result = match (props.get(key), extra) {
            (Some(schema), _) => value(schema, member, path),
            (None, Some(schema)) => map_value(schema, member, path),
            (None, None) => Err(ApiError::unknown_parameter(&name(path))),
        };
        path.pop();
        result?;
    }
    for required in req {
        if !map.contains_key(required) {
            path.push(required.clone());
            let error = ApiError::missing(&path.join("."));
            path.pop();
            return Err(error);
        }
    }
    Ok(())
}

/// A value under a map's free-form key (`metadata[anything]`): an empty string unsets the key.
fn map_value(schema: &Schema, member: &Value, path: &mut Vec<String>) -> Result<(), ApiError> {
    if member.as_str() == Some("") {
        return Ok(());
    }
    value(schema, member, path)
}

/// Checks one value against its schema.
fn value(schema: &Schema, member: &Value, path: &mut Vec<String>) -> Result<(), ApiError> {
    let param = || name(path);
    match schema {
        Schema::Any => Ok(()),
        Schema::AnyOf { of } => any_of(of, member, path),
        Schema::Object { .. } => match member {
            Value::Object(map) => object(schema, map, path),
            // `metadata[0]=x` arrives as an array; Stripe reads the index as a key.
            Value::Array(items) => {
                let map = items
                    .iter()
                    .enumerate()
                    .filter(|(_, item)| !item.is_null())
                    .map(|(index, item)| (index.to_string(), item.clone()))
                    .collect();
                object(schema, &map, path)
            }
            Value::String(text) if text.is_empty() => Err(not_unsettable(&param())),
            _ => Err(ApiError::invalid("Invalid hash", Some(&param()))),
        },
        Schema::Array { items } => match member {
            Value::Array(elements) => {
                for (index, element) in elements.iter().enumerate() {
                    if element.is_null() {
                        continue;
                    }
                    path.push(index.to_string());
                    let result = value(items, element, path);
                    path.pop();
                    result?;
                }
                Ok(())
            }
            Value::String(text) if text.is_empty() => Err(not_unsettable(&param())),
            _ => Err(ApiError::invalid("Invalid array", Some(&param()))),
        },
        scalar => {
            let Value::String(text) = member else {
                return Err(ApiError::invalid(
                    format!(
                        "Invalid {}: expected a single value, not a hash or an array",
                        param()
                    ),
                    Some(&param()),
                ));
            };
            if text.is_empty() && !matches!(scalar, Schema::Empty) {
                return Err(not_unsettable(&param()));
            }
            self::scalar(scalar, text, &param())
        }
    }
}

/// Checks a plain value.
fn scalar(schema: &Schema, text: &str, param: &str) -> Result<(), ApiError> {
    match schema {
        Schema::String { choices: None } => Ok(()),
        Schema::String {
            choices: Some(choices),
        } => {
            if choices.iter().any(|choice| choice == text) {
                Ok(())
            } else {
                Err(ApiError::invalid(
                    format!("Invalid {param}: must be one of {}", one_of(choices)),
                    Some(param),
                ))
            }
        }
        Schema::Integer => text.parse::<i64>().map(drop).map_err(|_| {
            ApiError::invalid_code(
                "parameter_invalid_integer",
                format!("Invalid integer: {text}"),
                Some(param),
            )
        }),
        Schema::Number => match text.parse::<f64>() {
            Ok(number) if number.is_finite() => Ok(()),
            _ => Err(ApiError::invalid(
                format!("Invalid decimal: {text}"),
                Some(param),
            )),
        },
        Schema::Boolean => match text {
            "true" | "false" => Ok(()),
            _ => Err(ApiError::invalid(
                format!("Invalid boolean: {text}"),
                Some(param),
            )),
        },
        Schema::Empty if text.is_empty() => Ok(()),
        Schema::Empty => Err(ApiError::invalid(
            format!("Invalid {param}: must be empty"),
            Some(param),
        )),
        Schema::Any | Schema::AnyOf { .. } | Schema::Object { .. } | Schema::Array { .. } => {
            unreachable!("`value` handles composite schemas")
        }
    }
}

/// A value that may take several shapes passes if one accepts it; otherwise the error of the
/// shape closest to what was sent is reported.
fn any_of(of: &[Schema], member: &Value, path: &mut Vec<String>) -> Result<(), ApiError> {
    let mut closest = None;
    for schema in of {
        match value(schema, member, path) {
            Ok(()) => return Ok(()),
            Err(error) => {
                let fits = matches!(
                    (schema, member),
                    (Schema::Object { .. }, Value::Object(_) | Value::Array(_))
                        | (Schema::Array { .. }, Value::Array(_))
                        | (
                            Schema::String { .. }
                                | Schema::Integer
                                | Schema::Number
                                | Schema::Boolean,
                            Value::String(_)
                        )
                );
                if closest.is_none() || (fits && !closest.as_ref().is_some_and(|(fit, _)| *fit)) {
                    closest = Some((fits, error));
                }
            }
        }
    }
    Err(closest
        .map(|(_, error)| error)
        .unwrap_or_else(|| ApiError::invalid(format!("Invalid {}", name(path)), Some(&name(path)))))
}

/// `a, b, or c`, as Stripe lists allowed values.
fn one_of(choices: &[String]) -> String {
    match choices {
        [] => String::new(),
        [only] => only.clone(),
        [first, second] => format!("{first} or {second}"),
        [rest @ .., last] => format!("{}, or {last}", rest.join(", ")),
    }
}

/// 400 `parameter_invalid_empty`: an empty string for a parameter that cannot be unset.
fn not_unsettable(param: &str) -> ApiError {
    ApiError::invalid_code(
        "parameter_invalid_empty",
        format!(
            "You passed an empty string for '{param}'. We assume empty values are an attempt to \
             unset a parameter; however '{param}' cannot be unset. You should remove '{param}' \
             from your request or supply a non-empty value."
        ),
        Some(param),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;

    fn check_on(method: &str, path: &str, body: &str) -> Result<(), ApiError> {
        let operation = Spec::operation(method, path).expect("operation described");
        check(&operation.params, &Params::parse(body.as_bytes()).unwrap())
    }

    #[test]
    fn a_valid_request_passes() {
        check_on(
            "POST",
            "/v1/checkout/sessions",
            "mode=subscription&line_items[0][price]=price_1&line_items[0][quantity]=1\
             &success_url=https://x.test/ok&metadata[user]=u1&expand[]=line_items",
        )
        .unwrap();
    }

    #[test]
    fn a_value_outside_the_enum_names_the_parameter() {
        let error = check_on(
            "POST",
            "/v1/checkout/sessions",
            "mode=subscription&payment_method_collection=sometimes",
        )
        .unwrap_err();
        assert_eq!(error.param.as_deref(), Some("payment_method_collection"));
        assert!(
            error.message.contains("always or if_required"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_removed_parameter_is_unknown() {
        let error = check_on(
            "POST",
            "/v1/checkout/sessions",
            "mode=payment&payment_method_types[0]=card",
        )
        .unwrap_err();
        assert_eq!(error.code, Some("parameter_unknown"));
        assert_eq!(error.param.as_deref(), Some("payment_method_types"));
    }

    #[test]
    fn a_missing_required_member_of_a_hash_is_named() {
        let error = check_on(
            "POST",
            "/v1/subscriptions/{id}/resume",
            "billing_cycle_anchor[unknown]=x",
        )
        .unwrap_err();
        assert_eq!(error.code, Some("parameter_unknown"));
        let error = check_on("POST", "/v1/prices", "unit_amount=100").unwrap_err();
        assert_eq!(error.code, Some("parameter_missing"));
        assert_eq!(error.param.as_deref(), Some("currency"));
    }

    #[test]
    fn a_scalar_where_a_hash_belongs_is_refused() {
        let error = check_on(
            "POST",
            "/v1/subscriptions/{id}/resume",
            "billing_cycle_anchor=now",
        )
        .unwrap_err();
        assert_eq!(error.param.as_deref(), Some("billing_cycle_anchor"));
        check_on(
            "POST",
            "/v1/subscriptions/{id}/resume",
            "billing_cycle_anchor[type]=now",
        )
        .unwrap();
    }

    #[test]
    fn integers_and_booleans_are_checked() {
        let error = check_on("GET", "/v1/prices", "limit=ten").unwrap_err();
        assert_eq!(error.code, Some("parameter_invalid_integer"));
        assert_eq!(error.param.as_deref(), Some("limit"));
        let error = check_on("GET", "/v1/prices", "active=yes").unwrap_err();
        assert_eq!(error.param.as_deref(), Some("active"));
    }

    #[test]
    fn empty_strings_unset_only_what_can_be_unset() {
        check_on("POST", "/v1/customers/{id}", "metadata=").unwrap();
        check_on("POST", "/v1/customers/{id}", "metadata[plan]=").unwrap();
        let error = check_on("POST", "/v1/prices", "currency=&product=prod_1").unwrap_err();
        assert_eq!(error.code, Some("parameter_invalid_empty"));
    }
}
