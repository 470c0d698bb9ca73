//! Reading the two documents, and the `$ref`s inside them: errors name the file and where.

use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use serde_json::Value;

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
        let p = reference.strip_prefix('#')?;
        self.root.pointer(p)
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

/// `/paths/~1payments~1{imp_uid}/get`: one JSON-pointer segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
