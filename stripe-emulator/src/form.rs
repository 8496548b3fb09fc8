//! Stripe's request parameters: bracketed form encoding (`items[0][price]=…`, `expand[]=…`) parsed
//! into a JSON tree, and typed accessors over it (`validate.rs` checks them against Stripe's
//! description first).

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The parameters of one request: the query string and the form body, merged.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Map<String, Value>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes with Stripe's bracket conventions.
    pub fn parse(raw: &[u8]) -> Result<Self, ApiError> {
        let mut root = Value::Object(Map::new());
        for (count, (key, value)) in url::form_urlencoded::parse(raw).enumerate() {
            if count >= MAX_PARAMETERS {
                return Err(ApiError::invalid(
                    format!("Too many parameters: at most {MAX_PARAMETERS} in one request."),
                    None,
                ));
            }
            let path = split_key(&key)
                .ok_or_else(|| ApiError::invalid(format!("Invalid parameter name: {key}"), None))?;
            insert(&mut root, &path, Value::String(value.into_owned())).map_err(|()| {
                ApiError::invalid(
                    format!("Invalid array or hash parameter: {key}"),
                    Some(&key),
                )
            })?;
        }
        let Value::Object(map) = root else {
            unreachable!("root is an object")
        };
        Ok(Self(map))
    }

    /// Refuses a top-level parameter not in `known`, as Stripe does. Only for Stripe's internal
    /// endpoints, which its API description leaves out; every public operation is checked
    /// against the description instead (`validate.rs`).
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self
            .0
            .keys()
            .find(|key| *key != "expand" && !known.contains(&key.as_str()))
        {
            Some(key) => Err(ApiError::unknown_parameter(key)),
            None => Ok(()),
        }
    }

    /// The value at a dotted path (`recurring.interval`), if present.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let mut current = self.0.get(parts.next()?)?;
        for part in parts {
            current = match current {
                Value::Object(map) => map.get(part)?,
                Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// A string parameter; an empty string counts as given (it unsets fields in Stripe).
    pub fn str(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }

    /// Whether the filter `path` is absent or equals `value` (`customer=cus_…` against an object).
    pub fn matches(&self, path: &str, value: &Value) -> bool {
        self.str(path).is_none_or(|wanted| value == wanted)
    }

    /// A required string parameter.
    pub fn required(&self, path: &str) -> Result<&str, ApiError> {
        match self.str(path) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(ApiError::missing(path)),
        }
    }

    /// An integer parameter.
    pub fn int(&self, path: &str) -> Result<Option<i64>, ApiError> {
        match self.str(path) {
            None => Ok(None),
            Some("") => Ok(None),
            Some(raw) => raw.parse().map(Some).map_err(|_| {
                ApiError::invalid(format!("Invalid integer: {raw}"), Some(&bracketed(path)))
            }),
        }
    }

    /// A required amount of at least 1 (`amount` of a payout, transfer or top-up).
    pub fn positive_amount(&self, path: &str) -> Result<i64, ApiError> {
        let amount = self.int(path)?.ok_or_else(|| ApiError::missing(path))?;
        if amount < 1 {
            return Err(ApiError::not_positive(&bracketed(path)));
        }
        Ok(amount)
    }

    /// An integer parameter that must lie in `range` (Stripe's limits keep the arithmetic sane).
    pub fn int_in(
        &self,
        path: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, ApiError> {
        match self.int(path)? {
            Some(value) if !range.contains(&value) => Err(ApiError::invalid(
                format!(
                    "Invalid {}: must be between {} and {}",
                    bracketed(path),
                    range.start(),
                    range.end()
                ),
                Some(&bracketed(path)),
            )),
            value => Ok(value),
        }
    }

    /// A boolean parameter (`true` / `false`).
    pub fn bool(&self, path: &str) -> Result<Option<bool>, ApiError> {
        match self.str(path) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(raw) => Err(ApiError::invalid(
                format!("Invalid boolean: {raw}"),
                Some(&bracketed(path)),
            )),
        }
    }

    /// One of a fixed set of strings.
    pub fn one_of(&self, path: &str, choices: &[&str]) -> Result<Option<String>, ApiError> {
        match self.str(path) {
            None => Ok(None),
            Some(value) if choices.contains(&value) => Ok(Some(value.to_owned())),
            Some(value) => Err(ApiError::invalid(
                format!(
                    "Invalid {}: must be one of {} (got {value})",
                    bracketed(path),
                    choices.join(", ")
                ),
                Some(&bracketed(path)),
            )),
        }
    }

    /// An array parameter's elements (`expand[]`, `items[0]…`), in index order.
    pub fn array(&self, path: &str) -> Vec<&Value> {
        match self.get(path) {
            Some(Value::Array(items)) => items.iter().filter(|item| !item.is_null()).collect(),
            Some(Value::Object(map)) => map.values().collect(),
            Some(other) => vec![other],
            None => Vec::new(),
        }
    }

    /// A list of strings (`expand[]`, `lookup_keys[]`, `enabled_events[]`).
    pub fn strings(&self, path: &str) -> Vec<String> {
        self.array(path)
            .into_iter()
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect()
    }

    /// `metadata[…]` as a JSON object of strings; `metadata=` (empty) clears it.
    pub fn metadata(&self) -> Option<Map<String, Value>> {
        match self.0.get("metadata")? {
            Value::Object(map) => Some(map.clone()),
            _ => Some(Map::new()),
        }
    }

    /// The `expand[]` paths.
    pub fn expand(&self) -> Vec<String> {
        self.strings("expand")
    }
}

/// Requests carry at most this many parameters (Stripe's own requests use far fewer).
const MAX_PARAMETERS: usize = 1_000;
/// Brackets nest at most this deep (`a[b][c][d][e]`…); Stripe's deepest parameters use five.
const MAX_DEPTH: usize = 8;
/// An array index may run at most this far past the array's end (indices come in order).
const MAX_INDEX_GAP: usize = 16;

/// Turns `items[0][price]` into `["items", "0", "price"]` and `expand[]` into `["expand", ""]`.
fn split_key(key: &str) -> Option<Vec<String>> {
    let (head, mut rest) = match key.find('[') {
        Some(at) => (&key[..at], &key[at..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return None;
    }
    let mut path = vec![head.to_owned()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        path.push(inner[..close].to_owned());
        rest = &inner[close + 1..];
        if path.len() > MAX_DEPTH {
            return None;
        }
    }
    Some(path)
}

fn insert(node: &mut Value, path: &[String], value: Value) -> Result<(), ()> {
    let Some((segment, rest)) = path.split_first() else {
        *node = value;
        return Ok(());
    };
    // `[]` appends; a number indexes; anything else is a key.
    let index = if segment.is_empty() {
        Some(None)
    } else {
        segment.parse::<usize>().ok().map(Some)
    };
    if let Some(index) = index.filter(|_| node.is_array() || node.is_null()) {
        if node.is_null() {
            *node = Value::Array(Vec::new());
        }
        let Value::Array(items) = node else {
            return Err(());
        };
        let index = index.unwrap_or(items.len());
        if index > items.len() + MAX_INDEX_GAP {
            return Err(());
        }
        if items.len() <= index {
            items.resize(index + 1, Value::Null);
        }
        return insert(&mut items[index], rest, value);
    }
    if node.is_null() {
        *node = Value::Object(Map::new());
    }
    match node {
        Value::Object(map) => insert(
            map.entry(segment.clone()).or_insert(Value::Null),
            rest,
            value,
        ),
        _ => Err(()),
    }
}

/// `line_items.0.price` → `line_items[0][price]`, the way Stripe names parameters in errors.
pub fn bracketed(path: &str) -> String {
    let mut parts = path.split('.');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        out.push('[');
        out.push_str(part);
        out.push(']');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_brackets_become_objects_and_arrays() {
        let params = Params::parse(
            b"line_items[0][price]=price_1&line_items[0][quantity]=2&expand[]=a&expand[]=b&metadata[plan]=pro",
        )
        .unwrap();
        assert_eq!(params.str("line_items.0.price"), Some("price_1"));
        assert_eq!(params.int("line_items.0.quantity").unwrap(), Some(2));
        assert_eq!(params.expand(), vec!["a", "b"]);
        assert_eq!(params.metadata().unwrap()["plan"], "pro");
    }

    #[test]
    fn indexed_arrays_keep_their_order() {
        let params = Params::parse(b"expand[1]=b&expand[0]=a").unwrap();
        assert_eq!(params.expand(), vec!["a", "b"]);
    }

    #[test]
    fn hostile_shapes_are_refused_not_built() {
        let deep = format!("a{}=1", "[b]".repeat(100_000));
        assert!(Params::parse(deep.as_bytes()).is_err());
        let sparse: String = (0..50).map(|n| format!("k{n}[10000]=1&")).collect();
        assert!(Params::parse(sparse.as_bytes()).is_err());
        let many: String = (0..2_000).map(|n| format!("metadata[k{n}]=v&")).collect();
        assert!(Params::parse(many.as_bytes()).is_err());
    }

    #[test]
    fn malformed_brackets_are_rejected() {
        assert!(Params::parse(b"items[0=1").is_err());
        assert!(Params::parse(b"[x]=1").is_err());
    }
}
