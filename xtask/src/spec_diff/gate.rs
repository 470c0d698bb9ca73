//! Findings and the gate: a breaking change needs a new major `info.version`.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use super::SPEC;

/// One change, classified for a user of the generated client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub breaking: bool,
    /// JSON pointer into the new document (the old one for what was removed).
    pub pointer: String,
    pub message: String,
    /// Where the change is felt, e.g. `request of POST /users/getToken`.
    pub context: BTreeSet<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let verdict = if self.breaking {
            "BREAKING"
        } else {
            "compatible"
        };
        write!(f, "{verdict:<10} {}: {}", self.pointer, self.message)?;
        if !self.context.is_empty() {
            let context: Vec<&str> = self.context.iter().map(String::as_str).collect();
            write!(f, " [{}]", context.join("; "))?;
        }
        Ok(())
    }
}

pub(super) fn version_of(doc: &Value) -> String {
    match doc.pointer("/info/version") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// The part of a version that cargo's semver compatibility looks at: the major, or below 1.0.0
/// the leftmost non-zero component.
fn compat_key(version: &str) -> Option<(u64, u64, u64)> {
    let core = version
        .trim()
        .trim_start_matches('v')
        .split(['-', '+'])
        .next()?;
    let mut parts = core.split('.').map(str::parse::<u64>);
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some(if major > 0 {
        (major, 0, 0)
    } else if minor > 0 {
        (0, minor, 0)
    } else {
        (0, 0, patch)
    })
}

fn next_major(version: &str) -> String {
    match compat_key(version) {
        Some((major, 0, 0)) if major > 0 => format!("{}.0.0", major + 1),
        Some((0, minor, 0)) if minor > 0 => format!("0.{}.0", minor + 1),
        Some((_, _, patch)) => format!("0.0.{}", patch + 1),
        None => "a new major version".into(),
    }
}

/// `N breaking, M compatible`
pub fn summary(findings: &[Finding]) -> String {
    let breaking = findings.iter().filter(|f| f.breaking).count();
    format!(
        "{breaking} breaking, {} compatible",
        findings.len() - breaking
    )
}

/// Passes (with a note when breaking changes come with a new major version) or fails with what
/// broke and how to proceed.
pub fn gate(
    findings: &[Finding],
    old_version: &str,
    new_version: &str,
) -> Result<Option<String>, String> {
    let breaking: Vec<&Finding> = findings.iter().filter(|f| f.breaking).collect();
    if breaking.is_empty() {
        return Ok(None);
    }
    let bumped = matches!(
        (compat_key(old_version), compat_key(new_version)),
        (Some(old), Some(new)) if new > old
    );
    if bumped {
        return Ok(Some(format!(
            "note: the breaking changes are allowed: info.version went from {old_version} to \
             {new_version}, a new major version (run `cargo xtask codegen` so the crates carry it)"
        )));
    }
    let mut out = format!(
        "{SPEC} has {} breaking change{} for client users, but info.version did not get \
         a new major version ({old_version} -> {new_version}):\n",
        breaking.len(),
        if breaking.len() == 1 { "" } else { "s" }
    );
    for f in &breaking {
        out.push_str(&format!("  {f}\n"));
    }
    out.push_str(&format!(
        "To proceed, either\n  - make the change compatible (keep what was removed or renamed, make \
         a new request property optional, widen instead of narrowing), or\n  - bump the major \
         version of info.version in {SPEC} (e.g. {old_version} -> {}) and run `cargo xtask \
         codegen`, which carries the version into the crates.",
        next_major(old_version)
    ));
    Err(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(breaking: bool) -> Finding {
        Finding {
            breaking,
            pointer: "#/components/schemas/X".into(),
            message: "something".into(),
            context: BTreeSet::new(),
        }
    }

    #[test]
    fn gate_fails_on_a_breaking_change_without_a_major_bump() {
        let fs = [finding(true), finding(false)];
        let err = gate(&fs, "1.0.0", "1.1.0").unwrap_err();
        assert_eq!(summary(&fs), "1 breaking, 1 compatible");
        assert!(
            err.starts_with("spec/iamport.yaml has 1 breaking change for client users"),
            "{err}"
        );
        assert!(
            err.contains("BREAKING   #/components/schemas/X: something"),
            "{err}"
        );
        assert!(
            err.contains("1.0.0 -> 2.0.0") && err.contains("cargo xtask codegen"),
            "{err}"
        );
        assert!(err.contains("make the change compatible"), "{err}");
        assert!(gate(&fs, "1.0.0", "1.0.0").is_err());
        assert!(
            gate(&fs, "2.0.0", "1.9.0").is_err(),
            "a downgrade is no bump"
        );
        assert!(gate(&fs, "0.3.0", "0.3.1").is_err());
    }

    #[test]
    fn gate_passes_a_breaking_change_with_a_major_bump() {
        let fs = [finding(true)];
        let note = gate(&fs, "1.0.0", "2.0.0").unwrap().unwrap();
        assert!(
            note.starts_with("note: the breaking changes are allowed"),
            "{note}"
        );
        assert!(note.contains("1.0.0 to 2.0.0"), "{note}");
        assert!(
            gate(&fs, "0.3.0", "0.4.0").is_ok(),
            "below 1.0 the minor is the major"
        );
        assert!(gate(&fs, "0.3.0", "1.0.0").is_ok());
    }

    #[test]
    fn gate_passes_compatible_changes() {
        let fs = [finding(false)];
        assert_eq!(gate(&fs, "1.0.0", "1.0.0"), Ok(None));
        assert_eq!(summary(&fs), "0 breaking, 1 compatible");
    }
}
