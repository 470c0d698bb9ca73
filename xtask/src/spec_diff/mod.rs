//! `cargo xtask spec-diff [BASE]`: what an edit of `spec/iamport.yaml` does to the users of the
//! generated client (and its mocks), and a gate: a breaking change needs a new major `info.version`.
//!
//! The comparison is Oxide's `drift`. Its classes describe two programs talking across versions:
//! `BackwardIncompatible` = the new document breaks a consumer written against the old one (a
//! removed operation, a new required parameter, a new response code); `ForwardIncompatible` = the
//! old document cannot serve a consumer written against the new one (an added operation or optional
//! parameter, a removed response code); `Incompatible` = both. Our user upgrades from the crates
//! generated from the old spec to those generated from the new one, so:
//!
//! - `BackwardIncompatible`, `Incompatible`: breaking.
//! - `ForwardIncompatible`: compatible when it only adds (an operation, an optional parameter: the
//!   client takes optional inputs as setters on the request value, so a new one breaks no call);
//!   breaking when it removes what the generated code exposed (a response status: the mocks' method
//!   for it; a request body) or otherwise touches request inputs (a required parameter turned
//!   optional leaves the method's arguments and becomes a setter).
//! - `Trivial`: compatible. `Unhandled`: breaking, since drift could not tell, unless the
//!   supplement below explains the same schema node.
//!
//! The supplement covers what drift misses or leaves `Unhandled` (the tests show each case):
//! operationId renames (drift pairs operations by path and method; the id is the method name),
//! added vs removed properties and required flips, narrowed vs widened constraints (maxLength,
//! enum, ...), `nullable` flips (drift ignores them), security requirement changes, and media type
//! changes (drift panics on them, so they are reported here and left out of drift's input).
//! Before any of it, both documents lose a representation-only difference that blinds drift: a
//! `type` beside a single-member `allOf` (see `normalize`).
//!
//! One file per concern: [`base`] finds the previous spec, [`compare`] runs drift and merges its
//! changes with the supplement's, [`operations`] pairs operations and their media types as drift
//! does, [`walk`] is the supplement, [`gate`] classifies the result into pass or fail. The tests of
//! the classification are in `tests.rs`; `drift_pins.rs` pins what of drift's behaviour the
//! classifier relies on, so that a drift upgrade that changes it fails a test instead of changing
//! the verdicts silently.

mod base;
mod compare;
#[cfg(test)]
mod drift_pins;
mod gate;
mod operations;
#[cfg(test)]
mod tests;
mod walk;

use std::path::Path;

use anyhow::{Context as _, anyhow};
use serde_json::Value;

use base::resolve_base;
use compare::diff;
use gate::{gate, summary, version_of};

const SPEC: &str = "spec/iamport.yaml";

pub fn run(root: &Path, base: Option<&str>) -> anyhow::Result<()> {
    let base = resolve_base(root, base)?;

    let new_text =
        std::fs::read_to_string(root.join(SPEC)).with_context(|| format!("reading {SPEC}"))?;
    crate::spec::parse(Path::new(SPEC), &new_text)?;
    let new = parse_yaml(&new_text).with_context(|| format!("{SPEC} is not valid YAML"))?;

    let Some(old_text) = base.read(root)? else {
        println!("{SPEC} did not exist at {base}: everything in it is new (compatible)");
        return Ok(());
    };
    let old =
        parse_yaml(&old_text).with_context(|| format!("the spec at {base} is not valid YAML"))?;

    println!("comparing {SPEC}: {base} -> working tree");
    let findings = diff(&old, &new)?;
    for f in &findings {
        println!("{f}");
    }
    if findings.is_empty() {
        println!(
            "no changes{}",
            if old == new {
                ""
            } else {
                " (the documents differ only in what drift and the supplement do not compare: \
                 descriptions of operations, examples, info, servers, or in representation)"
            }
        );
        return Ok(());
    }
    println!("{}", summary(&findings));
    match gate(&findings, &version_of(&old), &version_of(&new)) {
        Ok(note) => {
            if let Some(note) = note {
                println!("{note}");
            }
            Ok(())
        }
        Err(failure) => Err(anyhow!(failure)),
    }
}

fn parse_yaml(text: &str) -> anyhow::Result<Value> {
    Ok(yaml_serde::from_str(text)?)
}
