//! The benchmark tables of `docs/PERFORMANCE.md` and `bench/README.md`,
//! from the JSON files of one sitting under `bench/results/`: our first
//! run (`ours-run1.json`), PyTorch's (`torch.json`), our second run
//! (`ours.json`), and `provenance.json` for the machine.

use super::{malformed, read_json, significant, DocsError, Provenance};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The folder of the benchmark figures.
pub const DIR: &str = "bench/results";

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
fn our_run(root: &Path, file: &str) -> Result<Vec<Case>, DocsError> {
    let path: PathBuf = root.join(DIR).join(file);
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

/// The summary table of `docs/PERFORMANCE.md`: the cases of [`LABELS`],
/// our second run against PyTorch, the first run in brackets where it
/// differs by more than 20%, and the machine below.
pub fn summary_table(root: &Path) -> Result<String, DocsError> {
    let first = our_run(root, "ours-run1.json")?;
    let second = our_run(root, "ours.json")?;
    let provenance = Provenance::of(&root.join(DIR))?;
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
    out.push_str(&format!(
        "\nMachine: {}, {} ({}); 2 threads on both sides, f32, medians.\n",
        provenance.cpu, provenance.date, provenance.conditions
    ));
    Ok(out)
}

/// The machine of `bench/README.md`, from `bench/results/provenance.json`.
pub fn machine(root: &Path) -> Result<String, DocsError> {
    let dir = root.join(DIR);
    let provenance = Provenance::of(&dir)?;
    let path = dir.join("provenance.json");
    let json = read_json(&path)?;
    let extra = |name: &str| json.get(name).and_then(Value::as_str).unwrap_or("–");
    Ok(format!(
        "| item | value |\n|---|---|\n\
         | CPU | {} |\n| memory | {} |\n| OS | {} |\n| Rust | {} |\n| PyTorch | {} |\n\
         | date | {} |\n| conditions | {} |\n| order | {} |\n",
        provenance.cpu,
        extra("memory"),
        extra("os"),
        extra("rust"),
        extra("pytorch"),
        provenance.date,
        provenance.conditions,
        provenance.command,
    ))
}

/// Every case of the sitting, both of our runs, medians and minima.
pub fn full_table(root: &Path) -> Result<String, DocsError> {
    let first = our_run(root, "ours-run1.json")?;
    let second = our_run(root, "ours.json")?;
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
