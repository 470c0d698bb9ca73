//! The allow-list: differences from upstream we mean to keep, each matched by its id and with a
//! mandatory reason (`why`). An entry that matches no difference is stale.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    allow: Vec<Entry>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The difference's id, as the output prints it in brackets.
    pub id: String,
    /// Why we differ from upstream on purpose.
    pub why: String,
}

#[derive(Debug, Default)]
pub struct AllowList {
    pub entries: Vec<Entry>,
}

impl AllowList {
    pub fn read(path: &Path, shown: &str) -> anyhow::Result<AllowList> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {shown}"))?;
        AllowList::parse(&text, shown)
    }

    pub fn parse(text: &str, shown: &str) -> anyhow::Result<AllowList> {
        let file: File = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| line_col(text, s.start));
            match at {
                Some((line, col)) => anyhow!("{shown}:{line}:{col}: {}", e.message()),
                None => anyhow!("{shown}: {}", e.message()),
            }
        })?;
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, entry) in file.allow.iter().enumerate() {
            let n = i + 1;
            if entry.id.trim().is_empty() {
                bail!("{shown}: [[allow]] entry {n}: `id` is empty");
            }
            if entry.why.trim().is_empty() {
                bail!(
                    "{shown}: [[allow]] entry {n} ({}): `why` is empty; say why we differ",
                    entry.id
                );
            }
            if let Some(first) = seen.insert(&entry.id, n) {
                bail!(
                    "{shown}: [[allow]] entries {first} and {n} have the same id {:?}",
                    entry.id
                );
            }
        }
        Ok(AllowList {
            entries: file.allow,
        })
    }

    /// The entry that covers the difference `id`: the same id, or `* REST` for `METHOD PATH REST`
    /// (the same difference in every operation that has it).
    pub fn find(&self, id: &str) -> Option<usize> {
        let rest = id.splitn(3, ' ').nth(2);
        self.entries
            .iter()
            .position(|e| e.id == id || (e.id.strip_prefix("* ").is_some_and(|r| Some(r) == rest)))
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
