//! `cargo xtask bench [--full]`: the measurements that decide something, each against a baseline
//! taken in the same run, written to `BENCHMARKS.md`:
//!
//! * [`server`]: the generated server vs a hand-written axum handler (wrk);
//! * [`client`]: `IamportClient` vs raw reqwest, with where the difference comes from;
//! * [`codegen`]: generation time as the spec grows;
//! * [`compile`] (`--compile`, alone: it takes minutes): a user's cold `cargo build` with the client
//!   vs with reqwest + serde;
//! * [`prism`] (`--prism`, alone: it needs Node.js and Prism from `.ci/prism`): the sandbox binary
//!   vs Stoplight Prism on the same spec, same requests, same load.
//!
//! A measurement is one module with a [`Measurement`]: its name, the external tools it needs (each
//! with the command that installs it: the bench never installs anything), and a function that gives
//! its rows of the results table and its section; the ones run alone keep their rows and section
//! in BENCHMARKS.md through the other runs ([`splice`], [`kept`]). The measured programs are in
//! `crates/iamport-bench`, built here in release; nothing asserts a timing, targets are reported as
//! met or missed.

mod client;
mod codegen;
pub mod compile;
pub mod prism;
mod process;
mod server;

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

pub struct Measurement {
    pub name: &'static str,
    /// (program, the command that installs it)
    pub tools: &'static [(&'static str, &'static str)],
    pub run: fn(&Ctx) -> anyhow::Result<Section>,
}

const MEASUREMENTS: [Measurement; 3] = [
    server::MEASUREMENT,
    client::MEASUREMENT,
    codegen::MEASUREMENT,
];

/// What every measurement gets.
pub struct Ctx {
    pub root: PathBuf,
    pub full: bool,
    /// `target/release`, with `bench-server` and `bench-client` built.
    pub release: PathBuf,
    pub cores: usize,
}

/// A measurement's part of the report.
pub struct Section {
    pub rows: Vec<Row>,
    /// Its own section of BENCHMARKS.md, from its `## ` title on.
    pub markdown: String,
}

/// One line of the results table: ours against the baseline of the same run, and the target with
/// whether it is met.
pub struct Row {
    pub measure: String,
    pub ours: String,
    pub baseline: String,
    pub ratio: Option<f64>,
    pub target: Option<(bool, String)>,
}

pub fn run(root: &Path, full: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    for m in &MEASUREMENTS {
        for (tool, install) in m.tools {
            require(tool, install).with_context(|| format!("the {} measurement", m.name))?;
        }
    }
    let command = if full {
        "cargo xtask bench --full"
    } else {
        "cargo xtask bench"
    };
    let date = first_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]));
    let load_before = load_average();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("bench: {command}; cargo build --release -p iamport-bench");
    let status = Command::new(&cargo)
        .args(["build", "--release", "-p", "iamport-bench"])
        .current_dir(root)
        .stdin(Stdio::null())
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("cargo build --release -p iamport-bench failed ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), |d| root.join(d));
    let ctx = Ctx {
        root: root.to_owned(),
        full,
        release: target.join("release"),
        cores: std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let mut sections = vec![];
    for m in &MEASUREMENTS {
        eprintln!("bench: {}", m.name);
        sections.push((m.run)(&ctx).with_context(|| format!("the {} measurement", m.name))?);
    }

    let mut md = String::from("# Benchmarks\n\n");
    let _ = writeln!(
        md,
        "Written by `{command}` on {date} ({} run, {:.0} s). Regenerate with `cargo xtask bench` (quick) \
         or `cargo xtask bench --full`. Nothing asserts a timing: every ratio compares two things measured \
         in the same run, alternated, on the same machine (ratios are ours / baseline, the median of the \
         per-round ratios); targets are reported as met or missed.\n",
        if full { "full" } else { "quick" },
        started.elapsed().as_secs_f64()
    );
    let busy = load_before
        .split(' ')
        .next()
        .and_then(|l| l.parse::<f64>().ok());
    if let Some(load) = busy.filter(|load| *load > ctx.cores as f64 / 2.0) {
        let _ = writeln!(
            md,
            "> **The machine was busy**: load average {load} before the run, on {} cores (other work on \
             a shared machine). Absolute figures are depressed and noisy; the ratios less so, since the \
             two arms of each pair run back to back, alternated, but read the per-round figures before \
             reading a few percent into a ratio.\n",
            ctx.cores
        );
    }
    let table = results_table(&sections);
    md.push_str("## Results\n\n");
    md.push_str(&table);
    for section in &sections {
        md.push('\n');
        md.push_str(&section.markdown);
    }
    md.push_str("\n## Machine\n\n");
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'));
    let _ = writeln!(
        md,
        "- {} cores ({})",
        ctx.cores,
        model.map_or("unknown", |(_, m)| m.trim())
    );
    let _ = writeln!(
        md,
        "- load average (1, 5, 15 min) before / after: {load_before} / {}",
        load_average()
    );
    let _ = writeln!(md, "- {}", first_line(Command::new("rustc").arg("-V")));
    let _ = writeln!(md, "- {}", first_line(Command::new("wrk").arg("-v")));
    md.push_str(RECIPES);
    let path = root.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    if let Some((rows, section)) = compile::kept(&old) {
        md = compile::splice(&md, &rows, &section);
    }
    if let Some((rows, section)) = prism::kept(&old) {
        md = prism::splice(&md, &rows, &section);
    }
    std::fs::write(&path, md).with_context(|| format!("writing {}", path.display()))?;
    println!("{table}");
    eprintln!(
        "bench: wrote {} in {:.0} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn results_table(sections: &[Section]) -> String {
    let mut t = String::from(
        "| Measure | Ours | Baseline (same run) | Ratio | Target | |\n|---|---|---|---|---|---|\n",
    );
    for r in sections.iter().flat_map(|s| &s.rows) {
        let ratio = r.ratio.map_or("—".into(), |x| format!("{x:.3}"));
        let (target, verdict) = match &r.target {
            Some((true, target)) => (target.as_str(), "✅ met"),
            Some((false, target)) => (target.as_str(), "❌ **missed**"),
            None => ("—", ""),
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {ratio} | {target} | {verdict} |",
            r.measure, r.ours, r.baseline
        );
    }
    t
}

/// What was measured once and is kept as a recipe rather than code.
const RECIPES: &str = "
## Recipes (not run by the bench)

- **Instructions per request** (deterministic, for when the server ratio needs explaining on a busy
  machine): start `valgrind --tool=callgrind target/release/bench-server --mode generated --workers 1`,
  warm it up with wrk, zero the counters with `callgrind_control -z <pid>`, run `wrk -t1 -c4 -d5s` with
  the `Authorization: Bearer <token>` it printed against the URL it printed, stop it, and divide the
  `totals:` of its callgrind output by the requests wrk completed; likewise with `--mode handwritten`.
- **Peak memory** of a server: `grep VmHWM /proc/<pid>/status` after a load.
- **The client's own compile time as the spec grows** (`--compile` times the crate at its current
  size): build `xtask/bench-fixtures/compile/with-client` once in a `CARGO_TARGET_DIR` of your own,
  replace `crates/iamport-client/src/generated_client.rs` (by hand, never committed), delete
  `debug/incremental/iamport_client-*` there and run `cargo build --timings` again: its `iamport-client`
  unit is the crate's cold time. For the phases, rerun the rustc command that `cargo build -v` prints for
  it with `RUSTC_BOOTSTRAP=1 CARGO_PKG_VERSION=2.0.0` and `-Z time-passes`. Measured once on
  2026-11-26 with a snapshot of the 76-operation spec before it landed (62,621 generated lines, 696
  types, 420 `JsonSchema` derives, 76 `regress` patterns) against the 2-operation one (1,303 lines):
  24–28 s instead of 2 s (about 0.3 s of CPU per operation, on the build's critical path: front end 11 s,
  LLVM 15 s), 19 s without the `JsonSchema` derives; `--compile` with it: CPU ratio 1.552 and
  1.488 (wall 1.687, 1.191 on a machine at load 5).
";

/// `doc` with the section titled `title` and the results rows starting with `row` replaced by
/// `section` and `rows` (added when absent: the rows at the end of the results table, the section
/// before `## Machine`). For the measurements run alone (`--compile`, `--prism`), whose figures the
/// other runs keep.
pub fn splice(doc: &str, title: &str, row: &str, rows: &[String], section: &str) -> String {
    let mut lines: Vec<&str> = vec![];
    let mut skipping = false;
    for line in doc.lines() {
        if line.starts_with("## ") {
            skipping = line == title;
        }
        if !skipping && !line.starts_with(row) {
            lines.push(line);
        }
    }
    let mut out = String::new();
    let (mut in_results, mut rows_done, mut section_done) = (false, false, false);
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("## ") {
            in_results = *line == "## Results";
        }
        if *line == "## Machine" && !section_done {
            out.push_str(section);
            out.push('\n');
            section_done = true;
        }
        out.push_str(line);
        out.push('\n');
        let table_ends = !lines.get(i + 1).is_some_and(|l| l.starts_with('|'));
        if in_results && line.starts_with('|') && table_ends && !rows_done {
            for row in rows {
                out.push_str(row);
                out.push('\n');
            }
            rows_done = true;
        }
    }
    if !section_done {
        out.push('\n');
        out.push_str(section);
    }
    out
}

/// The rows and section of a measurement run alone, when `doc` has them, for a run that does not
/// measure it to keep.
pub fn kept(doc: &str, title: &str, row: &str) -> Option<(Vec<String>, String)> {
    let rows: Vec<String> = doc
        .lines()
        .filter(|l| l.starts_with(row))
        .map(str::to_owned)
        .collect();
    let start = doc.find(&format!("\n{title}\n"))? + 1;
    let end = doc[start + title.len()..]
        .find("\n## ")
        .map_or(doc.len(), |e| start + title.len() + e + 1);
    Some((rows, doc[start..end].trim_end().to_owned() + "\n"))
}

/// Fails, naming the command that installs it, unless `program` is on the PATH.
fn require(program: &str, install: &str) -> anyhow::Result<()> {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    if !found {
        bail!(
            "`{program}` is not installed (the bench installs nothing); install it with `{install}`"
        );
    }
    Ok(())
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` gives them.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line a program prints (on stdout, else stderr), or `unknown`.
fn first_line(command: &mut Command) -> String {
    let text = command.output().ok().map(|o| {
        let text = if o.stdout.is_empty() {
            o.stderr
        } else {
            o.stdout
        };
        String::from_utf8_lossy(&text)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_owned()
    });
    text.filter(|t| !t.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The median (mean of the two middle values for an even count); NaN for no samples.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// `1234567.8` → `1,234,568`.
pub fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_reported_with_its_install_command() {
        let err = require(
            "no-such-tool-for-the-bench",
            "sudo apt-get install no-such-tool",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`no-such-tool-for-the-bench` is not installed"),
            "{err}"
        );
        assert!(err.contains("`sudo apt-get install no-such-tool`"), "{err}");
        assert!(require("sh", "unused").is_ok(), "sh is on every PATH");
    }

    #[test]
    fn the_sections_run_alone_are_kept_side_by_side() {
        let doc = "# Benchmarks\n\n## Results\n\n| Measure | x |\n|---|---|\n| Server | 1 |\n\n## Server\n\ntext\n\n## Machine\n\n- 2 cores\n";
        let compile_rows = vec!["| Cold `cargo build` of a user's program, wall | 1 |".to_owned()];
        let prism_rows = vec!["| Sandbox vs Prism: throughput | 2 |".to_owned()];
        let both = prism::splice(
            &compile::splice(
                doc,
                &compile_rows,
                "## Compile time: a user's first `cargo build`\n\nc\n",
            ),
            &prism_rows,
            "## The sandbox against Prism\n\np\n",
        );
        assert!(both.contains("| Server | 1 |\n| Cold `cargo build` of a user's program, wall | 1 |\n| Sandbox vs Prism: throughput | 2 |\n\n## Server"), "{both}");
        assert!(
            both.contains("c\n\n## The sandbox against Prism\n\np\n\n## Machine"),
            "{both}"
        );
        // A run that measures neither writes a new file and splices both back, as they were.
        let (rows, section) = prism::kept(&both).unwrap();
        assert_eq!(
            (rows, section.as_str()),
            (prism_rows.clone(), "## The sandbox against Prism\n\np\n")
        );
        let (crows, csection) = compile::kept(&both).unwrap();
        let again = prism::splice(
            &compile::splice(doc, &crows, &csection),
            &prism_rows,
            &section,
        );
        assert_eq!(again, both);
        assert!(prism::kept(doc).is_none());
    }

    #[test]
    fn medians_and_thousands() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(999.0), "999");
    }
}
