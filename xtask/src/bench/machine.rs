//! What the figures were taken on: the machine, how busy it was, tool versions, the date.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::process::run_captured;

pub struct Machine {
    pub cores: usize,
    pub memory: String,
    pub cpu_model: String,
    pub os: String,
    pub kernel: String,
}

pub fn describe() -> Machine {
    let cpuinfo = read("/proc/cpuinfo");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown".to_owned(), |(_, v)| v.trim().to_owned());
    let memory = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .map_or("unknown".to_owned(), |kib| {
            format!("{:.1} GiB", kib / 1024.0 / 1024.0)
        });
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map_or("unknown".to_owned(), |v| v.trim_matches('"').to_owned());
    let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
    Machine {
        cores,
        memory,
        cpu_model,
        os,
        kernel,
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` prints them.
pub fn load_average() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The share of all CPU time spent busy over `window`, from `/proc/stat` (taken while the bench runs
/// nothing, it is what other processes use). None where `/proc/stat` is unreadable.
pub fn busy_share(window: Duration) -> Option<f64> {
    let (t0, i0) = machine_ticks()?;
    std::thread::sleep(window);
    let (t1, i1) = machine_ticks()?;
    let total = t1.checked_sub(t0)?;
    (total > 0).then(|| 1.0 - (i1 - i0) as f64 / total as f64)
}

/// All cores' CPU ticks from `/proc/stat`: (total, idle).
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = read("/proc/stat");
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user already)
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
    Some((total, idle))
}

/// The machine's CPU ticks (all cores) and this process's own, its reaped children included.
pub struct CpuSample {
    total: u64,
    idle: u64,
    own: u64,
}

pub fn cpu_sample() -> Option<CpuSample> {
    let (total, idle) = machine_ticks()?;
    let own_stat = read("/proc/self/stat");
    let rest = &own_stat[own_stat.rfind(')')? + 1..];
    let own_fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .filter_map(|n| n.parse().ok())
        .collect();
    // utime, stime, cutime, cstime: the children are counted once they have been waited for, and
    // the bench waits for every process it starts.
    let own = own_fields.iter().sum();
    Some(CpuSample { total, idle, own })
}

/// The share of all CPU time between two samples that went to other processes than this one and
/// its children.
pub fn others_share(before: &CpuSample, after: &CpuSample) -> Option<f64> {
    let total = after.total.checked_sub(before.total)?;
    let busy = total.checked_sub(after.idle.checked_sub(before.idle)?)?;
    let own = after.own.saturating_sub(before.own);
    (total > 0).then(|| busy.saturating_sub(own) as f64 / total as f64)
}

/// First line of `program args…`, or `not found`.
pub fn version_of(program: &str, args: &[&str]) -> String {
    run_captured(
        Command::new(program).args(args),
        program,
        Duration::from_secs(30),
    )
    .map(|o| {
        let text = if o.stdout.trim().is_empty() {
            o.stderr
        } else {
            o.stdout
        };
        text.lines().next().unwrap_or("").trim().to_owned()
    })
    .unwrap_or_else(|_| "not found".to_owned())
}

/// `name version` of the given packages as Cargo.lock pins them.
pub fn locked_versions(root: &Path, names: &[&str]) -> Vec<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let mut found = vec![];
    let mut current: Option<&str> = None;
    for line in lock.lines() {
        if let Some(name) = line.strip_prefix("name = ") {
            current = Some(name.trim_matches('"'));
        } else if let (Some(name), Some(version)) = (current, line.strip_prefix("version = ")) {
            if names.contains(&name) {
                found.push(format!("{name} {}", version.trim_matches('"')));
            }
            current = None;
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Now, as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_764_086_400 + 3_723), "2025-11-25 17:02 UTC");
    }
}
