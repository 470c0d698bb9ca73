//! The limits on schemas: references, defaults and enums of the right type, names.

#[allow(unused_imports)]
use super::*;

/// What a schema is, for comparing two of them: its reference, or its JSON.
pub(super) fn canonical(schema: &Value) -> String {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r.to_owned(),
        None => schema.to_string(),
    }
}

/// A schema reference (that resolves) must name a component schema: typify follows
/// `#/components/schemas/NAME` only.
pub fn schema_ref(r: &str, at: &DocPath, p: &mut Problems) {
    if !component_ref(r, "schemas") {
        p.push((
            at.key("$ref"),
            format!("`{r}`: the generators follow references of the form `#/components/schemas/NAME` only"),
        ));
    }
}

/// What one schema needs beyond OpenAPI: a `pattern` that compiles, an untyped `enum` of one
/// kind of value, no `not`; `default` and `enum` values are of the schema's `type`
/// (typify refuses the spec otherwise), an integer default fits its format, and a `default` is one
/// of the `enum` values. `example`s are free.
pub fn schema<'d>(
    s: &'d Map<String, Value>,
    at: &DocPath,
    resolve: &dyn Fn(&str) -> Option<&'d Value>,
    p: &mut Problems,
) {
    if let Some(Value::String(pattern)) = s.get("pattern")
        && let Err(e) = regress::Regex::new(pattern)
    {
        p.push((
            at.key("pattern"),
            format!("not a regular expression (ECMAScript, as typify and the generated types read it): {e}"),
        ));
    }
    if s.get("type").is_none()
        && let Some(Value::Array(values)) = s.get("enum")
    {
        let kinds: BTreeSet<&str> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| match v {
                Value::Bool(_) => "boolean",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "list",
                _ => "mapping",
            })
            .collect();
        if kinds.len() > 1 || kinds.contains("list") || kinds.contains("mapping") {
            p.push((
                at.key("enum"),
                format!(
                    "an enum without a `type` must list values of one kind (strings, numbers or booleans); found {}",
                    kinds.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    if s.contains_key("not") {
        p.push((
            at.key("not"),
            "`not` is not supported (typify reads only a few of its forms)".into(),
        ));
    }
    // Without a `type`, a lone `allOf` member (or what it references) says it: typify checks the
    // default against that.
    let mut typed = s;
    for _ in 0..16 {
        if typed.contains_key("type") {
            break;
        }
        let next = match typed.get("allOf") {
            Some(Value::Array(all)) if all.len() == 1 => &all[0],
            _ => match typed.get("$ref").and_then(Value::as_str) {
                Some(r) if !std::ptr::eq(typed, s) => match resolve(r) {
                    Some(target) => target,
                    None => return,
                },
                _ => return,
            },
        };
        match next.as_object() {
            Some(n) => typed = n,
            None => return,
        }
        if let Some(r) = typed.get("$ref").and_then(Value::as_str)
            && let Some(Value::Object(target)) = resolve(r)
        {
            typed = target;
        }
    }
    let Some(ty) = typed.get("type").and_then(Value::as_str) else {
        return;
    };
    let range = match s.get("format").and_then(Value::as_str) {
        Some("int32") => Some((i32::MIN as f64, i32::MAX as f64)),
        Some("int64") => Some((i64::MIN as f64, i64::MAX as f64)),
        _ => None,
    };
    if ty == "integer"
        && let (Some((lo, hi)), Some(d)) = (range, s.get("default").and_then(Value::as_f64))
        && (d < lo || d > hi)
    {
        p.push((
            at.key("default"),
            format!(
                "the default {d} does not fit the format {}",
                s.get("format").and_then(Value::as_str).unwrap_or_default()
            ),
        ));
    }
    let nullable = s.get("nullable") == Some(&Value::Bool(true))
        || typed.get("nullable") == Some(&Value::Bool(true));
    // Numbers within the schema's bounds (typify refuses a default outside them).
    let bound = |key: &str| s.get(key).and_then(Value::as_f64);
    if let Some(d) = s.get("default").and_then(Value::as_f64)
        && matches!(ty, "integer" | "number")
    {
        let exclusive = |key: &str| s.get(key) == Some(&Value::Bool(true));
        let below =
            bound("minimum").is_some_and(|m| d < m || (d == m && exclusive("exclusiveMinimum")));
        let above =
            bound("maximum").is_some_and(|m| d > m || (d == m && exclusive("exclusiveMaximum")));
        if below || above {
            p.push((
                at.key("default"),
                format!("the default {d} is outside the schema's minimum/maximum"),
            ));
        }
    }
    let fits = |v: &Value| match v {
        Value::Null => nullable,
        Value::Bool(_) => ty == "boolean",
        Value::Number(n) => ty == "number" || (ty == "integer" && (n.is_i64() || n.is_u64())),
        Value::String(_) => ty == "string",
        Value::Array(_) => ty == "array",
        Value::Object(_) => ty == "object",
    };
    let nullable_note = |v: &Value| {
        if v.is_null() {
            " (null needs `nullable: true`)"
        } else {
            ""
        }
    };
    if let Some(d) = s.get("default")
        && !fits(d)
    {
        p.push((
            at.key("default"),
            format!(
                "the default is {} but the schema's type is {}{}",
                describe(d),
                article(ty),
                nullable_note(d)
            ),
        ));
    }
    if let Some(Value::Array(values)) = s.get("enum") {
        for (i, v) in values.iter().enumerate() {
            if !fits(v) {
                p.push((
                    at.key("enum").index(i),
                    format!(
                        "the enum value is {} but the schema's type is {}{}",
                        describe(v),
                        article(ty),
                        nullable_note(v)
                    ),
                ));
            }
        }
        if let Some(d) = s.get("default")
            && fits(d)
            && !values.contains(d)
        {
            p.push((
                at.key("default"),
                format!(
                    "the default is {}, which is not one of the enum values",
                    describe(d)
                ),
            ));
        }
    }
}

/// `a string`, `an integer`, …
pub(super) fn article(ty: &str) -> String {
    if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {ty}")
    } else {
        format!("a {ty}")
    }
}

/// `#/components/<kind>/<name>`, the name without further `/`.
pub(super) fn component_ref(reference: &str, kind: &str) -> bool {
    reference
        .strip_prefix("#/components/")
        .and_then(|r| r.strip_prefix(kind))
        .and_then(|r| r.strip_prefix('/'))
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}
