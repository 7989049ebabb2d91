//! The measured figures of `docs/RELIABILITY.md` and `fuzz/README.md`:
//! the memory soak (`results/memory-soak/log.txt`, as the `memory_soak`
//! example prints it) and the fuzzing campaign (`results/fuzz/runs.json`,
//! libFuzzer's `#N DONE` line of every run).

use super::{malformed, read, read_json, DocsError, Provenance};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The memory soak's printed output and provenance.
pub const MEMORY_SOAK: &str = "results/memory-soak";
/// The fuzzing campaign's runs and provenance.
pub const FUZZ: &str = "results/fuzz";

/// One sampled line of the soak: step, resident MiB, live graph nodes.
fn soak_samples(log: &str) -> Vec<(u64, f64, u64)> {
    log.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let step = words.next()?.parse().ok()?;
            let rss = words.next()?.parse().ok()?;
            let nodes = words.next()?.parse().ok()?;
            words.next().is_none().then_some((step, rss, nodes))
        })
        .collect()
}

/// The soak's first sample, the samples at and after the warm-up's end
/// (the first, one in the middle, the last), and its growth line.
pub fn memory_soak(root: &Path) -> Result<String, DocsError> {
    let dir = root.join(MEMORY_SOAK);
    let path = dir.join("log.txt");
    let log = read(&path)?;
    let samples = soak_samples(&log);
    let growth = log
        .lines()
        .find(|l| l.starts_with("RSS growth"))
        .ok_or_else(|| malformed(&path, "lacks the `RSS growth` line"))?;
    let header = log
        .lines()
        .next()
        .ok_or_else(|| malformed(&path, "is empty"))?;
    if samples.len() < 3 {
        return Err(malformed(&path, "holds fewer than three samples"));
    }
    let provenance = Provenance::of(&dir)?;
    let picks = [0, 1, samples.len() / 2, samples.len() - 1];
    let mut out = format!(
        "`{}`: {header}; {}, {}, {}.\n\n| step | resident MiB | live graph nodes |\n|---|---|---|\n",
        provenance.command, provenance.cpu, provenance.date, provenance.conditions
    );
    let mut last = None;
    for i in picks {
        if last == Some(i) {
            continue;
        }
        last = Some(i);
        let (step, rss, nodes) = samples[i];
        out.push_str(&format!("| {step} | {rss:.1} | {nodes} |\n"));
    }
    out.push_str(&format!("\n{growth}.\n"));
    Ok(out)
}

/// The runs of the campaign: (target, run, `#N DONE` line).
fn fuzz_runs(root: &Path) -> Result<Vec<(String, String, String)>, DocsError> {
    let path = root.join(FUZZ).join("runs.json");
    let json = read_json(&path)?;
    let runs = json
        .get("runs")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(&path, "lacks the array `runs`"))?;
    runs.iter()
        .map(|r| {
            let field = |name: &str| {
                r.get(name)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| malformed(&path, format!("a run lacks `{name}`")))
            };
            Ok((field("target")?, field("run")?, field("done_line")?))
        })
        .collect()
}

/// The executions of a `#N DONE` line.
fn executions(done_line: &str) -> Option<u64> {
    done_line
        .strip_prefix('#')?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Executions per target, summed over its runs.
fn totals(root: &Path) -> Result<BTreeMap<String, u64>, DocsError> {
    let mut totals = BTreeMap::new();
    for (target, _, line) in fuzz_runs(root)? {
        let n = executions(&line).ok_or_else(|| {
            malformed(
                &root.join(FUZZ).join("runs.json"),
                format!("`{line}` is not a `#N DONE` line"),
            )
        })?;
        *totals.entry(target).or_insert(0) += n;
    }
    Ok(totals)
}

/// The campaign in one table: executions per target, and where it ran.
pub fn fuzz(root: &Path) -> Result<String, DocsError> {
    let provenance = Provenance::of(&root.join(FUZZ))?;
    let mut out = String::from("| target | executions, all runs |\n|---|---|\n");
    let totals = totals(root)?;
    for (target, n) in &totals {
        out.push_str(&format!("| `{target}` | {n} |\n"));
    }
    out.push_str(&format!(
        "| all | {} |\n\n{}, {}; {}.\n",
        totals.values().sum::<u64>(),
        provenance.cpu,
        provenance.date,
        provenance.conditions
    ));
    Ok(out)
}

/// Every run of the campaign with libFuzzer's final line (`fuzz/README.md`).
pub fn fuzz_runs_table(root: &Path) -> Result<String, DocsError> {
    let mut out = String::from("| target | run | `#N DONE` line |\n|---|---|---|\n");
    for (target, run, line) in fuzz_runs(root)? {
        out.push_str(&format!("| `{target}` | {run} | `{line}` |\n"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soak_samples_are_the_three_number_lines() {
        let log = "seed-torch for 10 steps\n  step    RSS MiB  live nodes\n     1       58.9          15\n   250       70.3          15\nRSS growth from step 1 to 250: +11.4 MiB (+19.4%)\n";
        assert_eq!(soak_samples(log), vec![(1, 58.9, 15), (250, 70.3, 15)]);
    }

    #[test]
    fn executions_come_from_the_done_line() {
        assert_eq!(executions("#5000000 DONE cov: 1287"), Some(5_000_000));
        assert_eq!(executions("DONE"), None);
    }
}
