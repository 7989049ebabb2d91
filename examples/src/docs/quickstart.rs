//! The README's table of the two commands (how long each took from a fresh
//! clone) and the main job's printed lines in `docs/MNIST.md`, from
//! `results/quickstart/` (the default run: `summary.json`, `log.txt`,
//! `provenance.json`) and `results/fresh-clone/` (build and test times of
//! a fresh clone, before and after the test binaries were merged).

use super::{malformed, read, read_json, DocsError, Provenance};
use serde_json::Value;
use std::path::Path;

/// The default run of the main job.
pub const QUICKSTART: &str = "results/quickstart";
/// The fresh-clone measurements: `before.json` and `after.json`.
pub const FRESH_CLONE: &str = "results/fresh-clone";

/// Minutes and seconds.
fn minutes(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// One fresh-clone measurement.
struct FreshClone {
    json: Value,
    path: std::path::PathBuf,
}

impl FreshClone {
    fn read(root: &Path, file: &str) -> Result<FreshClone, DocsError> {
        let path = root.join(FRESH_CLONE).join(file);
        Ok(FreshClone {
            json: read_json(&path)?,
            path,
        })
    }

    fn number(&self, name: &str) -> Result<f64, DocsError> {
        self.json
            .get(name)
            .and_then(Value::as_f64)
            .ok_or_else(|| malformed(&self.path, format!("lacks the number `{name}`")))
    }

    fn text(&self, name: &str) -> Result<&str, DocsError> {
        self.json
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(&self.path, format!("lacks the text `{name}`")))
    }
}

/// The README's table: each command, what it did, how long it took, where.
pub fn table(root: &Path) -> Result<String, DocsError> {
    let dir = root.join(QUICKSTART);
    let summary_path = dir.join("summary.json");
    let summary = read_json(&summary_path)?;
    let number = |name: &str| -> Result<f64, DocsError> {
        summary
            .get(name)
            .and_then(Value::as_f64)
            .ok_or_else(|| malformed(&summary_path, format!("lacks the number `{name}`")))
    };
    let run = Provenance::of(&dir)?;
    let after = FreshClone::read(root, "after.json")?;
    let mut out = String::from(
        "| command | what it did | build | run | processor, date |\n|---|---|---|---|---|\n",
    );
    out.push_str(&format!(
        "| `{}` | trained seed-torch for {} epochs: {:.2}% test accuracy | {} | {} | {}, {} |\n",
        run.command,
        number("epochs")?,
        100.0 * number("final_test_accuracy")?,
        minutes(after.number("release_build_seconds")?),
        minutes(number("wall_seconds")?),
        run.cpu,
        run.date,
    ));
    out.push_str(&format!(
        "| `cargo test --workspace` | built {} test binaries and ran them | {} | {} | {}, {} |\n",
        after.number("test_binaries")?,
        minutes(after.number("test_build_seconds")?),
        minutes(after.number("test_run_seconds")?),
        after.text("cpu")?,
        after.text("date")?,
    ));
    out.push_str(&format!(
        "\nMeasured from a fresh clone ({}); the build times are in [`{FRESH_CLONE}/`]({FRESH_CLONE}/), the run in [`{QUICKSTART}/`]({QUICKSTART}/).\n",
        after.text("conditions")?
    ));
    Ok(out)
}

/// The main job's first three and last three lines, as `log.txt` holds them.
pub fn log(root: &Path) -> Result<String, DocsError> {
    let path = root.join(QUICKSTART).join("log.txt");
    let text = read(&path)?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() < 6 {
        return Err(malformed(&path, "holds fewer than six lines"));
    }
    let mut out = String::from("```text\n");
    for line in &lines[..3] {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("…\n");
    for line in &lines[lines.len() - 3..] {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("```\n");
    Ok(out)
}

/// The test build from a fresh clone before and after the integration
/// tests became one binary per crate (`docs/PERFORMANCE.md`).
pub fn test_build(root: &Path) -> Result<String, DocsError> {
    let mut out = String::from(
        "| | commit | test binaries | build | tests | processor, date, conditions |\n|---|---|---|---|---|---|\n",
    );
    for (label, file) in [("before", "before.json"), ("after", "after.json")] {
        let m = FreshClone::read(root, file)?;
        out.push_str(&format!(
            "| {label} | `{}` | {} | {} | {} | {}, {}, {} |\n",
            m.text("commit")?,
            m.number("test_binaries")?,
            minutes(m.number("test_build_seconds")?),
            minutes(m.number("test_run_seconds")?),
            m.text("cpu")?,
            m.text("date")?,
            m.text("conditions")?,
        ));
    }
    Ok(out)
}
