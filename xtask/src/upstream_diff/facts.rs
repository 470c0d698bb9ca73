//! What the comparison is made of: per operation, its id, its request fields (parameters and body
//! properties, by path like `query.limit` or `body.sender.name`), its response statuses and, per
//! success status, the fields of the envelope's `response` (`response.cancel_history[].amount`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The facts of one field, the same for either document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// `type` (`None`: the document says none).
    pub ty: Option<String>,
    pub format: Option<String>,
    /// The enum's values as text (`true` and `"true"` alike); `null` left out.
    pub enum_values: Option<BTreeSet<String>>,
    pub required: bool,
    /// An array whose items the document does not describe (so nothing below it is compared).
    pub items_unknown: bool,
    /// A `$ref` met again below itself: not expanded further (nothing below it is compared).
    pub recursive: bool,
    /// How the document had to be read charitably to get these facts (upstream's errors); shown only
    /// beside a difference of this field.
    pub quirks: Vec<String>,
}

impl Facts {
    /// `integer/int64`, `string`, `?` when no type.
    pub fn type_text(&self) -> String {
        let ty = self.ty.as_deref().unwrap_or("?");
        match &self.format {
            Some(f) => format!("{ty}/{f}"),
            None => ty.to_owned(),
        }
    }

    /// `string, required, enum [a, b]`.
    pub fn describe(&self) -> String {
        let mut s = self.type_text();
        if self.required {
            s.push_str(", required");
        }
        if let Some(values) = &self.enum_values {
            s.push_str(&format!(", enum {}", enum_text(values)));
        }
        s
    }
}

pub fn enum_text(values: &BTreeSet<String>) -> String {
    let v: Vec<&str> = values.iter().map(String::as_str).collect();
    format!("[{}]", v.join(", "))
}

/// Fields by path, sorted.
pub type Tree = BTreeMap<String, Facts>;

/// (method upper-case, path): how operations are matched.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpKey {
    pub path: String,
    pub method: String,
}

impl fmt::Display for OpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Operation {
    pub operation_id: Option<String>,
    /// Request fields: `path.x`, `query.x`, `header.x`, `body.x` (and below).
    pub fields: Tree,
    /// The top-level request fields: (name, where: path, query, header or body).
    pub inputs: Vec<(String, String)>,
    pub statuses: BTreeSet<String>,
    /// Per success status the tree of the envelope's `response`.
    pub payloads: BTreeMap<String, Tree>,
}

pub type Api = BTreeMap<OpKey, Operation>;

/// The root path of a success status's payload: `response` for 200, `response(207)` for others.
pub fn payload_root(status: &str) -> String {
    if status == "200" {
        "response".to_owned()
    } else {
        format!("response({status})")
    }
}

/// The paths above `path`, nearest last: `body.a[].b` → `body`, `body.a`, `body.a[]`.
pub fn ancestors(path: &str) -> Vec<&str> {
    let bytes = path.as_bytes();
    let mut out = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 && (b == b'.' || (b == b'[' && bytes.get(i + 1) == Some(&b']'))) {
            out.push(&path[..i]);
        }
        if b == b']' && i > 0 && bytes[i - 1] == b'[' && i + 1 < bytes.len() {
            out.push(&path[..=i]);
        }
    }
    out
}

/// The names of the top-level body fields of `tree` (`body.amount` → `amount`).
pub fn body_names(tree: &Tree) -> Vec<String> {
    tree.keys()
        .filter(|path| path.starts_with("body.") && ancestors(path) == ["body"])
        .map(|path| path["body.".len()..].to_owned())
        .collect()
}
