//! Codegen cost: `generate_all` on synthetic specs of growing size, and `codegen --check` as a
//! process on the real spec.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use super::process::run_captured;
use super::stats::median;
use crate::codegen::{self, SPEC_PATH};
use crate::spec;

const CASH_AMOUNT: &str = "/payments/{imp_uid}/naver/cash-amount";

/// The real spec with its paths replaced by `n` clones of the cash-amount operation, under
/// `/payments/{imp_uid}/naver/cash-amount-<i>` with operationId `queryCashAmount<i>`, without a
/// token requirement (the token issuer is not among them, and a secured operation needs one).
/// Components stay as they are. Written as JSON, which is YAML too.
pub fn synthetic_spec(real: &str, n: usize) -> anyhow::Result<String> {
    let mut document: Value = yaml_serde::from_str(real).context("reading the real spec")?;
    let item = document["paths"][CASH_AMOUNT].clone();
    if item.is_null() {
        bail!("{SPEC_PATH} has no {CASH_AMOUNT} to clone");
    }
    let mut paths = serde_json::Map::new();
    for i in 1..=n {
        let mut clone = item.clone();
        clone["get"]["operationId"] = Value::String(format!("queryCashAmount{i}"));
        clone["get"]["security"] = Value::Array(vec![]);
        paths.insert(format!("{CASH_AMOUNT}-{i}"), clone);
    }
    document["paths"] = Value::Object(paths);
    Ok(serde_json::to_string_pretty(&document)?)
}

pub struct SizeResult {
    pub operations: usize,
    /// Seconds of `generate_all`, one per repetition.
    pub generate_secs: Vec<f64>,
    /// Seconds of `spec::parse` (YAML, checks, openapiv3), median.
    pub parse_secs: f64,
    /// Lines of generated code, all outputs together.
    pub generated_lines: usize,
}

impl SizeResult {
    pub fn median_secs(&self) -> f64 {
        median(&self.generate_secs)
    }
    pub fn ms_per_operation(&self) -> f64 {
        self.median_secs() * 1000.0 / self.operations as f64
    }
}

/// Times `generate_all` for each size: `reps` repetitions, fewer (at least one) once a size has
/// used `budget`.
pub fn measure(
    root: &Path,
    sizes: &[usize],
    reps: usize,
    budget: Duration,
) -> anyhow::Result<Vec<SizeResult>> {
    let real = std::fs::read_to_string(root.join(SPEC_PATH)).context("reading the spec")?;
    let manifest =
        std::fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    let mut results = vec![];
    for &n in sizes {
        let text = synthetic_spec(&real, n)?;
        let file = Path::new("bench/synthetic.yaml");
        let started = Instant::now();
        let mut generate_secs = vec![];
        let mut parse_secs = vec![];
        let mut generated_lines = 0;
        while generate_secs.len() < reps && (generate_secs.is_empty() || started.elapsed() < budget)
        {
            let t = Instant::now();
            let spec = spec::parse(file, &text).map_err(|e| anyhow::anyhow!("{e}"))?;
            parse_secs.push(t.elapsed().as_secs_f64());
            let count = spec.openapi.operations().count();
            if count != n {
                bail!("the synthetic spec of {n} operations has {count}");
            }
            let t = Instant::now();
            let outputs = codegen::generate_all(&spec, &manifest)
                .with_context(|| format!("generating from {n} operations"))?;
            generate_secs.push(t.elapsed().as_secs_f64());
            generated_lines = outputs.iter().map(|o| o.contents.lines().count()).sum();
        }
        eprintln!(
            "bench: codegen {n:>4} operations: {:.3} s median of {} ({} lines)",
            median(&generate_secs),
            generate_secs.len(),
            generated_lines
        );
        results.push(SizeResult {
            operations: n,
            generate_secs,
            parse_secs: median(&parse_secs),
            generated_lines,
        });
    }
    Ok(results)
}

pub struct CheckTiming {
    pub command: String,
    pub secs: Vec<f64>,
    /// Exit statuses other than success, as text (a stale tree makes `--check` fail; still timed).
    pub failures: Vec<String>,
}

/// Times `program args…` as a whole process, `runs` times (at most 120 s each).
pub fn time_process(
    root: &Path,
    shown_as: &str,
    program: &Path,
    args: &[&str],
    runs: usize,
) -> anyhow::Result<CheckTiming> {
    let mut secs = vec![];
    let mut failures = vec![];
    for _ in 0..runs {
        let done = run_captured(
            Command::new(program).args(args).current_dir(root),
            shown_as,
            Duration::from_secs(120),
        )?;
        secs.push(done.secs);
        if !done.status.success() {
            let last = done.stderr.lines().last().unwrap_or("").to_owned();
            failures.push(format!("{} ({last})", done.status));
        }
    }
    Ok(CheckTiming {
        command: shown_as.to_owned(),
        secs,
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_specs_pass_the_checks_with_n_operations() {
        let real = std::fs::read_to_string(codegen::workspace_root().join(SPEC_PATH)).unwrap();
        for n in [1, 3] {
            let text = synthetic_spec(&real, n).unwrap();
            let spec = spec::parse(Path::new("synthetic.yaml"), &text).unwrap();
            let ids: Vec<String> = spec
                .openapi
                .operations()
                .filter_map(|(_, _, op)| op.operation_id.clone())
                .collect();
            assert_eq!(ids.len(), n);
            assert!(ids.contains(&format!("queryCashAmount{n}")), "{ids:?}");
        }
    }
}
