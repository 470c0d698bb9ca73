//! The rules: what each operation with behaviour does to the [`State`](crate::store::State) and
//! answers. One file per area of the API; the answers are built as the spec's JSON and decoded into
//! the generated types, so an answer the spec would not accept is logged and becomes a 501 instead
//! of reaching a client.

pub(crate) mod billing;
pub(crate) mod certifications;
pub(crate) mod checkout;
pub(crate) mod escrow;
pub(crate) mod payments;
pub(crate) mod receipts;
pub(crate) mod vbanks;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The envelope `code` PortOne uses for its own errors (non-2xx statuses).
pub(crate) const ERROR_CODE: i64 = -1;
/// The envelope `code` of a refusal the API answers with 200 (a business rule, not a bad request).
pub(crate) const REFUSED_CODE: i64 = 1;

/// `{"code": 0, "message": null, "response": response}` as the operation's success type.
pub(crate) fn ok<T: DeserializeOwned>(response: Value) -> Option<T> {
    decode(json!({ "code": 0, "message": null, "response": response }))
}

/// `{"code": code, "message": message, "response": null}` as any envelope type: the error
/// envelope of a 4xx/5xx, or a 200 that refuses (`code` 1).
pub(crate) fn fail<T: DeserializeOwned>(code: i64, message: &str) -> Option<T> {
    decode(json!({ "code": code, "message": message, "response": null }))
}

/// The error envelope of a 4xx/5xx.
pub(crate) fn error<T: DeserializeOwned>(message: &str) -> Option<T> {
    fail(ERROR_CODE, message)
}

/// A 200 that refuses, with PortOne's message.
pub(crate) fn refused<T: DeserializeOwned>(message: &str) -> Option<T> {
    fail(REFUSED_CODE, message)
}

pub(crate) fn decode<T: DeserializeOwned>(value: Value) -> Option<T> {
    serde_json::from_value(value)
        .inspect_err(|e| {
            tracing::error!(
                "the sandbox built an answer its spec type {} does not accept: {e}",
                std::any::type_name::<T>()
            )
        })
        .ok()
}

/// A value as JSON (for rendering a stored record).
pub(crate) fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A decoded input (a path parameter's newtype, an enum, a body) as plain text or JSON: the sandbox
/// reads inputs by the spec's names, so a type progenitor renames does not change it.
pub(crate) fn text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A request body's fields by name.
#[derive(Debug)]
pub(crate) struct Args(pub(crate) Value);

impl Args {
    pub(crate) fn of<T: Serialize>(body: &T) -> Self {
        Self(serde_json::to_value(body).unwrap_or(Value::Null))
    }
    pub(crate) fn value(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }
    pub(crate) fn str(&self, key: &str) -> Option<String> {
        match self.value(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    pub(crate) fn f64(&self, key: &str) -> Option<f64> {
        match self.value(key)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
    pub(crate) fn i64(&self, key: &str) -> Option<i64> {
        self.f64(key).map(|f| f as i64)
    }
    /// One string or a list of them.
    pub(crate) fn strs(&self, key: &str) -> Vec<String> {
        match self.value(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => vec![],
        }
    }
}

/// `Resp::Variant(value)` from an `Option` built by [`ok`], [`error`] or [`refused`]; `None` (the
/// answer did not fit its type, already logged) becomes `Resp::Unimplemented`, a 501.
macro_rules! answer {
    ($resp:ident :: $variant:ident, $value:expr) => {
        match $value {
            Some(v) => $resp::$variant(v),
            None => $resp::Unimplemented,
        }
    };
}
pub(crate) use answer;

/// One page of `items`: `page` from 1, `limit` per page; `(total, previous, next, items)` as the
/// paged listings write them (0 when there is no previous or next page).
pub(crate) fn page<T: Clone>(
    items: &[T],
    page: Option<i64>,
    limit: u64,
) -> (usize, i64, i64, Vec<T>) {
    let page = page.unwrap_or(1).max(1);
    let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
    let total = items.len();
    let start = usize::try_from(page - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(limit);
    let slice: Vec<T> = items.iter().skip(start).take(limit).cloned().collect();
    let previous = if page > 1 { page - 1 } else { 0 };
    let next = if start.saturating_add(limit) < total {
        page.saturating_add(1)
    } else {
        0
    };
    (total, previous, next, slice)
}

#[cfg(test)]
mod tests {
    use super::page;

    #[test]
    fn pages_count_from_one_and_survive_extreme_numbers() {
        let items: Vec<u32> = (1..=45).collect();
        assert_eq!(page(&items, None, 20), (45, 0, 2, (1..=20).collect()));
        assert_eq!(page(&items, Some(3), 20), (45, 2, 0, (41..=45).collect()));
        assert_eq!(page(&items, Some(i64::MIN), 20).1, 0);
        let (total, previous, next, list) = page(&items, Some(i64::MAX), u64::MAX);
        assert_eq!(
            (total, previous, next, list.len()),
            (45, i64::MAX - 1, 0, 0)
        );
    }
}
