//! The result for a person (by operation, then a summary of the same change across operations) or
//! for a machine (`--format json`), with the allow-list applied.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::allow::{AllowList, Entry};
use super::compare::{Difference, Kind};

#[derive(Debug, Serialize)]
pub struct Report {
    /// How many operations each document has.
    pub upstream_operations: usize,
    pub our_operations: usize,
    /// The differences the allow-list does not cover.
    pub differences: Vec<Shown>,
    pub allowed: usize,
    /// Allow-list entries that match no difference.
    pub stale: Vec<Entry>,
    /// The same change in two or more operations.
    pub summary: Vec<Group>,
}

#[derive(Debug, Serialize)]
pub struct Shown {
    pub id: String,
    #[serde(flatten)]
    pub difference: Difference,
}

#[derive(Debug, Serialize)]
pub struct Group {
    pub kind: Kind,
    pub subject: String,
    pub aspect: Option<String>,
    /// The same in every operation, else `None` (the per-operation lines tell).
    pub upstream: Option<String>,
    pub ours: Option<String>,
    pub operations: Vec<String>,
}

impl Report {
    pub fn new(
        differences: Vec<Difference>,
        allow: &AllowList,
        operations: (usize, usize),
    ) -> Report {
        let mut allowed = 0;
        let mut used = vec![false; allow.entries.len()];
        let mut shown = Vec::new();
        for d in differences {
            let id = d.id();
            match allow.find(&id) {
                Some(i) => {
                    used[i] = true;
                    allowed += 1;
                }
                None => shown.push(Shown { id, difference: d }),
            }
        }
        let stale = allow
            .entries
            .iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(e, _)| e.clone())
            .collect();
        let summary = groups(&shown);
        Report {
            upstream_operations: operations.0,
            our_operations: operations.1,
            differences: shown,
            allowed,
            stale,
            summary,
        }
    }

    pub fn failed(&self) -> bool {
        !self.differences.is_empty() || !self.stale.is_empty()
    }
}

fn groups(shown: &[Shown]) -> Vec<Group> {
    let mut by: BTreeMap<(Kind, &str, Option<&str>), Vec<&Difference>> = BTreeMap::new();
    for s in shown {
        let d = &s.difference;
        by.entry((d.kind, &d.subject, d.aspect.as_deref()))
            .or_default()
            .push(d);
    }
    let mut out: Vec<Group> = by
        .into_iter()
        .filter(|(_, ds)| ds.len() > 1)
        .map(|((kind, subject, aspect), ds)| {
            let same = |f: fn(&Difference) -> &Option<String>| {
                let first = f(ds[0]);
                ds.iter()
                    .all(|d| f(d) == first)
                    .then(|| first.clone())
                    .flatten()
            };
            Group {
                kind,
                subject: subject.to_owned(),
                aspect: aspect.map(str::to_owned),
                upstream: same(|d| &d.upstream),
                ours: same(|d| &d.ours),
                operations: ds.iter().map(|d| d.label.clone()).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.operations
            .len()
            .cmp(&a.operations.len())
            .then_with(|| (a.kind, &a.subject).cmp(&(b.kind, &b.subject)))
    });
    out
}

/// One difference's text, without its operation: `+ upstream only: body.channel_key (string, required)`.
pub fn line(
    kind: Kind,
    subject: &str,
    aspect: Option<&str>,
    up: Option<&str>,
    ours: Option<&str>,
) -> String {
    let facts = |f: Option<&str>| f.map(|f| format!(" ({f})")).unwrap_or_default();
    match kind {
        Kind::UpstreamOnly => format!("+ upstream only: {subject}{}", facts(up)),
        Kind::OursOnly => format!("- ours only: {subject}{}", facts(ours)),
        Kind::Differs => {
            let what = match aspect {
                Some(a) => format!("{subject} {a}"),
                None => subject.to_owned(),
            };
            format!(
                "~ differs: {what}: upstream {}, ours {}",
                up.unwrap_or("(varies)"),
                ours.unwrap_or("(varies)")
            )
        }
    }
}

/// `files`: how to name upstream's file and ours in the first line.
pub fn text(report: &Report, files: (&str, &str), allow_file: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({} operations) against {} ({} operations), by method and path",
        files.0, report.upstream_operations, files.1, report.our_operations
    );
    let mut current = "";
    for shown in &report.differences {
        let d = &shown.difference;
        if d.label != current {
            let _ = writeln!(s, "\n{}", d.label);
            current = &d.label;
        }
        let l = line(
            d.kind,
            &d.subject,
            d.aspect.as_deref(),
            d.upstream.as_deref(),
            d.ours.as_deref(),
        );
        let _ = writeln!(s, "  {l}  [{}]", shown.id);
        if let Some(note) = &d.note {
            let _ = writeln!(s, "      ({note})");
        }
    }
    let _ = writeln!(s, "\nSummary");
    for g in &report.summary {
        let l = line(
            g.kind,
            &g.subject,
            g.aspect.as_deref(),
            g.upstream.as_deref(),
            g.ours.as_deref(),
        );
        let _ = writeln!(
            s,
            "  {l} in {} operations: {}",
            g.operations.len(),
            g.operations.join(", ")
        );
    }
    let count = |k: Kind| {
        report
            .differences
            .iter()
            .filter(|d| d.difference.kind == k)
            .count()
    };
    let ops: std::collections::BTreeSet<&str> = report
        .differences
        .iter()
        .map(|d| d.difference.operation.as_str())
        .collect();
    let _ = writeln!(
        s,
        "  {} differences in {} operations: {} upstream only, {} ours only, {} differ",
        report.differences.len(),
        ops.len(),
        count(Kind::UpstreamOnly),
        count(Kind::OursOnly),
        count(Kind::Differs)
    );
    let _ = writeln!(
        s,
        "  {} allowed differences (see {allow_file})",
        report.allowed
    );
    if !report.stale.is_empty() {
        let _ = writeln!(
            s,
            "  {} stale allow-list entries (they match no difference; remove them):",
            report.stale.len()
        );
        for e in &report.stale {
            let _ = writeln!(s, "    {}  (why: {})", e.id, e.why);
        }
    }
    s
}
