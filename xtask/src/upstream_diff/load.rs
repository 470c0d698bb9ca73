//! Reading the two documents, and the `$ref`s inside them: errors name the file and where.

use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use openapi_support::escape_segment;
use serde_json::{Map, Value};

/// A document read into JSON values, with the name to use in messages.
pub struct Doc {
    pub file: String,
    pub root: Value,
}

impl Doc {
    /// Reads `path` as JSON (`.json`) or YAML (anything else); `shown` names it in messages.
    pub fn read(path: &Path, shown: &str) -> anyhow::Result<Doc> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {shown}"))?;
        Doc::parse(&text, shown, path.extension().is_some_and(|e| e == "json"))
    }

    pub fn parse(text: &str, shown: &str, json: bool) -> anyhow::Result<Doc> {
        let root: Value = if json {
            serde_json::from_str(text)
                .map_err(|e| anyhow!("{shown}:{}:{}: not valid JSON: {e}", e.line(), e.column()))?
        } else {
            yaml_serde::from_str(text).map_err(|e| match e.location() {
                Some(l) => anyhow!("{shown}:{}:{}: not valid YAML: {e}", l.line(), l.column()),
                None => anyhow!("{shown}: not valid YAML: {e}"),
            })?
        };
        if !root.is_object() {
            bail!("{shown}: the document is not a mapping (an OpenAPI or Swagger object)");
        }
        Ok(Doc {
            file: shown.to_owned(),
            root,
        })
    }

    /// The value a local `$ref` (`#/definitions/X`, `#/components/schemas/X`, ...) points at.
    pub fn pointer(&self, reference: &str) -> Option<&Value> {
        openapi_support::resolve_ref(&self.root, reference)
    }

    /// `value`, or what its `$ref` chain leads to (parameters, responses, request bodies).
    pub fn deref<'a>(&'a self, mut value: &'a Value, at: &str) -> anyhow::Result<&'a Value> {
        for _ in 0..16 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    value = self.pointer(r).ok_or_else(|| {
                        anyhow!(
                            "{}: {at}: $ref {r:?} points at nothing in this file",
                            self.file
                        )
                    })?
                }
                None => return Ok(value),
            }
        }
        bail!("{}: {at}: $ref chain longer than 16 (a cycle?)", self.file)
    }

    /// An error at a JSON pointer of this document.
    pub fn error(&self, at: &str, message: &str) -> anyhow::Error {
        anyhow!("{}: {at}: {message}", self.file)
    }
}

/// A path, its JSON pointer (`/paths/~1payments`) and its path item's mapping.
pub type PathItem<'a> = (&'a str, String, &'a Map<String, Value>);

/// Every path item of the document: its path, its JSON pointer and its operations' mapping
/// (a path item by `$ref` followed); the same walk for upstream's file and ours.
pub fn path_items(doc: &Doc) -> anyhow::Result<Vec<PathItem<'_>>> {
    let paths = doc
        .root
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| doc.error("/paths", "missing or not a mapping"))?;
    let mut items = vec![];
    for (path, item) in paths {
        let at = format!("/paths/{}", escape_segment(path));
        let item = doc
            .deref(item, &at)?
            .as_object()
            .ok_or_else(|| doc.error(&at, "a path item that is not a mapping"))?;
        items.push((path.as_str(), at, item));
    }
    Ok(items)
}
