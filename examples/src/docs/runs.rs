//! The table of full-recipe runs in `docs/RESULTS.md`, from
//! `results/runs.json` (which runs to show, with their labels and
//! commands) and each run's `summary.json` and `provenance.json`.

use super::{malformed, read, read_json, DocsError, Provenance};
use std::path::Path;

/// The list of runs shown in the table.
pub const RUNS: &str = "results/runs.json";

/// A percentage with two decimals, from a fraction.
fn percent(fraction: f64) -> String {
    format!("{:.2}%", 100.0 * fraction)
}

/// A wall time in seconds, with minutes past ten minutes.
fn wall(seconds: f64) -> String {
    if seconds >= 600.0 {
        format!("{seconds:.0} s ({:.1} min)", seconds / 60.0)
    } else {
        format!("{seconds:.0} s")
    }
}

/// The Markdown table of the runs listed in [`RUNS`].
pub fn table(root: &Path) -> Result<String, DocsError> {
    let list_path = root.join(RUNS);
    let list = read_json(&list_path)?;
    let runs = list
        .get("runs")
        .and_then(|r| r.as_array())
        .ok_or_else(|| malformed(&list_path, "lacks the array `runs`"))?;
    let mut out = String::from(
        "| run | test acc. final | best | epochs | wall time, 2 threads | processor, date, conditions | command | files |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for run in runs {
        let text = |name: &str| -> Result<&str, DocsError> {
            run.get(name).and_then(|v| v.as_str()).ok_or_else(|| {
                malformed(&list_path, format!("a run lacks the text field `{name}`"))
            })
        };
        let dir_name = text("dir")?;
        let dir = root.join(dir_name);
        let summary_path = dir.join("summary.json");
        let summary = read_json(&summary_path)?;
        let number = |name: &str| -> Result<f64, DocsError> {
            summary
                .get(name)
                .and_then(|v| v.as_f64())
                .ok_or_else(|| malformed(&summary_path, format!("lacks the number `{name}`")))
        };
        let provenance = Provenance::of(&dir)?;
        // A run evaluated another way than the job's own evaluation (the
        // batch-coupled model in batches of 100) names the file holding
        // that accuracy, one fraction on its last line.
        let (final_acc, best) = match run.get("accuracy_file").and_then(|v| v.as_str()) {
            Some(file) => {
                let path = dir.join(file);
                let last = read(&path)?;
                let value: f64 = last
                    .lines()
                    .last()
                    .and_then(|l| l.trim().parse().ok())
                    .ok_or_else(|| malformed(&path, "its last line is not a fraction"))?;
                (percent(value), "–".to_string())
            }
            None => (
                percent(number("final_test_accuracy")?),
                percent(number("best_test_accuracy")?),
            ),
        };
        let conditions = if provenance.conditions.is_empty() {
            String::new()
        } else {
            format!(", {}", provenance.conditions)
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {}, {}{} | `{}` | `{}/` |\n",
            text("label")?,
            final_acc,
            best,
            number("epochs")?,
            wall(number("wall_seconds")?),
            provenance.cpu,
            provenance.date,
            conditions,
            provenance.command,
            dir_name,
        ));
    }
    Ok(out)
}
