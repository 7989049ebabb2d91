//! Where a measured number comes from: the host's processor, the date and
//! the command, stored beside the figures.

use super::{malformed, read_json, DocsError};
use std::path::Path;

/// The provenance of a set of figures, as `provenance.json` in their
/// folder records it (`summary.json` files written by today's trainer carry
/// the processor themselves, in `cpu`).
///
/// ```json
/// { "cpu": "AMD EPYC (family 26, model 2)", "date": "2026-11-27",
///   "command": "cargo run --release --example mnist", "conditions": "quiet machine" }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// The processor, as `/proc/cpuinfo` names it, with family and model.
    pub cpu: String,
    /// The day (and time, where known) of the measurement.
    pub date: String,
    /// The command that produced the figures.
    pub command: String,
    /// Anything that affects the figures: a quiet or a loaded machine.
    pub conditions: String,
}

impl Provenance {
    /// Reads `dir/provenance.json`; the `cpu` of `dir/summary.json`, when
    /// present, takes precedence over the provenance file's.
    pub fn of(dir: &Path) -> Result<Provenance, DocsError> {
        let path = dir.join("provenance.json");
        let json = read_json(&path)?;
        let field = |name: &str| -> Result<String, DocsError> {
            json.get(name)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| malformed(&path, format!("lacks the text field `{name}`")))
        };
        let mut cpu = field("cpu")?;
        let summary = dir.join("summary.json");
        if summary.exists() {
            if let Some(c) = read_json(&summary)?.get("cpu").and_then(|v| v.as_str()) {
                cpu = c.to_string();
            }
        }
        Ok(Provenance {
            cpu,
            date: field("date")?,
            command: field("command")?,
            conditions: json
                .get("conditions")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string(),
        })
    }
}
