//! Codegen scaling: `generate_all` on synthetic specs of growing size. Does a large API stay fast
//! to generate, and does the time grow linearly?

use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use super::{Ctx, Measurement, Row, Section, median, thousands};
use crate::codegen::{self, SPEC_PATH};
use crate::spec;

pub const MEASUREMENT: Measurement = Measurement {
    name: "codegen",
    tools: &[],
    run,
};

const CASH_AMOUNT: &str = "/payments/{imp_uid}/naver/cash-amount";
const SIZES: [usize; 4] = [1, 10, 100, 1000];
const TARGET_SECS_AT_1000: f64 = 10.0;
/// Time per operation at 1000 operations over that at 100, at most this: linear growth.
const LINEAR: f64 = 1.5;

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

/// (operations, CPU seconds of each run, wall seconds of each run, generated lines)
type Size = (usize, Vec<f64>, Vec<f64>, usize);

/// The CPU time this thread has run, in seconds (`/proc/thread-self/schedstat`, nanoseconds).
/// `generate_all` runs on one thread: its CPU time is what it costs on a quiet machine, where the
/// wall time of a busy machine is not.
fn thread_cpu_secs() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .context("reading /proc/thread-self/schedstat (Linux only)")?;
    let nanos: u64 = stat.split(' ').next().unwrap_or("").parse()?;
    Ok(nanos as f64 / 1e9)
}

fn run(ctx: &Ctx) -> anyhow::Result<Section> {
    let (reps, budget) = if ctx.full { (7, 240) } else { (3, 60) };
    let real = std::fs::read_to_string(ctx.root.join(SPEC_PATH)).context("reading the spec")?;
    let manifest =
        std::fs::read_to_string(ctx.root.join("Cargo.toml")).context("reading Cargo.toml")?;
    // `reps` runs, fewer (at least one) once a spec has used the budget.
    let measure = |spec: &spec::Spec, what: &str| -> anyhow::Result<(Vec<f64>, Vec<f64>, usize)> {
        let started = Instant::now();
        let (mut secs, mut wall, mut lines) = (vec![], vec![], 0);
        while secs.len() < reps
            && (secs.is_empty() || started.elapsed() < Duration::from_secs(budget))
        {
            let (t, cpu) = (Instant::now(), thread_cpu_secs()?);
            let outputs = codegen::generate_all(spec, &manifest)
                .with_context(|| format!("generating from {what}"))?;
            secs.push(thread_cpu_secs()? - cpu);
            wall.push(t.elapsed().as_secs_f64());
            lines = outputs.iter().map(|o| o.contents.lines().count()).sum();
        }
        Ok((secs, wall, lines))
    };

    let whole = spec::parse(Path::new(SPEC_PATH), &real).map_err(|e| anyhow::anyhow!("{e}"))?;
    let whole_ops = whole.openapi.operations().count();
    let (whole_secs, whole_wall, whole_lines) = measure(&whole, SPEC_PATH)?;
    eprintln!(
        "bench: codegen {SPEC_PATH} ({whole_ops} operations): {:.3} s CPU, {:.3} s wall (medians of {})",
        median(&whole_secs),
        median(&whole_wall),
        whole_secs.len()
    );

    let mut sizes: Vec<Size> = vec![];
    for n in SIZES {
        let text = synthetic_spec(&real, n)?;
        let spec =
            spec::parse(Path::new("synthetic.yaml"), &text).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (secs, wall, lines) = measure(&spec, &format!("{n} operations"))?;
        eprintln!(
            "bench: codegen {n:>4} operations: {:.3} s CPU, {:.3} s wall (medians of {})",
            median(&secs),
            median(&wall),
            secs.len()
        );
        sizes.push((n, secs, wall, lines));
    }

    let per_op = |n: usize| {
        let (_, secs, _, _) = sizes.iter().find(|s| s.0 == n).expect("a measured size");
        median(secs) * 1000.0 / n as f64
    };
    let at_1000 = per_op(1000); // ms per operation × 1000 operations / 1000 ms
    let growth = per_op(1000) / per_op(100);
    let rows = vec![
        Row {
            measure: format!(
                "Codegen (`generate_all`), the whole spec ({whole_ops} operations), CPU time"
            ),
            ours: format!("{:.2} s", median(&whole_secs)),
            baseline: "—".into(),
            ratio: None,
            target: None,
        },
        Row {
            measure: "Codegen (`generate_all`), 1000 operations, CPU time".into(),
            ours: format!("{at_1000:.2} s"),
            baseline: "—".into(),
            ratio: None,
            target: Some((
                at_1000 < TARGET_SECS_AT_1000,
                format!("< {TARGET_SECS_AT_1000:.0} s"),
            )),
        },
        Row {
            measure: "Codegen CPU time per operation, 1000 vs 100 operations".into(),
            ours: format!("{:.2} ms/op", per_op(1000)),
            baseline: format!("{:.2} ms/op", per_op(100)),
            ratio: Some(growth),
            target: Some((growth <= LINEAR, format!("≤ {LINEAR} (linear)"))),
        },
    ];

    let mut md = String::from("## Codegen scaling\n\n");
    md.push_str(
        "`generate_all` (progenitor client, httpmock mocks, server stub) timed in the xtask process \
         (dev profile, as `cargo xtask` builds it), on synthetic specs made from the real one: its paths \
         replaced by N clones of the cash-amount operation (`/payments/{imp_uid}/naver/cash-amount-<i>`, \
         operationId `queryCashAmount<i>`). The targets are judged on the CPU time of the thread that \
         generates (one thread: on a quiet machine that is the wall time too; a busy machine inflates the \
         wall time, shown beside it). \"Linear\": time per operation at 1000 operations at most 1.5 × \
         that at 100 (a constant cost per spec makes small specs look expensive per operation).\n\n\
         | Operations | CPU, median | wall, median | runs | CPU ms per operation | generated lines |\n\
         |---|---|---|---|---|---|\n",
    );
    let _ = writeln!(
        md,
        "| {whole_ops} (`{SPEC_PATH}` itself) | {:.3} s | {:.3} s | {} | {:.2} | {} |",
        median(&whole_secs),
        median(&whole_wall),
        whole_secs.len(),
        median(&whole_secs) * 1000.0 / whole_ops as f64,
        thousands(whole_lines as f64)
    );
    for (n, secs, wall, lines) in &sizes {
        let _ = writeln!(
            md,
            "| {n} | {:.3} s | {:.3} s | {} | {:.2} | {} |",
            median(secs),
            median(wall),
            secs.len(),
            per_op(*n),
            thousands(*lines as f64)
        );
    }
    Ok(Section { rows, markdown: md })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_thread_s_cpu_time_is_readable_and_only_grows() {
        let before = thread_cpu_secs().unwrap();
        let spin: u64 = (0..1_000_000u64).map(std::hint::black_box).sum();
        assert!(spin > 0);
        assert!(thread_cpu_secs().unwrap() >= before);
    }

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
