//! A checker for the part of JSON Schema the OpenAPI document uses: `$ref` into its
//! components, `type` (one or a list), `properties`, `required`, `additionalProperties: false`,
//! `items`, `enum`, `minimum`, `maximum`, `minItems`, `maxItems`, `maxLength`. Anything else in
//! a schema is an error, so the document cannot say more than this checks.

use serde_json::Value;

const KNOWN: &[&str] = &[
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "maxLength",
    "description",
    "default",
];

/// Every way `value` breaks `schema` (resolved against `doc`), each with its JSON path.
pub fn check(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    walk(doc, schema, value, "$", &mut errors);
    errors
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        other => panic!("unknown type {other:?} in the schema"),
    }
}

fn walk(doc: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let s = schema.as_object().expect("a schema is an object");
    for key in s.keys() {
        assert!(
            KNOWN.contains(&key.as_str()),
            "the checker does not know {key:?} (at {at})"
        );
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let pointer = r.strip_prefix('#').expect("local $ref");
        let target = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {r}"));
        return walk(doc, target, v, at, errors);
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => panic!("bad type at {at}"),
        };
        if !types.iter().any(|t| type_ok(t, v)) {
            errors.push(format!("{at}: {v} is not of type {types:?}"));
            return;
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            errors.push(format!("{at}: {v} is not one of {options:?}"));
        }
    }
    if let Some(n) = v.as_f64() {
        if s.get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n < m)
        {
            errors.push(format!("{at}: {n} is under the minimum"));
        }
        if s.get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n > m)
        {
            errors.push(format!("{at}: {n} is over the maximum"));
        }
    }
    if let (Some(text), Some(max)) = (v.as_str(), s.get("maxLength").and_then(Value::as_u64)) {
        if text.chars().count() as u64 > max {
            errors.push(format!("{at}: longer than {max} characters"));
        }
    }
    if let Some(items) = v.as_array() {
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (items.len() as u64) < m)
        {
            errors.push(format!("{at}: fewer items than allowed"));
        }
        if s.get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| items.len() as u64 > m)
        {
            errors.push(format!("{at}: more items than allowed"));
        }
        if let Some(item) = s.get("items") {
            for (i, x) in items.iter().enumerate() {
                walk(doc, item, x, &format!("{at}[{i}]"), errors);
            }
        }
    }
    if let Some(obj) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for name in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name.as_str().expect("required names");
            if !obj.contains_key(name) {
                errors.push(format!("{at}: {name:?} is missing"));
            }
        }
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(sub) => walk(doc, sub, x, &format!("{at}.{k}"), errors),
                None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: {k:?} is not in the schema"))
                }
                None => {}
            }
        }
    }
}
