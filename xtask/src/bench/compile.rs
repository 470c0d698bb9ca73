//! `cargo xtask bench --compile`: what a user pays on the first `cargo build` (debug, the default
//! profile) of a small program using `IamportClient`, against the same program written with
//! reqwest + serde only. The two programs are `xtask/bench-fixtures/compile/{with-client,with-reqwest}`
//! (each its own workspace, so out of this one's build), locked to this workspace's `Cargo.lock`;
//! each round builds both, alternated, each in a fresh `CARGO_TARGET_DIR`.
//!
//! Its section and row of BENCHMARKS.md are spliced into the file as it is, and kept by the other
//! runs of the bench, which do not build the fixtures.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::Value;

use super::process::output;
use super::{first_line, load_average, median};

const FIXTURES: &str = "xtask/bench-fixtures/compile";
const CLIENT: &str = "with-client";
const REQWEST: &str = "with-reqwest";
const TARGET: f64 = 1.5;
/// The title of the section, and the start of the row in the results table: how the splice finds them.
const TITLE: &str = "## Compile time: a user's first `cargo build`";
const ROW: &str = "| Cold `cargo build` of a user's program";

/// One cold build: wall and CPU seconds (CPU: user + system of cargo and every process it waited
/// for), and the seconds of each unit cargo compiled or ran, keyed `name version target`.
struct Build {
    wall: f64,
    cpu: f64,
    units: BTreeMap<String, f64>,
}

pub fn run(root: &Path, full: bool) -> anyhow::Result<()> {
    let rounds = if full { 4 } else { 2 };
    let started = Instant::now();
    let date = first_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]));
    let load_before = load_average();
    let fixtures = root.join(FIXTURES);
    check_same_reqwest(root, &fixtures)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let scratch = Scratch(root.join("target/bench-compile"));
    for name in [CLIENT, REQWEST] {
        // The workspace's versions; downloads are fetched here, not timed.
        std::fs::copy(
            root.join("Cargo.lock"),
            fixtures.join(name).join("Cargo.lock"),
        )?;
        output(
            Command::new(&cargo)
                .arg("fetch")
                .current_dir(fixtures.join(name)),
            &format!("cargo fetch in {FIXTURES}/{name}"),
        )?;
    }
    let (mut client, mut reqwest) = (vec![], vec![]);
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [CLIENT, REQWEST]
        } else {
            [REQWEST, CLIENT]
        };
        for name in order {
            let build = cold_build(&cargo, &fixtures.join(name), &scratch.0.join(name))?;
            eprintln!(
                "bench: compile round {}: {name} {:.1} s wall, {:.1} s CPU",
                round + 1,
                build.wall,
                build.cpu
            );
            if name == CLIENT {
                &mut client
            } else {
                &mut reqwest
            }
            .push(build);
        }
    }
    drop(scratch);
    let (rows, mut section) = report(&client, &reqwest);
    let _ = writeln!(
        section,
        "\nMeasured by `cargo xtask bench --compile{}` on {date} ({rounds} rounds, {:.0} s in all); load \
         average (1, 5, 15 min) before / after: {load_before} / {}; {}.",
        if full { " --full" } else { "" },
        started.elapsed().as_secs_f64(),
        load_average(),
        first_line(Command::new("rustc").arg("-V"))
    );
    let path = root.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    if !old.contains("\n## Results\n") {
        bail!(
            "{} has no `## Results` table to add the compile row to: run `cargo xtask bench` first",
            path.display()
        );
    }
    std::fs::write(&path, splice(&old, &rows, &section))
        .with_context(|| format!("writing {}", path.display()))?;
    println!("{}", rows.join("\n"));
    eprintln!("bench: wrote {}", path.display());
    Ok(())
}

/// The builds' target directories (each removed after its build), removed however the run ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The fixtures are only a fair comparison with iamport-client's own reqwest: the same line.
fn check_same_reqwest(root: &Path, fixtures: &Path) -> anyhow::Result<()> {
    let line = |path: PathBuf| -> anyhow::Result<String> {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let line = text.lines().find(|l| l.starts_with("reqwest = "));
        line.map(str::to_owned)
            .with_context(|| format!("{} has no `reqwest = ` line", path.display()))
    };
    let workspace = line(root.join("Cargo.toml"))?;
    let fixture = line(fixtures.join(REQWEST).join("Cargo.toml"))?;
    if workspace != fixture {
        bail!(
            "{FIXTURES}/{REQWEST}/Cargo.toml must ask for the reqwest that iamport-client uses, \
             `{workspace}`, not `{fixture}`"
        );
    }
    Ok(())
}

/// `cargo build --timings` of `fixture` in the empty target directory `dir`, removed after.
fn cold_build(cargo: &std::ffi::OsStr, fixture: &Path, dir: &Path) -> anyhow::Result<Build> {
    let _ = std::fs::remove_dir_all(dir);
    let (t, cpu) = (Instant::now(), children_cpu_secs()?);
    output(
        Command::new(cargo)
            .args(["build", "--timings"])
            .current_dir(fixture)
            .env("CARGO_TARGET_DIR", dir)
            .env_remove("RUSTFLAGS"),
        &format!("cargo build in {}", fixture.display()),
    )?;
    let (wall, cpu) = (t.elapsed().as_secs_f64(), children_cpu_secs()? - cpu);
    let units = unit_times(dir).unwrap_or_default();
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    Ok(Build { wall, cpu, units })
}

/// User + system seconds of this process's waited-for children and their own waited-for
/// children (fields 16 and 17 of `/proc/self/stat`, in clock ticks of 1/100 s on Linux).
fn children_cpu_secs() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map_or(vec![], |(_, rest)| rest.split(' ').collect());
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(13), ticks(14)) {
        (Some(user), Some(system)) => Ok((user + system) / 100.0),
        _ => bail!("unexpected /proc/self/stat: {stat}"),
    }
}

/// The seconds of each unit, from the `UNIT_DATA` of cargo's `--timings` report (an HTML page
/// whose format cargo may change: None then, and the breakdown is left out).
fn unit_times(dir: &Path) -> Option<BTreeMap<String, f64>> {
    let report = std::fs::read_dir(dir.join("cargo-timings"))
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("cargo-timing-"))?;
    parse_units(&std::fs::read_to_string(report.path()).ok()?)
}

fn parse_units(html: &str) -> Option<BTreeMap<String, f64>> {
    let json = html.split_once("const UNIT_DATA = ")?.1;
    let units: Value = serde_json::Deserializer::from_str(json)
        .into_iter()
        .next()?
        .ok()?;
    let mut times = BTreeMap::new();
    for unit in units.as_array()? {
        let key = format!(
            "{} {}{}",
            unit["name"].as_str()?,
            unit["version"].as_str()?,
            unit["target"].as_str().unwrap_or("")
        );
        *times.entry(key).or_default() += unit["duration"].as_f64()?;
    }
    Some(times)
}

/// The results rows and the section.
fn report(client: &[Build], reqwest: &[Build]) -> (Vec<String>, String) {
    let per_round = |f: fn(&Build) -> f64| -> Vec<f64> {
        client
            .iter()
            .zip(reqwest)
            .map(|(c, r)| f(c) / f(r))
            .collect()
    };
    let (wall_ratios, cpu_ratios) = (per_round(|b| b.wall), per_round(|b| b.cpu));
    let med =
        |builds: &[Build], f: fn(&Build) -> f64| median(&builds.iter().map(f).collect::<Vec<_>>());
    let ratio = median(&wall_ratios);
    let verdict = if ratio <= TARGET {
        "✅ met"
    } else {
        "❌ **missed**"
    };
    let rows = vec![
        format!(
            "{ROW} (debug), wall time | {:.1} s (`IamportClient`) | {:.1} s (reqwest + serde) | {ratio:.3} | ≤ {TARGET} | {verdict} |",
            med(client, |b| b.wall),
            med(reqwest, |b| b.wall),
        ),
        format!(
            "{ROW} (debug), CPU time | {:.1} s | {:.1} s | {:.3} | — |  |",
            med(client, |b| b.cpu),
            med(reqwest, |b| b.cpu),
            median(&cpu_ratios)
        ),
    ];
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut md = format!("{TITLE}\n\n");
    let _ = writeln!(
        md,
        "A user's program, built cold as their first `cargo build` builds it (the dev profile, debug info \
         and all, every dependency compiled): `{FIXTURES}/{CLIENT}` gets a token and calls \
         `query_cash_amount` with `IamportClient`; `{FIXTURES}/{REQWEST}` does the same with reqwest + \
         serde (POST `/users/getToken` with JSON, GET the cash amount with the bearer token, the envelope \
         decoded into its own structs), with iamport-client's reqwest version and features. Both are \
         locked to the workspace's `Cargo.lock`, their crates fetched before the clock starts; each round \
         builds both, in alternating order, each in an empty `CARGO_TARGET_DIR` (`cargo build --timings`, \
         2 jobs on this machine's {} cores). Ratio: client / reqwest, the median of the per-round ratios; \
         CPU time is the user + system time of cargo and all it ran: on a busy machine (see the load \
         average below) it says more than the wall time, which the other work stretches.\n",
        std::thread::available_parallelism().map_or(2, |n| n.get())
    );
    let _ = writeln!(
        md,
        "| Round | `{CLIENT}` wall | `{REQWEST}` wall | ratio | `{CLIENT}` CPU | `{REQWEST}` CPU | ratio |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for (i, (c, r)) in client.iter().zip(reqwest).enumerate() {
        let _ = writeln!(
            md,
            "| {} | {:.1} s | {:.1} s | {:.3} | {:.1} s | {:.1} s | {:.3} |",
            i + 1,
            c.wall,
            r.wall,
            wall_ratios[i],
            c.cpu,
            r.cpu,
            cpu_ratios[i]
        );
    }
    let _ = writeln!(
        md,
        "\nPer-round ratios, wall: {}; CPU: {}.",
        list(&wall_ratios),
        list(&cpu_ratios)
    );

    // What only the client's build compiles, from cargo's timings (median seconds per unit).
    let units = |builds: &[Build]| -> BTreeMap<String, f64> {
        let mut all: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for b in builds {
            for (k, v) in &b.units {
                all.entry(k.clone()).or_default().push(*v);
            }
        }
        all.into_iter().map(|(k, v)| (k, median(&v))).collect()
    };
    let (cu, ru) = (units(client), units(reqwest));
    if !cu.is_empty() && !ru.is_empty() {
        let mut only: Vec<(&String, f64)> = cu
            .iter()
            .filter(|(k, _)| !ru.contains_key(*k))
            .map(|(k, v)| (k, *v))
            .collect();
        only.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (sum_c, sum_r): (f64, f64) = (cu.values().sum(), ru.values().sum());
        let extra: f64 = only.iter().map(|(_, v)| v).sum();
        let own = cu
            .iter()
            .find(|(k, _)| k.starts_with("iamport-client "))
            .map_or(0.0, |(_, v)| *v);
        let _ = writeln!(
            md,
            "\nWhere the difference is (cargo's `--timings`, median seconds per unit; units overlap on 2 \
             cores, so they add up to more than the wall time): the client's build has {} units taking \
             {sum_c:.1} s, the reqwest one {} taking {sum_r:.1} s. The {} units only the client's build has \
             take {extra:.1} s; iamport-client itself takes {own:.1} s ({:.1} % of the client build's wall \
             time; every other crate but tokio is a dependency of it, so little runs beside it). The \
             largest:\n",
            cu.len(),
            ru.len(),
            only.len(),
            100.0 * own / med(client, |b| b.wall)
        );
        let _ = writeln!(
            md,
            "| Unit (only in the client's build) | seconds |\n|---|---|"
        );
        for (k, v) in only.iter().take(12) {
            let _ = writeln!(md, "| {k} | {v:.2} |");
        }
    }
    (rows, md)
}

/// `doc` with the compile rows and section replaced by `rows` and `section` (see [`super::splice`]).
pub fn splice(doc: &str, rows: &[String], section: &str) -> String {
    super::splice(doc, TITLE, ROW, rows, section)
}

/// The compile rows and section of `doc`, when it has them (see [`super::kept`]).
pub fn kept(doc: &str) -> Option<(Vec<String>, String)> {
    super::kept(doc, TITLE, ROW)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Benchmarks\n\n## Results\n\n| Measure | x |\n|---|---|\n| Server | 1 |\n\n## Server\n\ntext\n\n## Machine\n\n- 2 cores\n";

    #[test]
    fn the_compile_rows_and_section_are_added_then_replaced_and_the_rest_kept() {
        let rows = vec![format!("{ROW} (debug), wall time | 1 |")];
        let once = splice(DOC, &rows, &format!("{TITLE}\n\nfirst round\n"));
        assert_eq!(
            once,
            format!(
                "# Benchmarks\n\n## Results\n\n| Measure | x |\n|---|---|\n| Server | 1 |\n{}\n\n## Server\n\ntext\n\n{TITLE}\n\nfirst round\n\n## Machine\n\n- 2 cores\n",
                rows[0]
            )
        );
        let rows2 = vec![format!("{ROW} (debug), wall time | 2 |")];
        let twice = splice(&once, &rows2, &format!("{TITLE}\n\nsecond\n"));
        assert_eq!(
            twice,
            once.replace("| 1 |\n\n##", "| 2 |\n\n##")
                .replace("first round", "second")
        );
        // What a run without --compile keeps: the same rows and section, spliced into its new file.
        let (rows, section) = kept(&twice).unwrap();
        assert_eq!(rows, rows2);
        assert_eq!(section, format!("{TITLE}\n\nsecond\n"));
        assert_eq!(splice(DOC, &rows, &section), twice);
        assert!(kept(DOC).is_none());
    }

    #[test]
    fn unit_times_come_from_the_timings_report() {
        let html = r#"<script>
const UNIT_DATA = [{"i":0,"name":"syn","version":"2.0.1","mode":"todo","target":"","start":0.1,"duration":8.5},
{"i":1,"name":"aws-lc-sys","version":"0.47.0","target":" build-script (run)","start":1.0,"duration":45.0},
{"i":2,"name":"syn","version":"2.0.1","target":"","start":9.0,"duration":0.5}];
const CONCURRENCY_DATA = [];
</script>"#;
        let units = parse_units(html).unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(units["syn 2.0.1"], 9.0);
        assert_eq!(units["aws-lc-sys 0.47.0 build-script (run)"], 45.0);
        assert!(parse_units("<html>no data</html>").is_none());
    }

    #[test]
    fn the_fixtures_ask_for_iamport_client_s_reqwest() {
        let root = crate::codegen::workspace_root();
        check_same_reqwest(&root, &root.join(FIXTURES)).unwrap();
    }

    #[test]
    fn children_cpu_time_is_readable() {
        assert!(children_cpu_secs().unwrap() >= 0.0);
    }
}
