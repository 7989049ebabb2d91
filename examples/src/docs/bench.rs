//! The benchmark tables of `docs/PERFORMANCE.md` and `bench/README.md`,
//! one per *sitting*: a folder under `bench/results/` (named
//! `<date>-family<F>-model<M>` by `bench/compare.sh`) with our first run
//! (`ours-run1.json`), PyTorch's (`torch.json`), our second run
//! (`ours.json`), and `provenance.json` for the machine. Sittings on
//! different processors are never mixed in one table; the newest comes
//! first.

use super::{malformed, read_json, significant, DocsError, Provenance};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The folder of the benchmark sittings.
pub const DIR: &str = "bench/results";

/// The sittings under [`DIR`] (its sub-folders that hold an `ours.json`),
/// newest first (the folder names start with the date).
fn sittings(root: &Path) -> Result<Vec<PathBuf>, DocsError> {
    let dir = root.join(DIR);
    let entries = std::fs::read_dir(&dir).map_err(|source| DocsError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("ours.json").is_file())
        .collect();
    found.sort();
    found.reverse();
    if found.is_empty() {
        return Err(malformed(
            &dir,
            "holds no sitting (a folder with ours.json)",
        ));
    }
    Ok(found)
}

/// The heading line of a sitting's table: its processor and date.
fn heading(dir: &Path) -> Result<String, DocsError> {
    let p = Provenance::of(dir)?;
    let name = dir
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    Ok(format!(
        "**{}**, {} ({}; `bench/results/{name}/`)\n\n",
        p.cpu, p.date, p.conditions
    ))
}

/// What each case does, as the summary table names it.
const LABELS: &[(&str, &str)] = &[
    ("matmul_1024", "matmul 1024³"),
    ("conv1_fb", "conv1 fwd+bwd (1→10, 5×5, batch 100)"),
    ("conv2_fb", "conv2 fwd+bwd (10→20, 5×5, batch 100)"),
    ("linear64_fb", "Linear(64, 64) fwd+bwd, batch 128"),
    ("linear256_fb", "Linear(256, 256) fwd+bwd"),
    ("linear784_fb", "Linear(784, 784) fwd+bwd"),
    ("synapse_n64_fb", "Synapse n = 64 fwd+bwd, batch 128"),
    ("synapse_n256_fb", "Synapse n = 256 fwd+bwd"),
    ("synapse_n784_fb", "**Synapse n = 784 fwd+bwd**"),
    ("synapse_n784_fwd", "Synapse n = 784 forward"),
    ("synapse_n784_b512_fb", "Synapse n = 784 fwd+bwd, batch 512"),
    ("synapse_conv_fb", "SynapseConv2d 8 ch 3×3, [32, 8, 14, 14]"),
    (
        "synapse_rnn_step_fb",
        "SynapseRNN 28→128, 28 steps, batch 100",
    ),
    ("rnn_tanh_step_fb", "tanh RNN 28→128, 28 steps, batch 100"),
    ("gru_step_fb", "GRU 28→128, 28 steps, batch 100"),
    ("seed_torch_step", "**seed-torch training step**, batch 100"),
    (
        "seed_keras_step",
        "seed-keras training step, full width, batch 64",
    ),
];

/// One case of one of our runs, with PyTorch's figures beside it.
struct Case {
    name: String,
    median_ms: f64,
    min_ms: f64,
    rate: String,
    peak_rss_mib: f64,
    torch: Option<(f64, f64, f64)>,
}

/// Our run in `file`: its cases in order.
fn our_run(dir: &Path, file: &str) -> Result<Vec<Case>, DocsError> {
    let path: PathBuf = dir.join(file);
    let json = read_json(&path)?;
    let rows = json
        .get("rows")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(&path, "lacks the array `rows`"))?;
    let number = |v: &Value, name: &str| -> Result<f64, DocsError> {
        v.get(name)
            .and_then(Value::as_f64)
            .ok_or_else(|| malformed(&path, format!("a row lacks the number `{name}`")))
    };
    rows.iter()
        .map(|row| {
            let ours = row
                .get("ours")
                .ok_or_else(|| malformed(&path, "a row lacks `ours`"))?;
            let torch = match row.get("torch") {
                Some(t) if !t.is_null() => Some((
                    number(t, "median_ms")?,
                    number(t, "min_ms")?,
                    number(t, "peak_rss_mib")?,
                )),
                _ => None,
            };
            Ok(Case {
                name: row
                    .get("case")
                    .and_then(Value::as_str)
                    .ok_or_else(|| malformed(&path, "a row lacks `case`"))?
                    .to_string(),
                median_ms: number(ours, "median_ms")?,
                min_ms: number(ours, "min_ms")?,
                rate: row
                    .get("rate")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                peak_rss_mib: number(row, "peak_rss_mib")?,
                torch,
            })
        })
        .collect()
}

/// A sitting's two runs of ours: (run 1, run 2).
fn our_runs(dir: &Path) -> Result<(Vec<Case>, Vec<Case>), DocsError> {
    Ok((our_run(dir, "ours-run1.json")?, our_run(dir, "ours.json")?))
}

/// The first run's median of `case`, if it ran it.
fn first_median(first: &[Case], case: &str) -> Option<f64> {
    first.iter().find(|c| c.name == case).map(|c| c.median_ms)
}

/// "a (b)": our second run's figure, with the first run's in brackets
/// when the two differ by more than 20%.
fn with_first(second: f64, first: Option<f64>, format: impl Fn(f64) -> String) -> String {
    match first {
        Some(f) if (f / second - 1.0).abs() > 0.2 => format!("{} ({})", format(second), format(f)),
        _ => format(second),
    }
}

/// The summary tables of `docs/PERFORMANCE.md`, one per sitting, newest
/// first: the cases of [`LABELS`], our second run against PyTorch, the
/// first run in brackets where it differs by more than 20%, under a line
/// naming the processor.
pub fn summary_table(root: &Path) -> Result<String, DocsError> {
    let tables = sittings(root)?
        .iter()
        .map(|dir| Ok(heading(dir)? + &sitting_summary(dir)?))
        .collect::<Result<Vec<_>, DocsError>>()?;
    Ok(tables.join("\n"))
}

/// The summary table of one sitting.
fn sitting_summary(dir: &Path) -> Result<String, DocsError> {
    let (first, second) = our_runs(dir)?;
    let mut out = String::from(
        "| case | ours ms | PyTorch ms | PyTorch / ours | ours | peak RSS MiB, ours / PyTorch |\n\
         |---|---|---|---|---|---|\n",
    );
    for (case, label) in LABELS {
        let Some(c) = second.iter().find(|c| c.name == *case) else {
            continue;
        };
        let first = first_median(&first, case);
        let ours = with_first(c.median_ms, first, |x| significant(x, 3));
        let (torch, ratio, torch_rss) = match c.torch {
            Some((median, _, rss)) => (
                significant(median, 3),
                with_first(median / c.median_ms, first.map(|f| median / f), |x| {
                    significant(x, 3)
                }),
                format!("{rss:.0}"),
            ),
            None => ("–".into(), "–".into(), "–".into()),
        };
        out.push_str(&format!(
            "| {label} | {ours} | {torch} | {ratio} | {} | {:.0} / {torch_rss} |\n",
            c.rate, c.peak_rss_mib
        ));
    }
    Ok(out)
}

/// The machines of `bench/README.md`: one column per sitting, from each
/// sitting's `provenance.json`.
pub fn machine(root: &Path) -> Result<String, DocsError> {
    let dirs = sittings(root)?;
    let items = [
        ("CPU", "cpu"),
        ("memory", "memory"),
        ("OS", "os"),
        ("Rust", "rust"),
        ("PyTorch", "pytorch"),
        ("date", "date"),
        ("conditions", "conditions"),
        ("order", "command"),
    ];
    let mut columns = Vec::new();
    for dir in &dirs {
        let provenance = Provenance::of(dir)?;
        let json = read_json(&dir.join("provenance.json"))?;
        let column: Vec<String> = items
            .iter()
            .map(|(_, key)| match *key {
                "cpu" => provenance.cpu.clone(),
                _ => json
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("–")
                    .to_string(),
            })
            .collect();
        columns.push(column);
    }
    let names: Vec<String> = dirs
        .iter()
        .map(|d| format!("`{}`", d.file_name().unwrap_or_default().to_string_lossy()))
        .collect();
    let mut out = format!(
        "| item | {} |\n|---|{}\n",
        names.join(" | "),
        "---|".repeat(dirs.len())
    );
    for (row, (label, _)) in items.iter().enumerate() {
        let cells: Vec<&str> = columns.iter().map(|c| c[row].as_str()).collect();
        out.push_str(&format!("| {label} | {} |\n", cells.join(" | ")));
    }
    Ok(out)
}

/// Every case of every sitting, both of our runs, medians and minima, one
/// table per sitting under a line naming the processor.
pub fn full_table(root: &Path) -> Result<String, DocsError> {
    let tables = sittings(root)?
        .iter()
        .map(|dir| Ok(heading(dir)? + &sitting_full(dir)?))
        .collect::<Result<Vec<_>, DocsError>>()?;
    Ok(tables.join("\n"))
}

/// Every case of one sitting.
fn sitting_full(dir: &Path) -> Result<String, DocsError> {
    let (first, second) = our_runs(dir)?;
    let mut out = String::from(
        "| case | ours median ms (run 1 / run 2) | ours min ms | torch median ms | torch min ms | torch/ours, medians (run 2) | torch/ours, mins | ours rate (run 2) | peak RSS MiB ours / torch |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for c in &second {
        let run1 = first_median(&first, &c.name).map_or("–".into(), |f| significant(f, 3));
        let min = first
            .iter()
            .find(|f| f.name == c.name)
            .map_or(c.min_ms, |f| f.min_ms.min(c.min_ms));
        let torch = match c.torch {
            Some((median, tmin, rss)) => [
                significant(median, 3),
                significant(tmin, 3),
                significant(median / c.median_ms, 3),
                significant(tmin / min, 3),
                format!("{rss:.0}"),
            ],
            None => ["–".into(), "–".into(), "–".into(), "–".into(), "–".into()],
        };
        out.push_str(&format!(
            "| {} | {} / {} | {} | {} | {} | {} | {} | {} | {:.0} / {} |\n",
            c.name,
            run1,
            significant(c.median_ms, 3),
            significant(min, 3),
            torch[0],
            torch[1],
            torch[2],
            torch[3],
            c.rate,
            c.peak_rss_mib,
            torch[4],
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sitting folder under `root/bench/results/name` with one case.
    fn sitting(root: &Path, name: &str, cpu: &str, median_ms: f64) {
        let dir = root.join(DIR).join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let run = format!(
            r#"{{"rows": [{{"case": "conv1_fb", "ours": {{"median_ms": {median_ms}, "min_ms": 1.0}},
                "torch": {{"median_ms": 4.0, "min_ms": 3.5, "peak_rss_mib": 600}},
                "rate": "1 img/s", "peak_rss_mib": 20}}]}}"#
        );
        std::fs::write(dir.join("ours.json"), &run).unwrap();
        std::fs::write(dir.join("ours-run1.json"), &run).unwrap();
        let provenance = format!(
            r#"{{"cpu": "{cpu}", "date": "{name}", "command": "bench/compare.sh", "conditions": "quiet"}}"#
        );
        std::fs::write(dir.join("provenance.json"), provenance).unwrap();
    }

    #[test]
    fn every_sitting_gets_its_own_table_under_its_processor_newest_first() {
        let root = std::env::temp_dir().join(format!("synann-docs-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        sitting(&root, "2026-01-01-family25-model17", "Zen 4 CPU", 2.0);
        sitting(&root, "2026-02-01-family23-model1", "Zen 1 CPU", 1.0);
        let summary = summary_table(&root).unwrap();
        let (zen1, zen4) = (summary.find("Zen 1 CPU"), summary.find("Zen 4 CPU"));
        assert!(zen1.unwrap() < zen4.unwrap(), "newest first:\n{summary}");
        // Each table's ratio is within its own sitting: 4.0 / 1.0 and 4.0 / 2.0.
        assert!(summary.contains("| 1.00 | 4.00 | 4.00 |"), "{summary}");
        assert!(summary.contains("| 2.00 | 4.00 | 2.00 |"), "{summary}");
        let machine = machine(&root).unwrap();
        assert!(machine.starts_with(
            "| item | `2026-02-01-family23-model1` | `2026-01-01-family25-model17` |"
        ));
        assert_eq!(
            full_table(&root).unwrap().matches("| conv1_fb |").count(),
            2
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn no_sitting_is_an_error_naming_the_folder() {
        let root = std::env::temp_dir().join(format!("synann-docs-empty-{}", std::process::id()));
        std::fs::create_dir_all(root.join(DIR)).unwrap();
        let e = summary_table(&root).unwrap_err().to_string();
        assert!(
            e.contains("bench/results") && e.contains("no sitting"),
            "{e}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
